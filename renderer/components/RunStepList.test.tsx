import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StepView } from '../stores/runs';
import { RunStepList } from './RunStepList';

afterEach(cleanup);

function step(key: string, status: StepView['status'], extra: Partial<StepView> = {}): StepView {
  return { key, title: `Step ${key}`, kind: 'run', depth: 0, status, attempt: 1, hosts: [], commands: {}, checks: [], captures: {}, ...extra };
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
});
