import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { StepView } from '../stores/runs';
import { StepDetail } from './StepDetail';

afterEach(cleanup);

const script = 'out=$(systemctl is-active nova-compute)\necho "$out"';

function step(extra: Partial<StepView>): StepView {
  return { key: 's', title: 'S', kind: 'run', depth: 0, status: 'succeeded', attempt: 1, hosts: ['c1'], hostOutcomes: [], commands: {}, checks: [], captures: {}, ...extra };
}

describe('StepDetail', () => {
  it('shows the command exactly as sent: newlines kept, inside the engine\u2019s sudo wrapper', () => {
    const { container } = render(
      <StepDetail
        step={step({ commands: { c1: script }, planned: { key: 's', title: 'S', kind: 'run', depth: 0, hosts: ['c1'], commands: [], checks: [], captures: [], sudo: true } })}
      />,
    );
    expect(screen.getByText('Command as sent')).toBeTruthy();
    expect(container.querySelector('pre.command')?.textContent).toBe(`sudo -n -- "\${SHELL:-/bin/sh}" -c 'out=$(systemctl is-active nova-compute)\necho "$out"'`);
  });

  it('says a failed check in plain words and a decision by its chosen label', () => {
    const { container, rerender } = render(
      <StepDetail step={step({ status: 'failed', reason: 'c1: exit code 0 — exit code was 2', checks: [{ name: 'exit code 0', ok: false, detail: 'exit code was 2' }] })} />,
    );
    expect(container.textContent).toContain('exit code 2, expected 0');
    expect(container.textContent).not.toContain('exit code was 2');
    rerender(
      <StepDetail
        step={step({
          kind: 'decision',
          hosts: [],
          reason: 'chose stop',
          planned: {
            key: 's',
            title: 'S',
            kind: 'decision',
            depth: 0,
            hosts: [],
            commands: [],
            checks: [],
            captures: [],
            choices: [
              { id: 'go', label: 'Go on' },
              { id: 'stop', label: 'Stop here' },
            ],
          },
        })}
      />,
    );
    expect(container.querySelector('.decision-chosen')?.textContent).toBe('Chosen: Stop here');
  });

  it('shows a step on 300 hosts as one command and one passed check with the hosts counted, failures per host', () => {
    const hosts = Array.from({ length: 300 }, (_, index) => `h${String(index).padStart(3, '0')}`);
    const commands = Object.fromEntries(hosts.map((host) => [host, 'systemctl is-active nova-compute']));
    const checks = hosts.map((host) => (host === 'h007' ? { name: `${host}: exit code 0`, ok: false, detail: 'exit code was 3' } : { name: `${host}: exit code 0`, ok: true }));
    const { container } = render(<StepDetail step={step({ status: 'failed', hosts, commands, checks })} />);
    expect(container.querySelectorAll('.plan-command')).toHaveLength(1);
    expect(container.querySelector('.plan-command .host')?.textContent).toBe('300 hosts');
    const rows = [...container.querySelectorAll('ul.checks li')].map((li) => li.textContent);
    expect(rows).toHaveLength(2);
    expect(rows).toContain('✓ exit code 0 — 299 hosts');
    expect(rows.find((row) => row?.startsWith('✗'))).toContain('h007: exit code 3, expected 0');
  });
});
