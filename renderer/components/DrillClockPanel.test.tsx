import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { DrillClockPanel } from './DrillClockPanel';

afterEach(cleanup);

describe('DrillClockPanel', () => {
  it('shows every objective against the clock: time left, met, and a plain warning once one is exceeded', () => {
    render(
      <DrillClockPanel
        reading={{
          elapsedMs: 95_000,
          entries: [
            { key: 'run', title: 'the whole run (RTO)', objectiveMs: 600_000, elapsedMs: 95_000, state: 'running' },
            { key: 'p10', title: 'Control plane', objectiveMs: 60_000, elapsedMs: 42_000, state: 'met' },
            { key: 'p20', title: 'Computes', objectiveMs: 90_000, elapsedMs: 95_000, state: 'exceeded' },
          ],
        }}
      />,
    );
    const clock = screen.getByRole('region', { name: 'Drill clock' });
    expect(clock.querySelector('.drill-elapsed')?.textContent).toBe('1 min 35 s');
    const row = (key: string) => clock.querySelector(`[data-objective="${key}"]`) as HTMLElement;
    expect(row('run').textContent).toContain('8 min 25 s left');
    expect(row('p10').dataset.state).toBe('met');
    expect(row('p10').textContent).toContain('met at 42.0 s');
    expect(row('p20').className).toContain('clock-exceeded');
    expect(row('p20').textContent).toContain('EXCEEDED by 5.0 s, not done');
    expect(within(clock).getByRole('alert').textContent).toBe('Objective exceeded: Computes (1 min 30 s)');
  });

  it('raises no alarm while every objective is on time, and says when a finished step was late', () => {
    const { rerender } = render(
      <DrillClockPanel reading={{ elapsedMs: 1000, entries: [{ key: 'run', title: 'the whole run (RTO)', objectiveMs: 60_000, elapsedMs: 1000, state: 'running' }] }} />,
    );
    expect(screen.queryByRole('alert')).toBeNull();
    rerender(
      <DrillClockPanel reading={{ elapsedMs: 70_000, entries: [{ key: 'p10', title: 'Control plane', objectiveMs: 60_000, elapsedMs: 65_000, state: 'finished-late' }] }} />,
    );
    expect(screen.getByRole('alert')).toBeTruthy();
    expect(document.querySelector('[data-objective="p10"]')?.textContent).toContain('missed: done at 1 min 05 s, 5.0 s late');
  });
});
