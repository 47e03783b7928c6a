import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StepView } from '../stores/runs';
import { RunStepList } from './RunStepList';

afterEach(cleanup);

function step(key: string, status: StepView['status'], extra: Partial<StepView> = {}): StepView {
  return { key, title: `Step ${key}`, kind: 'run', depth: 0, status, attempt: 1, hosts: [], hostOutcomes: [], commands: {}, checks: [], captures: {}, ...extra };
}

describe('RunStepList', () => {
  it('shows every status as a word, durations, attempts and who waits for the operator', () => {
    const steps = [
      step('a', 'succeeded', { durationMs: 1500 }),
      step('b', 'failed', { durationMs: 200, attempt: 2 }),
      step('c', 'running', { startedAt: Date.now() }),
      step('d', 'skipped'),
      step('e', 'interrupted'),
      step('f', 'pending', { attempt: 0 }),
    ];
    const { container } = render(<RunStepList steps={steps} waiting={['b']} onSelect={() => undefined} />);
    const rows = container.querySelectorAll('li[data-step]');
    expect([...rows].map((row) => row.getAttribute('data-status'))).toEqual(['succeeded', 'failed', 'running', 'skipped', 'interrupted', 'pending']);
    const failed = within(rows[1] as HTMLElement);
    expect(failed.getByText('failed')).toBeTruthy();
    expect(failed.getByText('needs you')).toBeTruthy();
    expect(failed.getByText('attempt 2')).toBeTruthy();
    expect(failed.getByText('200 ms')).toBeTruthy();
    expect(within(rows[0] as HTMLElement).getByText('1.5 s')).toBeTruthy();
    expect(within(rows[5] as HTMLElement).getByText('–')).toBeTruthy();
  });

  it('marks the selected step and reports clicks', () => {
    const onSelect = vi.fn();
    render(<RunStepList steps={[step('a', 'succeeded'), step('b', 'pending')]} selectedKey="a" waiting={[]} onSelect={onSelect} />);
    expect(screen.getByRole('button', { current: 'step' }).textContent).toContain('Step a');
    fireEvent.click(screen.getByText('Step b'));
    expect(onSelect).toHaveBeenCalledWith('b');
  });

  it('shows a step on 300 hosts as counts, not 300 rows; the hosts that did not succeed only when asked', () => {
    const hosts = Array.from({ length: 300 }, (_, index) => `h${String(index + 1).padStart(3, '0')}`);
    const outcomes: StepView['hostOutcomes'] = hosts.map((host, index) => ({
      host,
      status: index === 7 || index === 250 ? 'failed' : 'succeeded',
      exitCode: index === 7 || index === 250 ? 3 : 0,
    }));
    const steps = [step('fan', 'failed', { hosts, hostOutcomes: outcomes }), step('next', 'pending', { attempt: 0 })];
    const { container } = render(<RunStepList steps={steps} waiting={[]} onSelect={() => undefined} />);
    expect(container.querySelectorAll('li[data-step]')).toHaveLength(2);
    expect(container.querySelectorAll('[data-host]')).toHaveLength(0);
    const fan = within(container.querySelector('li[data-step="fan"]') as HTMLElement);
    expect(fan.getByText('300 hosts: 2 failed · 298 succeeded')).toBeTruthy();
    expect(container.textContent).not.toContain('h001');

    fireEvent.click(fan.getByRole('button', { name: 'show the 2 not succeeded' }));
    const listed = [...container.querySelectorAll('[data-host]')];
    expect(listed.length).toBeLessThanOrEqual(50);
    expect(listed.slice(0, 2).map((row) => row.textContent)).toEqual(['h008: failed (exit 3)', 'h251: failed (exit 3)']);
    expect(fan.getByText('and 250 more')).toBeTruthy();
  });

  it('counts a running fan-out step’s hosts as running until their outcomes come', () => {
    const hosts = Array.from({ length: 300 }, (_, index) => `h${index}`);
    const { container } = render(<RunStepList steps={[step('fan', 'running', { hosts, startedAt: Date.now() })]} waiting={[]} onSelect={() => undefined} />);
    expect(within(container.querySelector('li[data-step="fan"]') as HTMLElement).getByText('300 hosts: 300 running')).toBeTruthy();
    expect(container.querySelectorAll('[data-host]')).toHaveLength(0);
  });

  it('shows nothing more for a step on one host', () => {
    const { container } = render(
      <RunStepList
        steps={[step('one', 'succeeded', { hosts: ['h1'], hostOutcomes: [{ host: 'h1', status: 'succeeded', exitCode: 0 }] })]}
        waiting={[]}
        onSelect={() => undefined}
      />,
    );
    expect(container.textContent).not.toContain('hosts');
  });
});
