import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ComparedRun, RunComparison } from '../../electron/api/contract';
import { RunComparisonTable } from './RunComparisonTable';

afterEach(cleanup);

function run(runId: string, totalMs: number): ComparedRun {
  return {
    runId,
    runbook: { id: 'dr-restore', title: 'Restore', version: '1', file: 'dr.yaml', sha256: 'ab'.repeat(32) },
    environment: 'lab',
    operator: 'alice',
    status: 'succeeded',
    startedAt: '2026-11-21T10:00:00.000Z',
    totalMs,
    drill: { drill: true, runId, status: 'succeeded', totalMs, objectives: [], phases: [], slowestSteps: [] },
  };
}

const comparison: RunComparison = {
  a: run('run-a', 30_000),
  b: run('run-b', 60_000),
  sameRunbook: true,
  sameRunbookText: true,
  objectives: [
    {
      key: 'p10',
      title: 'Control plane',
      a: { key: 'p10', title: 'Control plane', kind: 'phase', objectiveMs: 12_000, achievedMs: 10_000, status: 'succeeded', verdict: 'met', marginMs: 2000 },
      b: { key: 'p10', title: 'Control plane', kind: 'phase', objectiveMs: 12_000, achievedMs: 20_000, status: 'succeeded', verdict: 'missed', marginMs: -8000 },
    },
  ],
  total: { aMs: 30_000, bMs: 60_000, deltaMs: 30_000 },
  steps: [
    {
      key: 'p10',
      title: 'Control plane',
      kind: 'phase',
      depth: 0,
      a: { status: 'succeeded', durationMs: 10_000 },
      b: { status: 'succeeded', durationMs: 20_000 },
      deltaMs: 10_000,
      deltaRatio: 1,
    },
    {
      key: 'p10/db',
      title: 'Start the database',
      kind: 'run',
      depth: 1,
      a: { status: 'succeeded', durationMs: 8000 },
      b: { status: 'succeeded', durationMs: 4000 },
      deltaMs: -4000,
      deltaRatio: -0.5,
    },
    { key: 'p20/extra', title: 'Only in B', kind: 'run', depth: 1, b: { status: 'succeeded', durationMs: 1000 } },
  ],
};

describe('RunComparisonTable', () => {
  it('puts A and B side by side: total, objectives with verdicts, every step with B − A and the change in percent', () => {
    render(<RunComparisonTable comparison={comparison} />);
    const row = (key: string) => document.querySelector(`[data-row="${key}"]`) as HTMLElement;
    expect(row('total').textContent).toBe('Whole run30.0 s1 min 00 s+30.0 s');
    expect(row('objective:p10').textContent).toContain('10.0 s');
    expect(row('objective:p10').querySelector('[data-verdict="met"]')).toBeTruthy();
    expect(row('objective:p10').querySelector('[data-verdict="missed"]')?.textContent).toBe('MISSED');
    expect(row('p10').textContent).toContain('+10.0 s');
    expect(row('p10').textContent).toContain('+100 %');
    expect(row('p10').querySelector('.slower')).toBeTruthy();
    expect(row('p10/db').textContent).toContain('−4.0 s');
    expect(row('p10/db').textContent).toContain('−50 %');
    expect(row('p10/db').querySelector('.faster')).toBeTruthy();
    expect(row('p20/extra').textContent).toContain('not run');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says "no objective" where only one of the runs had that objective', () => {
    const [objective] = comparison.objectives;
    render(<RunComparisonTable comparison={{ ...comparison, objectives: [{ ...objective, b: undefined }] }} />);
    expect((document.querySelector('[data-row="objective:p10"]') as HTMLElement).textContent).toContain('no objective');
  });

  it("shows each run's status with the one status badge", () => {
    render(<RunComparisonTable comparison={{ ...comparison, b: { ...comparison.b, status: 'rolled-back' } }} />);
    expect([...document.querySelectorAll('[data-run-status]')].map((badge) => [badge.getAttribute('data-run-status'), badge.className])).toEqual([
      ['succeeded', 'badge run-succeeded'],
      ['rolled-back', 'badge run-rolled-back'],
    ]);
  });

  it('warns when the runbooks differ, or their text changed between the runs', () => {
    const { rerender } = render(<RunComparisonTable comparison={{ ...comparison, sameRunbook: false }} />);
    expect(screen.getByRole('alert').textContent).toContain('different runbooks');
    rerender(<RunComparisonTable comparison={{ ...comparison, sameRunbookText: false }} />);
    expect(screen.getByRole('alert').textContent).toContain('text changed');
  });

  it('shows what each drill changed in the cloud side by side: moves by route and count, services, how far apart the snapshots were', () => {
    const diff = (changes: Array<[string, string]>) => ({
      from: 'start',
      to: 'end',
      changes: changes.map(([probe, text]) => ({ probe, host: 'controller', text })),
      notCompared: [],
      compared: 5,
    });
    const stateChanges = {
      a: {
        diff: diff([
          ['instances per host', '4 instances moved compute02 → compute01: web1, web2, db1, cache'],
          ['nova services', 'nova-compute on compute02: enabled/up → disabled/down (forced)'],
        ]),
        spanMs: 180_000,
        moved: 4,
        summary: '4 instances moved, 2 changes, snapshots 3 min 00 s apart',
      },
      b: {
        diff: diff([['instances per host', '4 instances moved compute02 → compute01: web1, web2, db1, cache']]),
        spanMs: 300_000,
        moved: 4,
        summary: '4 instances moved, 1 change, snapshots 5 min 00 s apart',
      },
      rows: [
        { subject: 'instances moved compute02 → compute01', a: '4 (web1, web2, db1, cache)', b: '4 (web1, web2, db1, cache)' },
        { subject: 'nova-compute on compute02', a: 'enabled/up → disabled/down (forced)' },
      ],
    };
    const { rerender } = render(<RunComparisonTable comparison={comparison} />);
    expect(screen.queryByText('What each run changed')).toBeNull();
    rerender(<RunComparisonTable comparison={{ ...comparison, stateChanges }} />);
    expect(screen.getByRole('list', { name: 'State changes per run' }).textContent).toContain('A: 4 instances moved, 2 changes, snapshots 3 min 00 s apart');
    expect(screen.getByRole('list', { name: 'State changes per run' }).textContent).toContain('B: 4 instances moved, 1 change, snapshots 5 min 00 s apart');
    const row = (subject: string) => document.querySelector(`[data-row="state:${subject}"]`) as HTMLElement;
    expect([...row('instances moved compute02 → compute01').querySelectorAll('td')].map((cell) => cell.textContent)).toEqual([
      '4 (web1, web2, db1, cache)',
      '4 (web1, web2, db1, cache)',
    ]);
    expect([...row('nova-compute on compute02').querySelectorAll('td')].map((cell) => cell.textContent)).toEqual(['enabled/up → disabled/down (forced)', '—']);
  });
});
