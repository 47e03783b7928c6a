/**
 * Rebuilds a run's state from its journal, and reopens a run that OpsDeck lost sight of.
 *
 * The journal is the truth: a step is succeeded only if a `step.finished {status: 'succeeded'}` says
 * so. A step that started and never finished, in a journal that no live process is appending to, is
 * `interrupted` — never pending, never succeeded.
 *
 * The console's live view folds the same events its own way (renderer/stores/runs.ts says why they
 * are two folds); the rules both must share, which prompts an event ends and what the run's status
 * becomes, live in events.ts.
 */
import type { CheckResult, JournalRecord, OperatorActionEvent, RunNoteEvent, RunStartedEvent, RunStatus, StepAwaitingEvent, StepFinishedEvent, StepStatus } from './events';
import { promptsEndedBy, runStatusAfter } from './events';
import { OpsError } from '../errors';
import { Journal, type JournalOptions } from './journal';
import { Masker } from './mask';
import { runDir, isLockLive, readLock } from './files';
import { AuditStore } from './store';

/** Why a step in flight is marked interrupted when its run is reopened. */
export const INTERRUPTED_REASON = 'OpsDeck stopped while this step was running (process killed or crashed); its outcome on the host is unknown';

export interface StepCommand {
  host: string;
  command: string;
  attempt: number;
  seq: number;
}

/** One step as the journal tells it. */
export interface StepState {
  /** The step key (`migrate[2]/live-migrate`). */
  key: string;
  title: string;
  kind: string;
  status: StepStatus;
  /** How many times it was started (0: never). */
  attempts: number;
  hosts: string[];
  /** ISO times from the journal: the last start, and its finish. */
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  exitCode?: number | null;
  hostResults?: StepFinishedEvent['hosts'];
  checks: CheckResult[];
  captures: Record<string, unknown>;
  commands: StepCommand[];
  reason?: string;
  errorCode?: string;
  /** Set while the step waits for the operator (the last `step.awaiting` not yet answered). */
  awaiting?: Omit<StepAwaitingEvent, 'type' | 'step'>;
  /** In the run's plan (false for steps only seen in the journal, e.g. expanded loop iterations). */
  planned: boolean;
}

export type ActionRecord = OperatorActionEvent & { seq: number; ts: string };
export type NoteRecord = RunNoteEvent & { seq: number; ts: string };

/** One attempt of a run: from its start (or its reopening) to its end; a resumed run has several. */
export interface RunAttempt {
  attempt: number;
  startedAt: string;
  finishedAt?: string;
  status?: RunStatus;
  reason?: string;
}

/** A run as rebuilt from its journal; what a runner needs to resume it and a report needs to tell it. */
export interface RunState {
  runId: string;
  runbook: RunStartedEvent['runbook'];
  environment: RunStartedEvent['environment'];
  params: Record<string, unknown>;
  operator: string;
  machine: string;
  plan: RunStartedEvent['plan'];
  drill?: RunStartedEvent['drill'];
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  /** Wall-clock, from the run's start to its (last) end, across every attempt. */
  durationMs?: number;
  /** Why the run ended as it did (run.finished reason, or why it is interrupted). */
  reason?: string;
  /** The run's attempts: one, or more when it failed (or was interrupted) and was resumed. */
  attempts: RunAttempt[];
  /** Steps in plan order, then steps that only the journal knows, in order of first appearance. */
  steps: StepState[];
  /** Every capture so far, later steps overriding earlier ones of the same name. */
  captures: Record<string, unknown>;
  /** Decisions taken, in order. */
  decisions: Array<{ step?: string; choice?: string; operator: string; seq: number; ts: string }>;
  /** Every operator action, in order. */
  actions: ActionRecord[];
  notes: NoteRecord[];
  /** Steps started and not finished (running, or waiting for the operator). */
  inFlight: string[];
  /** Top-level step keys (no `/`) in the order they succeeded, each once: what a rollback undoes. */
  completedOrder: string[];
  /** The first planned step neither succeeded nor skipped: where a resumed run continues. */
  resumeFrom?: string;
  /** The journal's last seq and hash. */
  lastSeq: number;
  lastHash: string;
}

export interface ReplayOptions {
  /**
   * A live process is still appending to this journal: steps in flight are running, not interrupted.
   * Default false (the journal is read after the fact).
   */
  live?: boolean;
}

function newStep(key: string, title = key, kind = 'unknown', planned = false): StepState {
  return { key, title, kind, status: 'pending', attempts: 0, hosts: [], checks: [], captures: {}, commands: [], planned };
}

/** Rebuilds the state of a run from its records (as {@link AuditStore.records} returns them). */
export function replayRun(records: readonly JournalRecord[], options: ReplayOptions = {}): RunState {
  const first = records[0];
  if (!first || first.type !== 'run.started') {
    throw new OpsError('journal-invalid', 'This journal does not start with a run.started record; it cannot be replayed.');
  }
  const state: RunState = {
    runId: first.runId,
    runbook: first.runbook,
    environment: first.environment,
    params: first.params,
    operator: first.operator,
    machine: first.machine,
    plan: first.plan,
    ...(first.drill ? { drill: first.drill } : {}),
    status: 'running',
    startedAt: first.ts,
    attempts: [{ attempt: 1, startedAt: first.ts }],
    steps: [],
    captures: {},
    decisions: [],
    actions: [],
    notes: [],
    inFlight: [],
    completedOrder: [],
    lastSeq: first.seq,
    lastHash: first.hash,
  };
  const steps = new Map<string, StepState>();
  for (const planned of first.plan) {
    const step = newStep(planned.key, planned.title, planned.kind, true);
    steps.set(planned.key, step);
    state.steps.push(step);
  }
  const stepOf = (key: string): StepState => {
    let step = steps.get(key);
    if (!step) {
      step = newStep(key);
      steps.set(key, step);
      state.steps.push(step);
    }
    return step;
  };
  let finished = false;

  let lastTs = first.ts;
  for (const record of records.slice(1)) {
    state.lastSeq = record.seq;
    state.lastHash = record.hash;
    const previousTs = lastTs;
    lastTs = record.ts;
    switch (record.type) {
      case 'step.started': {
        const step = stepOf(record.step);
        step.title = record.title;
        step.kind = record.kind;
        step.hosts = record.hosts;
        step.attempts = Math.max(step.attempts + 1, record.attempt);
        step.status = 'running';
        step.startedAt = record.ts;
        step.commands = [];
        step.checks = [];
        delete step.finishedAt;
        delete step.durationMs;
        delete step.exitCode;
        delete step.hostResults;
        delete step.reason;
        delete step.errorCode;
        delete step.awaiting;
        break;
      }
      case 'step.command':
        stepOf(record.step).commands.push({ host: record.host, command: record.command, attempt: record.attempt, seq: record.seq });
        break;
      case 'step.awaiting': {
        const { type: _type, step: key, seq: _seq, ts: _ts, prev: _prev, hash: _hash, ...awaiting } = record;
        const step = stepOf(key);
        step.awaiting = awaiting;
        if (step.status === 'pending') step.status = 'running';
        break;
      }
      case 'step.finished': {
        const step = stepOf(record.step);
        step.status = record.status;
        step.finishedAt = record.ts;
        step.durationMs = record.durationMs;
        step.checks = record.checks;
        step.captures = record.captures;
        if (record.exitCode !== undefined) step.exitCode = record.exitCode;
        if (record.hosts) step.hostResults = record.hosts;
        if (record.reason !== undefined) step.reason = record.reason;
        if (record.errorCode !== undefined) step.errorCode = record.errorCode;
        Object.assign(state.captures, record.captures);
        if (record.status === 'succeeded' && !record.step.includes('/') && !state.completedOrder.includes(record.step)) {
          state.completedOrder.push(record.step);
        }
        break;
      }
      case 'operator.action': {
        const action: ActionRecord = stripChain(record);
        state.actions.push(action);
        if (record.step) {
          const step = stepOf(record.step);
          if (record.action === 'skip' && step.status !== 'succeeded') {
            step.status = 'skipped';
            if (record.reason !== undefined) step.reason = record.reason;
          }
        }
        if (record.action === 'reopen') {
          const current = state.attempts[state.attempts.length - 1];
          if (!current.finishedAt) {
            // OpsDeck stopped during this attempt: it ended with the last record before the reopening.
            current.finishedAt = previousTs;
            current.status = 'interrupted';
          }
          state.attempts.push({ attempt: state.attempts.length + 1, startedAt: record.ts });
        }
        if (record.action === 'reopen' && finished) {
          // A run that ended interrupted or failed, reopened to go on: it is open again.
          finished = false;
          delete state.finishedAt;
          delete state.durationMs;
          delete state.reason;
        }
        if (record.action === 'decide') {
          state.decisions.push({
            ...(record.step !== undefined ? { step: record.step } : {}),
            ...(record.choice !== undefined ? { choice: record.choice } : {}),
            operator: record.operator,
            seq: record.seq,
            ts: record.ts,
          });
        }
        break;
      }
      case 'run.note':
        state.notes.push(stripChain(record));
        break;
      case 'run.finished': {
        finished = true;
        state.finishedAt = record.ts;
        // The runner measures its own attempt; a resumed run lasted from its first start to this end.
        state.durationMs = state.attempts.length > 1 ? Math.max(Date.parse(record.ts) - Date.parse(state.startedAt), record.durationMs) : record.durationMs;
        if (record.reason !== undefined) state.reason = record.reason;
        const current = state.attempts[state.attempts.length - 1];
        current.finishedAt = record.ts;
        current.status = record.status;
        if (record.reason !== undefined) current.reason = record.reason;
        break;
      }
      case 'run.started':
      case 'step.output':
        break;
    }
    // The run's status and its open prompts follow the rules the console's live view follows too (events.ts).
    state.status = runStatusAfter(state.status, record);
    const ended = promptsEndedBy(record);
    if (ended === 'all') for (const step of state.steps) delete step.awaiting;
    else if (ended !== 'none') delete stepOf(ended.step).awaiting;
  }

  const inFlight = state.steps.filter((step) => step.status === 'running');
  if (!finished && !options.live) {
    state.status = 'interrupted';
    state.reason ??= 'The journal has no run.finished and no OpsDeck process is running it: OpsDeck stopped during the run.';
    for (const step of inFlight) {
      step.status = 'interrupted';
      step.reason = INTERRUPTED_REASON;
    }
  }
  state.inFlight = inFlight.map((step) => step.key);
  const resume = state.steps.find((step) => step.planned && step.status !== 'succeeded' && step.status !== 'skipped');
  if (resume) state.resumeFrom = resume.key;
  return state;
}

function stripChain<T extends JournalRecord>(record: T): Omit<T, 'prev' | 'hash'> {
  const { prev: _prev, hash: _hash, ...rest } = record;
  return rest;
}

/** Final statuses a run can be reopened from. */
const REOPENABLE: ReadonlySet<RunStatus> = new Set(['interrupted', 'failed']);

export interface ReopenOptions extends JournalOptions {
  /** Masks what the reopen appends (the operator's name cannot hold secrets, but be consistent). */
  masker?: Masker;
  /** The clock for durations (tests). */
  nowMs?: () => number;
}

/**
 * Reopens a run whose OpsDeck process is gone: repairs a torn end (see {@link Journal.open}), appends a
 * `step.finished {status: 'interrupted'}` for each step in flight and an `operator.action {action:
 * 'reopen'}`, closes the journal, and returns the run's state: status `paused` (the operator decides
 * what happens next), the interrupted steps marked, `resumeFrom` the first planned step not done.
 * A runner resuming the run opens the journal again with {@link Journal.open}.
 *
 * @param runId the run id or a unique prefix of it.
 * @throws OpsError `run-in-use` while a live process holds the run; `run-finished` for a finished run;
 * `audit-run-not-found` / `audit-run-ambiguous` for an id that names no run or several.
 */
export function reopenRun(auditDir: string, runId: string, operator: string, options: ReopenOptions = {}): RunState {
  const store = new AuditStore(auditDir);
  const id = store.resolve(runId);
  const lock = readLock(runDir(auditDir, id));
  if (lock && lock.pid !== process.pid && isLockLive(lock)) {
    throw new OpsError('run-in-use', `Run ${id} is still being run by OpsDeck process ${lock.pid}; it cannot be reopened.`);
  }
  const records = store.records(id);
  if (records.length === 0) {
    // Killed between creating the journal and writing run.started: no step can have been sent.
    throw new OpsError(
      'run-never-started',
      `Run ${id} was stopped before its first record was written (its journal is empty): nothing of it ran on any host. Start the runbook again.`,
    );
  }
  const before = replayRun(records, { live: true });
  // A run that ended on a lost connection or a failed step can go on from there (the interrupted or
  // failed step runs again); one that succeeded, was aborted or rolled back is over.
  if (before.finishedAt !== undefined && !REOPENABLE.has(before.status)) {
    throw new OpsError('run-finished', `Run ${id} finished (${before.status}); only an interrupted or failed run can be reopened. Start a new run instead.`);
  }
  const journal = Journal.open(auditDir, id, options.masker ?? new Masker(), options);
  try {
    const now = options.nowMs ?? Date.now;
    for (const key of before.inFlight) {
      const step = before.steps.find((candidate) => candidate.key === key);
      const started = step?.startedAt ? Date.parse(step.startedAt) : now();
      journal.append({
        type: 'step.finished',
        step: key,
        status: 'interrupted',
        durationMs: Math.max(now() - started, 0),
        checks: [],
        captures: {},
        reason: INTERRUPTED_REASON,
        errorCode: 'interrupted',
      });
    }
    journal.append({ type: 'operator.action', action: 'reopen', operator });
  } finally {
    journal.close();
  }
  return replayRun(store.records(id), { live: true });
}
