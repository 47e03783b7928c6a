/**
 * The ONE contract between the OpsDeck engine and its console: every command (name → request →
 * reply) and every event (name → payload). Electron's main + preload, the WebSocket server
 * (browser mode) and the renderer all take their types from here; nothing is declared twice.
 *
 * Requests are declared as zod schemas in ./schemas.ts (main and the server validate every payload
 * at run time: the renderer is untrusted); their TypeScript types are inferred from those schemas.
 * Replies and events are declared below. This file holds no runtime code except the lists of
 * channel names, so the preload and the renderer can import it without pulling in zod or Node.
 *
 * Channel names read `domain:verb`.
 */
import type { z } from 'zod';
import type { RunEvent, RunStatus, StepStatus, CheckResult } from '../core/audit/events';
import type { PromptNeed } from '../core/audit/events';
import type { PlanStep } from '../core/run/steps/plan-types';
import type { ApprovalRequest } from '../core/approval/types';
import type { ErrorCode } from '../core/error-types';
import type { DrillClockReading, DrillReport, LeaseBreak, LeaseInfo, RunComparison, RunSummary, TeamRunSummary } from '../core/audit/report-types';
import type { ParamSpec, ParamType, ParamValue } from '../core/runbook/model';
import type { ImportResult } from '../core/inventory/import/types';
import type { commandRequestSchemas } from './schemas';

export type { RunEvent, RunStatus, StepStatus, CheckResult, ParamType, ParamValue, PlanStep, PromptNeed, ErrorCode };

// ---- results -----------------------------------------------------------------------------------

/** An error as the console shows it: a stable code for programs, a sentence for a person. */
export interface ApiError {
  code: ErrorCode;
  userMessage: string;
  /** Per-field problems (parameters that cannot start a run), to show next to each field. */
  problems?: Array<{ field: string; message: string }>;
}

/** Every command replies with this: a value, or an error a person can read. Never a thrown exception. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

// ---- names -------------------------------------------------------------------------------------

/** Every command channel. The order is irrelevant; ./schemas.ts must declare exactly these. */
export const COMMAND_NAMES = [
  'library:list',
  'environment:list',
  'environment:open',
  'environment:importPreview',
  'environment:importSave',
  'lab:status',
  'lab:start',
  'hosts:check',
  'hosts:acceptKey',
  'run:plan',
  'run:start',
  'run:list',
  'run:confirm',
  'run:completeManual',
  'run:decide',
  'run:resolveFailure',
  'run:pause',
  'run:resume',
  'run:abort',
  'run:output',
  'run:snapshot',
  'run:overrideApproval',
  'terminal:open',
  'terminal:write',
  'terminal:resize',
  'terminal:ack',
  'terminal:close',
  'terminal:list',
  'audit:list',
  'audit:show',
  'audit:transcript',
  'audit:export',
  'audit:compare',
  'audit:teamList',
  'audit:recordings',
  'audit:cast',
  'audit:facts',
  'locks:list',
  'locks:break',
  'approval:list',
  'approval:answer',
] as const;

/** Every event channel (main → renderer). */
export const EVENT_NAMES = [
  'run:event',
  'terminal:opened',
  'terminal:data',
  'terminal:closed',
  'hosts:checked',
  'lab:status',
  'environment:changed',
  'run:notice',
  'run:drillClock',
] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];
export type EventName = (typeof EVENT_NAMES)[number];

// ---- data shapes -------------------------------------------------------------------------------

/** A runbook parameter, as the start form needs it to render a field and check it early. */
export type ParamField = Omit<ParamSpec, 'source'>;

export interface RunbookSummary {
  id: string;
  title: string;
  version: string;
  description: string;
  tags: string[];
  /** Shipped with OpsDeck, or from the operator's own runbook directory. */
  origin: 'bundled' | 'user';
  file: string;
  params: ParamField[];
  requires: string[];
  stepCount: number;
  /** Problems (warnings) of this runbook's file; runbooks with errors are not usable and not listed. */
  problems: LibraryProblem[];
}

export interface LibraryProblem {
  file: string;
  line: number;
  column: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface LibraryListing {
  runbooks: RunbookSummary[];
  /** Every problem of every file, including files that could not be loaded at all. */
  problems: LibraryProblem[];
  directories: { bundled: string; user: string };
}

export interface HostSummary {
  name: string;
  address: string;
  port: number;
  user: string;
  roles: string[];
}

/** Environments are named by the absolute path of their file. */
export interface EnvironmentSummary {
  environmentId: string;
  name: string;
  /** A lab (loopback test hosts): labelled LAB everywhere it is shown. */
  lab: boolean;
  profile: string;
  file: string;
  hosts: HostSummary[];
  /**
   * The team audit database the environment names (in words), where runs are replicated and hosts
   * leased; absent: local journals and local leases only.
   */
  teamAudit?: string;
}

export type HostCheckState = 'checking' | 'ok' | 'host-key-unknown' | 'host-key-changed' | 'unreachable' | 'auth-failed' | 'error';

/** What checking one host found: reachable, authenticated, and whether its key is known. */
export interface HostCheckResult {
  environmentId: string;
  host: string;
  state: HostCheckState;
  /** The engine's sentence for anything but `ok`. */
  message?: string;
  keyType?: string;
  /** The key the host presented (`SHA256:...`). */
  fingerprint?: string;
  /** For a changed key: what known_hosts expects. */
  expectedFingerprint?: string;
}

export interface LabStatus {
  /** The machine can run the lab (root, sshd, the lab code present). */
  available: boolean;
  /** Why not, when it cannot. */
  reason?: string;
  state: 'stopped' | 'starting' | 'running' | 'failed';
  environmentId?: string;
  message?: string;
}

export interface RunPlan {
  runbookId: string;
  runbookTitle: string;
  environmentId: string;
  environmentName: string;
  lab: boolean;
  /** The checked parameters with defaults filled in; secrets masked. */
  params: Record<string, unknown>;
  hosts: string[];
  steps: PlanStep[];
  rollback: PlanStep[];
}

/** A run event as the console receives it: `at` is when main saw it (ms since the epoch). */
export interface RunEventEnvelope {
  runId: string;
  at: number;
  /** Never `step.output`: output goes to the run's host terminals (`terminal:data`). */
  event: RunEvent;
}

/** A run this console process started and still holds, with what happened so far. */
export interface ActiveRun {
  runId: string;
  plan: RunPlan;
  startedAt: number;
  status: RunStatus;
  events: RunEventEnvelope[];
  /** Lease, replication and drill notices so far (not journal events). */
  notices: RunNotice[];
  /** A drill: its objectives (ms; `run` is the whole run) and the clock's latest reading. */
  drill?: { objectives: Record<string, number>; reading?: DrillClockReading };
}

/**
 * Something about a run that is not one of its journal events: a host lease renewed late, lost or
 * broken; the team database unreachable or caught up; a drill objective passed.
 */
export interface RunNotice {
  runId: string;
  at: number;
  level: 'info' | 'warning' | 'error';
  source: 'lease' | 'team' | 'drill';
  message: string;
}

export interface TerminalInfo {
  terminalId: string;
  /** `shell`: an interactive PTY; `run-output`: one host's output in a run (read only). */
  kind: 'shell' | 'run-output';
  host: string;
  title: string;
  environmentId?: string;
  runId?: string;
  /** Where the transcript is recorded (shells). */
  transcript?: string;
}

/** An inventory import, before it is saved: the proposal and the environment file it would write. */
export interface ImportPreview {
  result: ImportResult;
  text: string;
}
export type { ImportResult, ImportedHost, ImportNote } from '../core/inventory/import/types';

/** A terminal as a (re)connecting window gets it back: what it is and the newest part of its output. */
export interface TerminalReplay {
  info: TerminalInfo;
  /** The connection or the run's output ended. */
  closed: boolean;
  exitCode?: number | null;
  /** The newest part of what the terminal showed (bounded); live output continues after it. */
  recent: string;
  /** Characters shown before `recent` and not kept for a replay (the transcript or journal has them). */
  omittedChars: number;
}

/** A recorded run, as the audit screen lists it. */
export type AuditRunSummary = Omit<RunSummary, 'lastSeq'>;

export interface Verification {
  ok: boolean;
  records: number;
  finished: boolean;
  problems: Array<{ line: number; message: string }>;
  lastHash: string;
}

export interface TimelineEntry {
  seq: number;
  ts: string;
  type: RunEvent['type'];
  step?: string;
  text: string;
}

/** What checking the team database's copy of a run found (`opsdeck audit verify --env`). */
export interface TeamCopyVerification {
  /** `missing`: the database has no record of the run; `unavailable`: it could not be asked. */
  state: 'verified' | 'tampered' | 'missing' | 'unavailable';
  database: string;
  records: number;
  lastSeq: number;
  /** Lines the local journal has that the database does not have yet. */
  notYetReplicated?: number;
  problems: Array<{ seq: number; message: string }>;
  /** Why it could not be asked (`unavailable`). */
  message?: string;
}

export interface AuditRunDetail {
  /** `team`: read from the team database (the run may have been recorded on another machine). */
  source: 'local' | 'team';
  summary: AuditRunSummary;
  /** The local journal's hash chain, or for a team run, the database copy's (`line` is the seq). */
  verification: Verification;
  /** A local run whose environment has a team database: the database copy checked against the journal. */
  teamVerification?: TeamCopyVerification;
  /** Objectives against achieved (drills), phase timings and the slowest steps (every run). */
  drill: DrillReport;
  /** The Markdown report (`opsdeck audit show`). */
  report: string;
  timeline: TimelineEntry[];
  /** Transcript names (`compute01`), one per terminal recorded for the run. */
  transcripts: string[];
  /** What changed between the run's first and last state snapshots, when it took two or more. */
  stateChanges?: SnapshotDiff;
}

export interface Transcript {
  width: number;
  height: number;
  title?: string;
  /** [seconds since start, 'o' output | 'i' input, text] */
  events: Array<[number, 'o' | 'i', string]>;
  /** The replay was cut to a size the console shows; the file holds everything. */
  truncated: boolean;
}

// The state-snapshot diff is the engine's own too (a Node-free module).
export type { SnapshotChange, SnapshotDiff } from '../core/audit/snapshot-diff';
import type { SnapshotDiff } from '../core/audit/snapshot-diff';

// The drill, lease and team shapes are the engine's own, from its Node-free types module.
export type {
  ComparedRun,
  ComparisonRow,
  DrillClockEntry,
  DrillClockReading,
  DrillObjectiveResult,
  DrillPhaseTiming,
  DrillReport,
  DrillStepTiming,
  LeaseBreak,
  LeaseInfo,
  ObjectiveVerdict,
  RunComparison,
  TeamRunSummary,
} from '../core/audit/report-types';

/** A report to save: the text and the file name to offer. */
export interface AuditExport {
  fileName: string;
  mimeType: string;
  text: string;
}

/** The runs the team database knows (`opsdeck audit list --team`). */
export interface TeamRunListing {
  /** The database, in words. */
  database: string;
  runs: TeamRunSummary[];
}

/** Host leases of an environment (`opsdeck locks list`). */
export interface LocksListing {
  backend: 'local' | 'team';
  /** Where they are kept, in words. */
  description: string;
  /** The latest lease of every host, live or expired (ended ones left out). */
  leases: LeaseInfo[];
  /** Breaks recorded, newest first. */
  breaks: LeaseBreak[];
}

/** One piece of a step's output as the journal holds it (the view's copy may have dropped some). */
export interface OutputChunk {
  /** The journal line. */
  seq: number;
  /** When it was written (ISO 8601). */
  ts: string;
  step: string;
  host: string;
  stream: 'stdout' | 'stderr';
  data: string;
}

/** A run's output from its journal (`run:output`): all of it, or one step's. */
export interface RunOutput {
  runId: string;
  /** Each step start (every attempt), in journal order, with its time. */
  starts: Array<{ seq: number; ts: string; step: string; title: string; hosts: string[] }>;
  chunks: OutputChunk[];
  /** The last journal line read: ask with `afterSeq` for what came since (following a live run). */
  lastSeq: number;
  /** More output than one reply carries: the rest is in the journal, read it with `afterSeq`. */
  truncated: boolean;
}

/** A host terminal's recording (`<auditDir>/terminals/*.cast`). */
export interface TerminalRecording {
  /** The file name, which names it in `audit:cast`. */
  name: string;
  title?: string;
  /** When the recording started (ms since the epoch). */
  startedAt: number;
  bytes: number;
}

/** What the audit list shows of a run beyond its summary (`audit:facts`), read from its whole journal. */
export interface AuditRunFacts {
  durationMs?: number;
  /** The journal's hash chain checks out. */
  verified: boolean;
  /** Steps whose last outcome is skipped. */
  skipped: number;
  /** Steps whose last outcome is failed or interrupted. */
  failed: number;
  drill: boolean;
}

/** An asciicast v2 file's text, for the player. */
export interface CastText {
  name: string;
  text: string;
  /** The file is larger than the console plays: only its beginning (whole lines) is here. */
  truncated: boolean;
}

// ---- replies and events ------------------------------------------------------------------------

/** What each command replies with (inside {@link Result}). */
export interface CommandReplies {
  'library:list': LibraryListing;
  'environment:list': EnvironmentSummary[];
  'environment:open': EnvironmentSummary;
  'environment:importPreview': ImportPreview;
  'environment:importSave': { file: string; environment: EnvironmentSummary };
  'lab:status': LabStatus;
  'lab:start': LabStatus;
  'hosts:check': HostCheckResult[];
  'hosts:acceptKey': HostCheckResult;
  'run:plan': RunPlan;
  'run:start': ActiveRun;
  'run:list': ActiveRun[];
  'run:confirm': { matched: boolean };
  'run:completeManual': null;
  'run:decide': null;
  'run:resolveFailure': null;
  'run:pause': null;
  'run:resume': null;
  'run:abort': null;
  'run:output': RunOutput;
  /** A state snapshot taken now and journaled; false when the environment takes none or the run is over. */
  'run:snapshot': { taken: boolean };
  /** Break-glass: the run's operator goes on at a step waiting for a second operator (reason journaled, loud in the report). */
  'run:overrideApproval': null;
  'terminal:open': TerminalInfo;
  'terminal:write': null;
  'terminal:resize': null;
  'terminal:ack': null;
  'terminal:close': null;
  /** Every terminal the console holds (host shells and runs' output), with its recent output. */
  'terminal:list': TerminalReplay[];
  'audit:list': AuditRunSummary[];
  'audit:show': AuditRunDetail;
  'audit:transcript': Transcript;
  'audit:export': AuditExport;
  'audit:compare': RunComparison;
  'audit:teamList': TeamRunListing;
  'audit:recordings': TerminalRecording[];
  'audit:cast': CastText;
  'audit:facts': Record<string, AuditRunFacts>;
  'locks:list': LocksListing;
  'locks:break': LeaseBreak;
  /** Destructive steps of the environment waiting for a second operator (docs/approval.md). */
  'approval:list': ApprovalListing;
  /** This console's operator approves or refuses one (never their own run's). */
  'approval:answer': { approver: string; proof: string };
}

/** What waits for a second operator in an environment, and through what. */
export interface ApprovalListing {
  /** The transport in words (the team database, the spool directory). */
  via: string;
  /** `own`: a run of this console (or of its operator): it cannot be answered here. */
  requests: Array<ApprovalRequest & { own: boolean }>;
}

/** What each event carries. */
export interface EventPayloads {
  'run:event': RunEventEnvelope;
  'terminal:opened': TerminalInfo;
  /** Decoded text, batched; acknowledge with `terminal:ack` once xterm has parsed it. */
  'terminal:data': { terminalId: string; data: string };
  'terminal:closed': { terminalId: string; exitCode: number | null; reason?: string };
  'hosts:checked': HostCheckResult;
  'lab:status': LabStatus;
  'environment:changed': EnvironmentSummary[];
  'run:notice': RunNotice;
  /** A drill's clock against its objectives: every second while it runs, and at each step's end. */
  'run:drillClock': { runId: string; at: number; reading: DrillClockReading };
}

/** A command's request, as the caller may write it (defaults optional). */
export type CommandRequest<Name extends CommandName> = z.input<(typeof commandRequestSchemas)[Name]>;
/** A command's request after validation (defaults filled in): what the service receives. */
export type ValidatedRequest<Name extends CommandName> = z.output<(typeof commandRequestSchemas)[Name]>;
export type CommandReply<Name extends CommandName> = CommandReplies[Name];
export type EventPayload<Name extends EventName> = EventPayloads[Name];

/** The functions the Electron preload exposes as `window.opsdeck` (and the WebSocket client mirrors). */
export interface OpsdeckBridge {
  /** One named function per command. */
  commands: { [Name in CommandName]: (request: CommandRequest<Name>) => Promise<Result<CommandReply<Name>>> };
  /** Subscribes to one event; returns the unsubscribe function. */
  subscribe<Name extends EventName>(name: Name, listener: (payload: EventPayload<Name>) => void): () => void;
}

// Compile-time checks that the name lists, the schemas and the maps agree.
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const replyNamesAgree: Exactly<keyof CommandReplies, CommandName> = true;
const schemaNamesAgree: Exactly<keyof typeof commandRequestSchemas, CommandName> = true;
const eventNamesAgree: Exactly<keyof EventPayloads, EventName> = true;
void replyNamesAgree;
void schemaNamesAgree;
void eventNamesAgree;
