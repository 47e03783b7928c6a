/**
 * The events of a run, as the runner emits them and as the journal stores them (one JSON object per
 * line). The runner emits {@link RunEvent}s; the journal adds `seq`, `ts`, `prev` and `hash` and masks
 * secrets before anything reaches the disk.
 */

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'interrupted';

export type RunStatus = 'running' | 'paused' | 'succeeded' | 'failed' | 'aborted' | 'interrupted' | 'rolled-back' | 'rollback-failed';

export interface CheckResult {
  /** What was checked, in words: `exit code 0`, `stdout contains "ACTIVE"`, `[*].State equals "up"`. */
  name: string;
  ok: boolean;
  /** What was found when it failed. */
  detail?: string;
}

export type CaptureValue = unknown;

export interface RunStartedEvent {
  type: 'run.started';
  runId: string;
  runbook: { id: string; title: string; version: string; file: string; sha256: string };
  environment: { name: string; file: string; profile: string; lab: boolean };
  /** Secrets already masked. */
  params: Record<string, unknown>;
  operator: string;
  machine: string;
  /** Step keys in plan order, with titles and kinds, so a reader knows what was planned. */
  plan: Array<{ key: string; title: string; kind: string }>;
  drill?: { objectives: Record<string, number> };
}

export interface StepStartedEvent {
  type: 'step.started';
  /** The step's key: its id, with the path of enclosing steps (`migrate[2]/live-migrate`). */
  step: string;
  title: string;
  kind: string;
  hosts: string[];
  attempt: number;
}

export interface StepCommandEvent {
  type: 'step.command';
  step: string;
  host: string;
  /** The command as resolved, secrets masked. */
  command: string;
  attempt: number;
}

/** A command is running on a host, as this process there: what a later check of its fate asks about. */
export interface StepRemoteEvent {
  type: 'step.remote';
  step: string;
  host: string;
  /** Process (and session) id of the command on the host. */
  pid: number;
}

export interface StepOutputEvent {
  type: 'step.output';
  step: string;
  host: string;
  stream: 'stdout' | 'stderr';
  /** Decoded UTF-8 (invalid bytes replaced), secrets masked. The transcript keeps the raw bytes. */
  data: string;
}

/**
 * What a run can wait for from the operator: a destructive step's typed confirmation, a manual step
 * marked done or failed, a decision's choice, the fate of a failed step, a second operator's approval
 * of a destructive step (`approval`: the operator can only wait, or break the glass with a reason).
 */
export type PromptNeed = 'confirm' | 'manual' | 'decision' | 'failure' | 'approval';

export interface StepAwaitingEvent {
  type: 'step.awaiting';
  step: string;
  /** What the run waits for from the operator. */
  need: PromptNeed;
  prompt: string;
  /**
   * For confirm: the text to type. For decision: the choices.
   * For failure: the choices are retry / skip / abort / rollback.
   */
  expected?: string;
  choices?: Array<{ id: string; label: string }>;
}

export interface StepFinishedEvent {
  type: 'step.finished';
  step: string;
  status: StepStatus;
  /** Per host for run/wait steps. */
  hosts?: Array<{ host: string; exitCode: number | null; signal: string | null; timedOut: boolean; status: StepStatus; pid?: number }>;
  exitCode?: number | null;
  durationMs: number;
  checks: CheckResult[];
  captures: Record<string, CaptureValue>;
  /** Why it failed, was skipped or interrupted, in words. */
  reason?: string;
  errorCode?: string;
}

export interface OperatorActionEvent {
  type: 'operator.action';
  action: 'confirm' | 'manual-done' | 'manual-failed' | 'decide' | 'skip' | 'retry' | 'pause' | 'resume' | 'abort' | 'rollback' | 'reopen';
  step?: string;
  operator: string;
  /** The text typed at a confirmation. */
  text?: string;
  note?: string;
  reason?: string;
  choice?: string;
}

export interface RunNoteEvent {
  type: 'run.note';
  level: 'info' | 'warning' | 'error';
  message: string;
  step?: string;
}

export interface RunFinishedEvent {
  type: 'run.finished';
  status: RunStatus;
  durationMs: number;
  reason?: string;
}

/** What one read-only probe of a state snapshot answered (see electron/core/run/snapshot.ts). */
export interface SnapshotProbeResult {
  /** `nova_services`, `instances`, ... or a runbook's own probe id. */
  id: string;
  title: string;
  /** How its output is read for the diff (electron/core/audit/snapshot-diff.ts). */
  kind: 'nova-services' | 'hypervisors' | 'instances' | 'rabbitmq-queues' | 'db-cluster' | 'units' | 'text';
  host: string;
  /** As run, secrets masked. */
  command: string;
  exitCode: number | null;
  /** Masked; at most 256 KiB each (`truncated` says when cut). */
  stdout: string;
  stderr: string;
  truncated?: boolean;
  /** Why it gave no answer (connection, timeout). */
  error?: string;
  durationMs: number;
}

/**
 * The state of the cloud as read-only probes saw it: at the start and the end of a run (`label`
 * `start` / `end`), or when asked during it. The report diffs the first against the last.
 */
export interface RunSnapshotEvent {
  type: 'run.snapshot';
  label: string;
  /** The step the run was at, for a snapshot taken during the run. */
  step?: string;
  durationMs: number;
  probes: SnapshotProbeResult[];
}

/**
 * Two-person approval of a destructive step (docs/approval.md). `approval.requested`: the run waits;
 * it names the hosts and the exact commands the second operator is shown.
 */
export interface ApprovalRequestedEvent {
  type: 'approval.requested';
  step: string;
  requestId: string;
  hosts: string[];
  /** As sent to each host's shell (sudo wrapper included), secrets masked. */
  commands: Array<{ host: string; command: string }>;
  /** The transport, in words (the spool directory, the team database). */
  via: string;
}

/**
 * A second operator's answer. `approval.not-counted`: an answer that cannot count (self-approval, an
 * answer file that is a link), recorded while the run keeps waiting.
 */
export type ApprovalAnsweredEvent = ApprovalAnswerFields & ({ type: 'approval.granted' } | { type: 'approval.refused' } | { type: 'approval.not-counted' });

interface ApprovalAnswerFields {
  step: string;
  requestId: string;
  /** As the transport established it: an OS user (spool) or a team database account's operator. */
  approver: string;
  /** How: `uid 1001 (owner of …)`, `db account bob@localhost`. */
  proof: string;
  reason: string;
  /** Why it does not count (not-counted only). */
  why?: string;
}

/** Break-glass: the run's own operator went on without a second operator, with a reason. */
export interface ApprovalOverriddenEvent {
  type: 'approval.overridden';
  step: string;
  requestId: string;
  operator: string;
  reason: string;
  /** When it came through the transport (`opsdeck approve --break-glass` from another terminal): who, as it established. */
  proof?: string;
}

export type ApprovalEvent = ApprovalRequestedEvent | ApprovalAnsweredEvent | ApprovalOverriddenEvent;

export type RunEvent =
  | ApprovalRequestedEvent
  | ApprovalAnsweredEvent
  | ApprovalOverriddenEvent
  | RunSnapshotEvent
  | RunStartedEvent
  | StepStartedEvent
  | StepCommandEvent
  | StepRemoteEvent
  | StepOutputEvent
  | StepAwaitingEvent
  | StepFinishedEvent
  | OperatorActionEvent
  | RunNoteEvent
  | RunFinishedEvent;

/** An event as stored: the run event plus its place in the hash chain. */
export type JournalRecord = RunEvent & {
  /** 1-based position in the journal. */
  seq: number;
  /** ISO 8601 time the event was written. */
  ts: string;
  /** `hash` of the previous record ('' hashed for the first). */
  prev: string;
  /** sha256 hex of this record's canonical JSON without `hash`. */
  hash: string;
};

/** Events after which the journal is fsynced: a crash never loses a step boundary. */
export const DURABLE_EVENT_TYPES: ReadonlySet<RunEvent['type']> = new Set([
  'run.started',
  'step.started',
  'step.finished',
  'step.awaiting',
  'operator.action',
  'run.finished',
  'approval.requested',
  'approval.granted',
  'approval.refused',
  'approval.not-counted',
  'approval.overridden',
]);

/**
 * The prompts an event ends — the runner's rule (electron/core/run/prompts.ts, runner.ts), which
 * every fold of run events must follow: the journal's replay (replay.ts) and the console's live view
 * (renderer/stores/runs.ts). A step's end or an answer ends that step's prompt; an abort, a rollback,
 * a reopening and the run's end end every prompt (the runner cancels them all, and no step.finished
 * follows a failure prompt that an abort cancelled). Pause and resume answer nothing, and neither
 * does a confirmation that did not match: the step still waits.
 */
export function promptsEndedBy(event: RunEvent): 'none' | 'all' | { step: string } {
  switch (event.type) {
    case 'step.finished':
      return { step: event.step };
    case 'run.finished':
      return 'all';
    // The second operator's answer, or the break-glass, ends the wait for approval like a reply.
    case 'approval.granted':
    case 'approval.refused':
    case 'approval.overridden':
      return { step: event.step };
    case 'operator.action':
      if (event.action === 'abort' || event.action === 'rollback' || event.action === 'reopen') return 'all';
      if (event.action === 'pause' || event.action === 'resume' || isUnmatchedConfirmation(event)) return 'none';
      return event.step === undefined ? 'none' : { step: event.step };
    default:
      return 'none';
  }
}

/** A typed confirmation that did not match: recorded with a note, and the step still waits. */
export function isUnmatchedConfirmation(event: RunEvent): boolean {
  return event.type === 'operator.action' && event.action === 'confirm' && !!event.note;
}

/**
 * A run's status after an event, for every fold of run events: running from its start, paused by a
 * pause or a reopening (the operator decides what happens next), running again on resume, and what
 * run.finished says at its end.
 */
export function runStatusAfter(status: RunStatus, event: RunEvent): RunStatus {
  switch (event.type) {
    case 'run.started':
      return 'running';
    case 'run.finished':
      return event.status;
    case 'operator.action':
      if (event.action === 'pause' || event.action === 'reopen') return 'paused';
      if (event.action === 'resume') return 'running';
      return status;
    default:
      return status;
  }
}
