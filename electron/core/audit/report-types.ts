/**
 * The shapes of reports about runs — drills, comparisons, host leases, the team's runs — as plain types
 * with no Node import, so the console's renderer can hold the same types the engine produces.
 */
import type { RunStartedEvent, RunStatus, StepStatus } from './events';
import type { StateChangesComparison } from './state-compare';

export type ObjectiveVerdict =
  /** Finished (succeeded) within the objective. */
  | 'met'
  /** Finished after the objective, or the objective passed while it was still running. */
  | 'missed'
  /** The run ended without this finishing successfully (failed, skipped, aborted, never reached). */
  | 'not-reached'
  /** Still running, and the objective has not passed yet. */
  | 'in-progress';

export interface DrillObjectiveResult {
  /** `run` or a step key. */
  key: string;
  title: string;
  kind: 'run' | 'phase' | 'step';
  objectiveMs: number;
  /** From the start of the run to the end of the run or step; absent when it did not end. */
  achievedMs?: number;
  /** The run's or the step's final status. */
  status: RunStatus | StepStatus;
  verdict: ObjectiveVerdict;
  /** objective − achieved: negative when over. Absent without `achievedMs`. */
  marginMs?: number;
}

export interface DrillPhaseTiming {
  key: string;
  title: string;
  status: StepStatus;
  /** When it started, counted from the start of the run. */
  startedAfterMs?: number;
  /** Its own duration. */
  durationMs?: number;
  /** When it ended, counted from the start of the run. */
  finishedAfterMs?: number;
  objectiveMs?: number;
  verdict?: ObjectiveVerdict;
}

export interface DrillStepTiming {
  key: string;
  title: string;
  kind: string;
  status: StepStatus;
  durationMs: number;
  /** Share of the run's duration, 0..1 (absent when the run has no duration yet). */
  share?: number;
}

/** What the report, the console and `audit compare` show about a drill. */
export interface DrillReport {
  /** The run was started as a drill (with objectives). */
  drill: boolean;
  runId: string;
  status: RunStatus;
  /** The run's duration (run.finished), or the time from start to the last record of a run not finished. */
  totalMs?: number;
  objectives: DrillObjectiveResult[];
  /** Every `phase` step, in plan order. */
  phases: DrillPhaseTiming[];
  /** The slowest steps that do work of their own (not phases, loops or includes), slowest first. */
  slowestSteps: DrillStepTiming[];
}

export interface DrillClockEntry {
  key: string;
  title: string;
  objectiveMs: number;
  /** Elapsed from the start of the run to now, or to when it finished. */
  elapsedMs: number;
  state: 'running' | 'met' | 'exceeded' | 'finished-late' | 'not-reached';
}

export interface DrillClockReading {
  /** Since the start of the run. */
  elapsedMs: number;
  entries: DrillClockEntry[];
}

export interface ComparedRun {
  runId: string;
  runbook: RunStartedEvent['runbook'];
  environment: string;
  operator: string;
  status: RunStatus;
  startedAt: string;
  totalMs?: number;
  drill: DrillReport;
}

export interface ComparisonRow {
  key: string;
  title: string;
  kind: string;
  /** Depth in the step tree (0 for top-level steps), for indenting. */
  depth: number;
  a?: { status: StepStatus; durationMs?: number; finishedAfterMs?: number };
  b?: { status: StepStatus; durationMs?: number; finishedAfterMs?: number };
  /** b − a of the durations, when both have one. */
  deltaMs?: number;
  /** deltaMs / a, when a's duration is not 0. */
  deltaRatio?: number;
}

export interface RunComparison {
  a: ComparedRun;
  b: ComparedRun;
  /** Same runbook id. */
  sameRunbook: boolean;
  /** Same runbook text (sha256): the step rows compare like with like. */
  sameRunbookText: boolean;
  /** Whole run, then the objectives of either run. */
  objectives: Array<{ key: string; title: string; a?: DrillObjectiveResult; b?: DrillObjectiveResult }>;
  total: { aMs?: number; bMs?: number; deltaMs?: number };
  /** Every step of either run: A's order, then steps only B has. */
  steps: ComparisonRow[];
  /** What each run changed in the cloud (first state snapshot to last), side by side; absent when neither took two. */
  stateChanges?: StateChangesComparison;
}

/** Who holds (or wants) a lease. */
export interface LeaseHolder {
  runId: string;
  operator: string;
  machine: string;
  pid: number;
  runbook?: string;
}

/** A lease as stored: the latest generation of a host. */
export interface LeaseInfo extends LeaseHolder {
  backend: 'local' | 'team';
  environment: string;
  host: string;
  /** Unique per lease (a uuid locally, the row id in the database). */
  leaseId: string;
  generation: number;
  ttlMs: number;
  /** ISO times. */
  since: string;
  renewedAt: string;
  expiresAt: string;
  /** Its expiry passed (or, locally, its process is gone): anyone may take the host. */
  expired: boolean;
  /** Set when the lease ended (released by its run, or broken by an operator). */
  ended?: LeaseEnd;
}

export interface LeaseEnd {
  kind: 'released' | 'broken';
  at: string;
  operator: string;
  machine: string;
  reason?: string;
}

/** A lease broken by an operator, as recorded. */
export interface LeaseBreak {
  environment: string;
  host: string;
  lease: LeaseInfo;
  by: string;
  machine: string;
  reason: string;
  at: string;
}

/** A run as the team database knows it. */
export interface TeamRunSummary {
  runId: string;
  runbookId: string;
  runbookTitle: string;
  runbookVersion: string;
  environment: string;
  lab: boolean;
  operator: string;
  machine: string;
  /** From run.finished; `running` while a live lease names the run; else `unfinished` (not finished, or not yet replicated). */
  status: RunStatus | 'unfinished';
  startedAt: string;
  finishedAt?: string;
  lastSeq: number;
}

/** One line of the run list. */
export interface RunSummary {
  runId: string;
  runbookId: string;
  runbookTitle: string;
  runbookVersion: string;
  environment: string;
  lab: boolean;
  operator: string;
  /** From run.finished; `running` while a live process holds it; else `interrupted`. */
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  /** The seq of the last complete record. */
  lastSeq: number;
  /** A process on this machine is appending to it now. */
  live: boolean;
}
