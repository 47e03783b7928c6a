/**
 * Drills: a run marked as a rehearsal with time objectives (an RTO for the whole run, and one per phase
 * or step), timed live while it runs and judged afterwards from its journal.
 *
 * An objective is a duration keyed by what it measures: {@link RUN_OBJECTIVE} (`run`) for the whole run,
 * otherwise a step key (usually a `phase` step's key, e.g. `p10` or `restore/p10`). Every objective is
 * measured **from the start of the run** to the end of what it names, like a recovery time objective:
 * "priority-10 services back within 5 minutes of the start". The report also gives each phase's own
 * duration, so a slow phase is visible even when its predecessors ate the budget.
 */
import { holdsSteps } from '../runbook/step-lists';
import type { RunEvent, RunStartedEvent, RunStatus, StepStatus } from './events';
import type { RunState, StepState } from './replay';
import { compareStateChanges, type RunStateChanges } from './state-compare';
import type {
  ObjectiveVerdict,
  DrillObjectiveResult,
  DrillPhaseTiming,
  DrillReport,
  DrillClockEntry,
  DrillClockReading,
  ComparedRun,
  ComparisonRow,
  RunComparison,
} from './report-types';
export type {
  ObjectiveVerdict,
  DrillObjectiveResult,
  DrillPhaseTiming,
  DrillStepTiming,
  DrillReport,
  DrillClockEntry,
  DrillClockReading,
  ComparedRun,
  ComparisonRow,
  RunComparison,
} from './report-types';

/** The objective key of the whole run. */
export const RUN_OBJECTIVE = 'run';

function since(start: string, end: string | undefined): number | undefined {
  if (!end) return undefined;
  const value = Date.parse(end) - Date.parse(start);
  return Number.isFinite(value) ? Math.max(value, 0) : undefined;
}

function judge(objectiveMs: number, achievedMs: number | undefined, succeeded: boolean, finished: boolean, nowMs?: number): ObjectiveVerdict {
  if (achievedMs !== undefined && succeeded) return achievedMs <= objectiveMs ? 'met' : 'missed';
  if (finished) return 'not-reached';
  return nowMs !== undefined && nowMs > objectiveMs ? 'missed' : 'in-progress';
}

export interface AnalyzeDrillOptions {
  /** How many of the slowest steps to list. Default 5. */
  slowest?: number;
  /** For a run still going: milliseconds since its start now (an objective already passed is missed). */
  elapsedMs?: number;
}

/**
 * Objectives against what was achieved, phase timings and the slowest steps of a run, from its state
 * ({@link replayRun}). Works for any run; `drill` says whether it was started as one.
 */
export function analyzeDrill(state: RunState, options: AnalyzeDrillOptions = {}): DrillReport {
  const runFinished = state.finishedAt !== undefined;
  const totalMs = state.durationMs ?? (runFinished ? since(state.startedAt, state.finishedAt) : options.elapsedMs);
  const stepByKey = new Map(state.steps.map((step) => [step.key, step]));
  const objectives: DrillObjectiveResult[] = [];
  const targets = state.drill?.objectives ?? {};
  for (const [key, objectiveMs] of Object.entries(targets)) {
    if (key === RUN_OBJECTIVE) {
      const achievedMs = runFinished ? totalMs : undefined;
      const verdict = judge(objectiveMs, achievedMs, state.status === 'succeeded', runFinished, options.elapsedMs);
      objectives.push({
        key,
        title: 'The whole run (RTO)',
        kind: 'run',
        objectiveMs,
        ...(achievedMs !== undefined ? { achievedMs, marginMs: objectiveMs - achievedMs } : {}),
        status: state.status,
        verdict,
      });
      continue;
    }
    const step = stepByKey.get(key);
    const achievedMs = step && step.status !== 'running' ? since(state.startedAt, step.finishedAt) : undefined;
    const stepDone = Boolean(step && ['succeeded', 'failed', 'skipped', 'interrupted'].includes(step.status));
    const verdict = judge(objectiveMs, achievedMs, step?.status === 'succeeded', runFinished || stepDone, options.elapsedMs);
    objectives.push({
      key,
      title: step?.title ?? key,
      kind: step?.kind === 'phase' ? 'phase' : 'step',
      objectiveMs,
      ...(achievedMs !== undefined && step?.status === 'succeeded' ? { achievedMs, marginMs: objectiveMs - achievedMs } : {}),
      status: step?.status ?? 'pending',
      verdict,
    });
  }

  const phases: DrillPhaseTiming[] = state.steps
    .filter((step) => step.kind === 'phase')
    .map((step) => {
      const objective = objectives.find((candidate) => candidate.key === step.key);
      return {
        key: step.key,
        title: step.title,
        status: step.status,
        ...optional('startedAfterMs', step.startedAt ? since(state.startedAt, step.startedAt) : undefined),
        ...optional('durationMs', step.durationMs),
        ...optional('finishedAfterMs', step.finishedAt ? since(state.startedAt, step.finishedAt) : undefined),
        ...(objective ? { objectiveMs: objective.objectiveMs, verdict: objective.verdict } : {}),
      };
    });

  const slowestSteps = state.steps
    .filter((step) => !holdsSteps(step.kind) && step.durationMs !== undefined)
    .sort((a, b) => (b.durationMs ?? 0) - (a.durationMs ?? 0))
    .slice(0, options.slowest ?? 5)
    .map((step) => ({
      key: step.key,
      title: step.title,
      kind: step.kind,
      status: step.status,
      durationMs: step.durationMs ?? 0,
      ...(totalMs ? { share: (step.durationMs ?? 0) / totalMs } : {}),
    }));

  return {
    drill: state.drill !== undefined,
    runId: state.runId,
    status: state.status,
    ...optional('totalMs', totalMs),
    objectives,
    phases,
    slowestSteps,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

// ---- objectives from the command line ----------------------------------------------------------

/**
 * Checks drill objectives against a run's plan: each key is `run` or a planned step key, each value a
 * positive number of milliseconds. Returns the problems in words (empty when all is well).
 */
export function checkObjectives(objectives: Record<string, number>, plan: RunStartedEvent['plan']): string[] {
  const problems: string[] = [];
  const keys = new Set(plan.map((entry) => entry.key));
  const phases = plan.filter((entry) => entry.kind === 'phase').map((entry) => entry.key);
  for (const [key, value] of Object.entries(objectives)) {
    if (!Number.isFinite(value) || value <= 0) problems.push(`the objective for ${key} must be a positive duration.`);
    if (key !== RUN_OBJECTIVE && !keys.has(key)) {
      problems.push(`"${key}" is not a step of this runbook${phases.length ? ` (its phases: ${phases.join(', ')})` : ' (it has no phases; name a step key)'}.`);
    }
  }
  return problems;
}

// ---- the live clock ----------------------------------------------------------------------------

/**
 * The stopwatch of a drill in progress, fed with the run's events as they happen. At each step
 * boundary the console shows {@link DrillClock.reading}; {@link DrillClock.newlyExceeded} (called at
 * boundaries and on a timer) returns each objective once, the moment it is passed with its step not done.
 */
export class DrillClock {
  private readonly finishedAt = new Map<string, { atMs: number; status: StepStatus | RunStatus }>();
  private readonly titles = new Map<string, string>();
  private readonly warned = new Set<string>();

  /**
   * @param startedAtMs when the run started (epoch ms): for a resumed run, the original start.
   */
  constructor(
    readonly objectives: Record<string, number>,
    private readonly startedAtMs: number,
    plan: RunStartedEvent['plan'] = [],
  ) {
    for (const entry of plan) this.titles.set(entry.key, entry.title);
    this.titles.set(RUN_OBJECTIVE, 'the whole run (RTO)');
  }

  /** Records the end of a step or of the run. */
  observe(event: RunEvent, nowMs: number = Date.now()): void {
    if (event.type === 'step.finished' && event.step in this.objectives) {
      this.finishedAt.set(event.step, { atMs: nowMs, status: event.status });
    }
    if (event.type === 'operator.action' && event.action === 'skip' && event.step && event.step in this.objectives) {
      this.finishedAt.set(event.step, { atMs: nowMs, status: 'skipped' });
    }
    if (event.type === 'run.finished') this.finishedAt.set(RUN_OBJECTIVE, { atMs: nowMs, status: event.status });
  }

  reading(nowMs: number = Date.now()): DrillClockReading {
    // Once the run is over the clock stops: what never finished was not reached, it is not still late.
    const runEnd = this.finishedAt.get(RUN_OBJECTIVE);
    const elapsedMs = Math.max((runEnd ? Math.min(nowMs, runEnd.atMs) : nowMs) - this.startedAtMs, 0);
    const entries = Object.entries(this.objectives).map(([key, objectiveMs]): DrillClockEntry => {
      const done = this.finishedAt.get(key);
      const title = this.titles.get(key) ?? key;
      if (!done && runEnd) return { key, title, objectiveMs, elapsedMs, state: 'not-reached' };
      if (!done) return { key, title, objectiveMs, elapsedMs, state: elapsedMs > objectiveMs ? 'exceeded' : 'running' };
      const at = Math.max(done.atMs - this.startedAtMs, 0);
      if (done.status !== 'succeeded') return { key, title, objectiveMs, elapsedMs: at, state: 'not-reached' };
      return { key, title, objectiveMs, elapsedMs: at, state: at <= objectiveMs ? 'met' : 'finished-late' };
    });
    return { elapsedMs, entries };
  }

  /** Objectives passed since the last call while what they measure is still running: warn once each. */
  newlyExceeded(nowMs: number = Date.now()): DrillClockEntry[] {
    const exceeded = this.reading(nowMs).entries.filter((entry) => (entry.state === 'exceeded' || entry.state === 'finished-late') && !this.warned.has(entry.key));
    for (const entry of exceeded) this.warned.add(entry.key);
    return exceeded;
  }
}

// ---- comparing two drills ----------------------------------------------------------------------

function compared(state: RunState): ComparedRun {
  const drill = analyzeDrill(state);
  return {
    runId: state.runId,
    runbook: state.runbook,
    environment: state.environment.name,
    operator: state.operator,
    status: state.status,
    startedAt: state.startedAt,
    ...optional('totalMs', drill.totalMs),
    drill,
  };
}

function timing(state: RunState, step: StepState | undefined): ComparisonRow['a'] {
  if (!step) return undefined;
  return {
    status: step.status,
    ...optional('durationMs', step.durationMs),
    ...optional('finishedAfterMs', step.finishedAt ? since(state.startedAt, step.finishedAt) : undefined),
  };
}

/**
 * Two runs (drills of the same runbook, usually) side by side: per step and phase durations, deltas;
 * with their state changes when given ({@link stateChangesOfRecords} of each run's journal).
 */
export function compareRuns(a: RunState, b: RunState, stateChanges: { a?: RunStateChanges; b?: RunStateChanges } = {}): RunComparison {
  const left = compared(a);
  const right = compared(b);
  const aSteps = new Map(a.steps.map((step) => [step.key, step]));
  const bSteps = new Map(b.steps.map((step) => [step.key, step]));
  const keys = [...a.steps.map((step) => step.key), ...b.steps.map((step) => step.key).filter((key) => !aSteps.has(key))];
  const steps = keys.map((key): ComparisonRow => {
    const stepA = aSteps.get(key);
    const stepB = bSteps.get(key);
    const rowA = timing(a, stepA);
    const rowB = timing(b, stepB);
    const deltaMs = rowA?.durationMs !== undefined && rowB?.durationMs !== undefined ? rowB.durationMs - rowA.durationMs : undefined;
    return {
      key,
      title: (stepA ?? stepB)!.title,
      kind: (stepA ?? stepB)!.kind,
      depth: key.split('/').length - 1,
      ...(rowA ? { a: rowA } : {}),
      ...(rowB ? { b: rowB } : {}),
      ...optional('deltaMs', deltaMs),
      ...optional('deltaRatio', deltaMs !== undefined && rowA?.durationMs ? deltaMs / rowA.durationMs : undefined),
    };
  });
  const objectiveKeys = [...new Set([...left.drill.objectives.map((o) => o.key), ...right.drill.objectives.map((o) => o.key)])];
  const objectives = objectiveKeys.map((key) => {
    const objectiveA = left.drill.objectives.find((o) => o.key === key);
    const objectiveB = right.drill.objectives.find((o) => o.key === key);
    return { key, title: (objectiveA ?? objectiveB)!.title, ...(objectiveA ? { a: objectiveA } : {}), ...(objectiveB ? { b: objectiveB } : {}) };
  });
  return {
    a: left,
    b: right,
    sameRunbook: a.runbook.id === b.runbook.id,
    sameRunbookText: a.runbook.sha256 === b.runbook.sha256,
    objectives,
    total: {
      ...optional('aMs', left.totalMs),
      ...optional('bMs', right.totalMs),
      ...optional('deltaMs', left.totalMs !== undefined && right.totalMs !== undefined ? right.totalMs - left.totalMs : undefined),
    },
    steps,
    ...optional('stateChanges', compareStateChanges(stateChanges.a, stateChanges.b)),
  };
}

export { planOfSteps } from '../runbook/step-lists';
