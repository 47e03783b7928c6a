import * as fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analyzeDrill, checkObjectives, compareRuns, DrillClock, planOfSteps } from './drill';
import type { RunEvent, RunStartedEvent } from './events';
import { exportRun } from './export';
import { Journal } from './journal';
import { Masker } from './mask';
import { replayRun, type RunState } from './replay';
import { AuditStore } from './store';
import { runStarted, temporaryAuditDir } from './testing';

let auditDir: string;
let store: AuditStore;

beforeEach(() => {
  auditDir = temporaryAuditDir();
  store = new AuditStore(auditDir);
});

afterEach(() => {
  fs.rmSync(auditDir, { recursive: true, force: true });
});

const PLAN: RunStartedEvent['plan'] = [
  { key: 'p10', title: 'Control plane', kind: 'phase' },
  { key: 'p10/db', title: 'Start the database', kind: 'run' },
  { key: 'p10/mq', title: 'Start RabbitMQ', kind: 'run' },
  { key: 'p20', title: 'Computes', kind: 'phase' },
  { key: 'p20/nova', title: 'Start nova-compute', kind: 'run' },
  { key: 'report', title: 'Tell the team', kind: 'manual' },
];

/** Writes a drill run whose events happen at the given second offsets from 10:00:00. */
function writeRun(runId: string, timeline: Array<[number, RunEvent]>, objectives?: Record<string, number>): RunState {
  let clock = Date.parse('2026-11-21T10:00:00.000Z');
  const journal = Journal.create(auditDir, runId, new Masker(), { syncIntervalMs: 0, now: () => new Date(clock) });
  journal.append(runStarted(runId, { plan: PLAN, ...(objectives ? { drill: { objectives } } : {}) }));
  for (const [second, event] of timeline) {
    clock = Date.parse('2026-11-21T10:00:00.000Z') + second * 1000;
    journal.append(event);
  }
  journal.close();
  return replayRun(store.records(runId));
}

const started = (step: string, kind = 'run'): RunEvent => ({ type: 'step.started', step, title: step, kind, hosts: [], attempt: 1 });
const finished = (step: string, durationMs: number, status: 'succeeded' | 'failed' = 'succeeded'): RunEvent => ({
  type: 'step.finished',
  step,
  status,
  durationMs,
  checks: [],
  captures: {},
});

function drillRun(runId: string, scale: number, objectives?: Record<string, number>, failP20 = false): RunState {
  return writeRun(
    runId,
    [
      [0, started('p10', 'phase')],
      [0, started('p10/db')],
      [40 * scale, finished('p10/db', 40_000 * scale)],
      [40 * scale, started('p10/mq')],
      [60 * scale, finished('p10/mq', 20_000 * scale)],
      [60 * scale, finished('p10', 60_000 * scale)],
      [60 * scale, started('p20', 'phase')],
      [60 * scale, started('p20/nova')],
      [200 * scale, finished('p20/nova', 140_000 * scale, failP20 ? 'failed' : 'succeeded')],
      [200 * scale, finished('p20', 140_000 * scale, failP20 ? 'failed' : 'succeeded')],
      [200 * scale, { type: 'run.finished', status: failP20 ? 'failed' : 'succeeded', durationMs: 200_000 * scale }],
    ],
    objectives,
  );
}

describe('analyzeDrill', () => {
  it('judges each objective from the start of the run, and lists phases and the slowest steps', () => {
    const state = drillRun('drill-a', 1, { run: 180_000, p10: 90_000, p20: 120_000 });
    const report = analyzeDrill(state);
    expect(report.drill).toBe(true);
    expect(report.totalMs).toBe(200_000);
    const byKey = Object.fromEntries(report.objectives.map((objective) => [objective.key, objective]));
    expect(byKey.run).toMatchObject({ kind: 'run', objectiveMs: 180_000, achievedMs: 200_000, marginMs: -20_000, verdict: 'missed', status: 'succeeded' });
    expect(byKey.p10).toMatchObject({ kind: 'phase', title: 'p10', achievedMs: 60_000, marginMs: 30_000, verdict: 'met' });
    // p20 ended 200 s after the start of the run: its own 140 s are not what counts.
    expect(byKey.p20).toMatchObject({ achievedMs: 200_000, verdict: 'missed' });
    expect(report.phases.map((phase) => [phase.key, phase.startedAfterMs, phase.durationMs, phase.finishedAfterMs, phase.verdict])).toEqual([
      ['p10', 0, 60_000, 60_000, 'met'],
      ['p20', 60_000, 140_000, 200_000, 'missed'],
    ]);
    // Phases are containers: only steps doing work of their own are "slowest".
    expect(report.slowestSteps.map((step) => step.key)).toEqual(['p20/nova', 'p10/db', 'p10/mq']);
    expect(report.slowestSteps[0].share).toBeCloseTo(0.7);
  });

  it('says not reached when what an objective measures failed, and a plain run is no drill', () => {
    const failed = analyzeDrill(drillRun('drill-f', 1, { run: 900_000, p20: 900_000 }, true));
    expect(failed.objectives.map((objective) => [objective.key, objective.verdict, objective.achievedMs])).toEqual([
      ['run', 'not-reached', 200_000],
      ['p20', 'not-reached', undefined],
    ]);
    expect(analyzeDrill(drillRun('plain', 1)).drill).toBe(false);
  });

  it('counts an objective passed during a run still going as missed', () => {
    const state = writeRun('live', [[0, started('p10', 'phase')]], { p10: 30_000 });
    expect(analyzeDrill(replayRun(store.records('live'), { live: true }), { elapsedMs: 10_000 }).objectives[0].verdict).toBe('in-progress');
    expect(analyzeDrill(replayRun(store.records('live'), { live: true }), { elapsedMs: 31_000 }).objectives[0].verdict).toBe('missed');
    expect(state.status).toBe('interrupted');
  });
});

describe('the drill in the reports', () => {
  it('gives objective against achieved, phases and the slowest steps in Markdown and JSON', () => {
    drillRun('drill-md', 1, { run: 300_000, p10: 30_000 });
    const records = store.records('drill-md');
    const markdown = exportRun(records, 'md');
    expect(markdown).toContain('## Drill: objectives against achieved');
    expect(markdown).toMatch(/\| whole run \(RTO\) \| 5 min 00 s \| 3 min 20 s \| \+1 min 40 s \| \*\*met\*\* \(succeeded\) \|/);
    expect(markdown).toMatch(/\| phase `p10` p10 \| 30\.0 s \| 1 min 00 s \| −30\.0 s \| \*\*MISSED\*\*/);
    expect(markdown).toMatch(/## Slowest steps[\s\S]*p20\/nova[\s\S]*2 min 20 s \| 70 %/);
    const json = JSON.parse(exportRun(records, 'json'));
    expect(json.drill.objectives).toHaveLength(2);
    expect(json.drill.phases[1]).toMatchObject({ key: 'p20', durationMs: 140_000, finishedAfterMs: 200_000 });
  });
});

describe('checkObjectives', () => {
  it('accepts run and planned keys, and names the phases for a key that is not a step', () => {
    expect(checkObjectives({ run: 1000, p10: 500, 'p20/nova': 100 }, PLAN)).toEqual([]);
    expect(checkObjectives({ p30: 1000 }, PLAN)).toEqual(['"p30" is not a step of this runbook (its phases: p10, p20).']);
    expect(checkObjectives({ run: 0 }, PLAN)[0]).toMatch(/positive/);
  });

  it('expands phases as run.started records them', () => {
    const plan = planOfSteps([
      {
        id: 'p1',
        title: 'P1',
        kind: 'phase',
        priority: 1,
        concurrency: 1,
        steps: [{ id: 'a', title: 'A', kind: 'manual', instructions: 'x' }],
        check: [{ id: 'c', title: 'C', kind: 'manual', instructions: 'x' }],
      },
    ] as never);
    expect(plan.map((entry) => entry.key)).toEqual(['p1', 'p1/a', 'p1/check/c']);
  });
});

describe('DrillClock', () => {
  it('reads elapsed time against each objective and warns once when one passes with its step not done', () => {
    const start = 1_000_000;
    const clock = new DrillClock({ run: 60_000, p10: 20_000 }, start, PLAN);
    expect(clock.reading(start + 5_000).entries.map((entry) => entry.state)).toEqual(['running', 'running']);
    expect(clock.newlyExceeded(start + 19_000)).toEqual([]);
    const exceeded = clock.newlyExceeded(start + 21_000);
    expect(exceeded.map((entry) => [entry.key, entry.title, entry.state])).toEqual([['p10', 'Control plane', 'exceeded']]);
    expect(clock.newlyExceeded(start + 22_000)).toEqual([]);
    clock.observe(finished('p10', 25_000), start + 25_000);
    expect(clock.reading(start + 30_000).entries[1]).toMatchObject({ state: 'finished-late', elapsedMs: 25_000 });
    clock.observe({ type: 'run.finished', status: 'succeeded', durationMs: 40_000 }, start + 40_000);
    expect(clock.reading(start + 90_000).entries[0]).toMatchObject({ state: 'met', elapsedMs: 40_000 });
    expect(clock.newlyExceeded(start + 90_000)).toEqual([]);
  });
});

describe('DrillClock after the run ends', () => {
  it('stops: an objective whose step never ran is not reached, and nothing keeps growing late', () => {
    const start = 1_000_000;
    const clock = new DrillClock({ run: 60_000, p10: 1_000 }, start, PLAN);
    clock.observe({ type: 'run.finished', status: 'failed', durationMs: 500 }, start + 500);
    const later = clock.reading(start + 3_600_000);
    expect(later.elapsedMs).toBe(500);
    expect(later.entries.find((entry) => entry.key === 'p10')).toMatchObject({ state: 'not-reached', elapsedMs: 500 });
    expect(clock.newlyExceeded(start + 3_600_000)).toEqual([]);
  });
});

describe('compareRuns', () => {
  it('puts two drills side by side with per step and phase deltas', () => {
    const a = drillRun('drill-1', 1, { run: 180_000, p10: 90_000 });
    const b = drillRun('drill-2', 0.5, { run: 180_000, p10: 90_000 });
    const comparison = compareRuns(a, b);
    expect(comparison.sameRunbook).toBe(true);
    expect(comparison.total).toEqual({ aMs: 200_000, bMs: 100_000, deltaMs: -100_000 });
    const nova = comparison.steps.find((row) => row.key === 'p20/nova')!;
    expect(nova).toMatchObject({ depth: 1, a: { durationMs: 140_000 }, b: { durationMs: 70_000 }, deltaMs: -70_000, deltaRatio: -0.5 });
    expect(comparison.objectives.find((objective) => objective.key === 'run')).toMatchObject({ a: { verdict: 'missed' }, b: { verdict: 'met' } });
    expect(comparison.steps.find((row) => row.key === 'report')).toMatchObject({ a: { status: 'pending' }, b: { status: 'pending' } });
  });
});
