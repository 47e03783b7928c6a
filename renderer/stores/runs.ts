/**
 * Runs this console started: their plan, every step's live status and timing, and what each run
 * waits for from the operator. Updated only from `run:event` envelopes (see ../api/connect.ts) and
 * from `run:start` / `run:list` replies. Output never comes here: it goes to the host terminals.
 */
import { create } from 'zustand';
import type {
  ActiveRun,
  ApiError,
  CheckResult,
  CommandReply,
  CommandRequest,
  DrillClockReading,
  PlanStep,
  PromptNeed,
  RunEventEnvelope,
  RunNotice,
  RunOutput,
  Result,
  RunPlan,
  RunStatus,
  StepStatus,
} from '../../electron/api/contract';
import { isUnmatchedConfirmation, promptsEndedBy, runStatusAfter } from '../../electron/api/run-rules';
import { api } from '../api/client';

export interface StepView {
  key: string;
  title: string;
  kind: string;
  depth: number;
  status: StepStatus;
  /** When it started (ms since the epoch, as main saw it). */
  startedAt?: number;
  durationMs?: number;
  attempt: number;
  hosts: string[];
  /** Each host's outcome, from step.finished (run and wait steps on hosts); empty until the step ends. */
  hostOutcomes: HostOutcome[];
  /** The command as resolved, per host (the last attempt). */
  commands: Record<string, string>;
  checks: CheckResult[];
  captures: Record<string, unknown>;
  reason?: string;
  /** From the plan: description, planned checks and captures. */
  planned?: PlanStep;
  /** Since when it waits for the operator (a prompt is open). */
  waitingSince?: number;
  /** Time spent waiting for the operator in earlier prompts of this step (ms). */
  waitedMs?: number;
}

/** How a step ended on one host. */
export interface HostOutcome {
  host: string;
  status: StepStatus;
  exitCode: number | null;
}

export interface PendingPrompt {
  step: string;
  need: PromptNeed;
  prompt: string;
  expected?: string;
  choices?: Array<{ id: string; label: string }>;
  /** The last confirmation typed did not match. */
  mismatch?: boolean;
}

export interface RunNote {
  at: number;
  level: 'info' | 'warning' | 'error';
  message: string;
  step?: string;
  /** Not from the journal: a host lease, the team database, or the drill clock. */
  source?: RunNotice['source'];
}

export interface RunView {
  runId: string;
  plan?: RunPlan;
  runbookId: string;
  title: string;
  environment: string;
  lab: boolean;
  status: RunStatus;
  startedAt: number;
  finishedAt?: number;
  reason?: string;
  steps: Record<string, StepView>;
  stepOrder: string[];
  pending: Record<string, PendingPrompt>;
  /** run.note events from the journal. */
  notes: RunNote[];
  /** Lease, team database and drill notices (run:notice), in order. */
  notices: RunNote[];
  /** A drill: its objectives, and the clock's latest reading from main. */
  drill?: { objectives: Record<string, number>; reading?: DrillClockReading };
  hosts: string[];
  /**
   * The console no longer holds this run (it was restarted while the run was live): its state is
   * unknown here; the journal in Audit says how it ended.
   */
  gone?: boolean;
  /** The last envelope applied (envelopes replayed from run:list are not applied twice). */
  lastAt: number;
  applied: number;
}

/** A run known only by its id so far (events can arrive before the run:start reply). */
export function emptyRun(runId: string, at: number): RunView {
  return {
    runId,
    runbookId: '',
    title: runId,
    environment: '',
    lab: false,
    status: 'running',
    startedAt: at,
    steps: {},
    stepOrder: [],
    pending: {},
    notes: [],
    notices: [],
    hosts: [],
    lastAt: at,
    applied: 0,
  };
}

function planSteps(plan: RunPlan): StepView[] {
  return plan.steps.map((step) => ({
    key: step.key,
    title: step.title,
    kind: step.kind,
    depth: step.depth,
    status: 'pending',
    attempt: 0,
    hosts: step.hosts,
    hostOutcomes: [],
    commands: {},
    checks: [],
    captures: {},
    planned: step,
  }));
}

/** Adds the plan's steps (pending) to a run, keeping whatever events already set. */
export function withPlan(run: RunView, plan: RunPlan): RunView {
  const steps = { ...run.steps };
  const order = [...run.stepOrder];
  for (const step of planSteps(plan)) {
    if (steps[step.key]) steps[step.key] = { ...steps[step.key], planned: step.planned, depth: step.depth };
    else {
      steps[step.key] = step;
      order.push(step.key);
    }
  }
  // Plan order first, then steps only the run revealed (rollback, loop iterations), as they came.
  const planned = plan.steps.map((step) => step.key);
  const rest = order.filter((key) => !planned.includes(key));
  return {
    ...run,
    plan,
    runbookId: plan.runbookId,
    title: plan.runbookTitle,
    environment: plan.environmentName,
    lab: plan.lab,
    hosts: run.hosts.length > 0 ? run.hosts : plan.hosts,
    steps,
    stepOrder: [...planned, ...rest],
  };
}

function updateStep(run: RunView, key: string, change: (step: StepView) => StepView, create: () => StepView): RunView {
  const existing = run.steps[key];
  const step = change(existing ?? create());
  return {
    ...run,
    steps: { ...run.steps, [key]: step },
    stepOrder: existing ? run.stepOrder : [...run.stepOrder, key],
  };
}

/** Closes the prompts an event ends (one step's, or every one), stopping their steps' waiting clocks. */
function endPrompts(run: RunView, ended: ReturnType<typeof promptsEndedBy>, at: number): RunView {
  if (ended === 'none') return run;
  const keys = ended === 'all' ? Object.keys(run.pending) : [ended.step];
  let next = run;
  for (const key of keys) next = withWaiting(next, key, at, 'stop');
  if (ended === 'all') return Object.keys(next.pending).length === 0 ? next : { ...next, pending: {} };
  if (!next.pending[ended.step]) return next;
  const pending = { ...next.pending };
  delete pending[ended.step];
  return { ...next, pending };
}

/** Starts or stops a step's clock of waiting for the operator (working time is the rest). */
function withWaiting(run: RunView, key: string, at: number, change: 'start' | 'stop'): RunView {
  const step = run.steps[key];
  if (!step) return run;
  // Only a prompt inside a running step (confirmation, manual, decision) is part of its duration.
  if (change === 'start') return step.waitingSince === undefined && step.status === 'running' ? { ...run, steps: { ...run.steps, [key]: { ...step, waitingSince: at } } } : run;
  if (step.waitingSince === undefined) return run;
  const waited = { ...step, waitingSince: undefined, waitedMs: (step.waitedMs ?? 0) + Math.max(0, at - step.waitingSince) };
  return { ...run, steps: { ...run.steps, [key]: waited } };
}

function depthOf(key: string): number {
  return key.split('/').length - 1 - (key.startsWith('rollback/') || key.startsWith('finally/') ? 1 : 0);
}

/**
 * Applies one run event to a run's view. Pure, so it is tested on its own.
 *
 * Not the journal's replay (electron/core/audit/replay.ts), though both fold the same events into
 * step statuses, host outcomes and prompts: the replay reads a journal from its run.started on,
 * after the fact, and infers what only hindsight knows (steps interrupted when no process appends
 * any more, where a resumed run goes on, the attempts of a reopened run, the undo order, every
 * command with its seq); this view follows a live run from whatever event comes first (events can
 * overtake the plan, whose steps bring depth and description), marks a mistyped confirmation,
 * times the operator's waits, and keeps unchanged steps identical so React redraws only what
 * changed. They also differ on purpose in one place: a step waiting for its confirmation before it
 * starts is pending here (nothing ran yet) and in flight there (so a crash then marks it
 * interrupted). What both must decide alike, which prompts an event ends and the run's status, is
 * decided once, in electron/core/audit/events.ts (reached through electron/api/run-rules.ts).
 */
export function reduceRunEvent(run: RunView, envelope: RunEventEnvelope): RunView {
  const { event, at } = envelope;
  const next = { ...run, lastAt: at, applied: run.applied + 1 };
  const fresh = (key: string, title = key, kind = 'run'): StepView => ({
    key,
    title,
    kind,
    depth: depthOf(key),
    status: 'pending',
    attempt: 0,
    hosts: [],
    hostOutcomes: [],
    commands: {},
    checks: [],
    captures: {},
  });
  switch (event.type) {
    case 'run.started':
      return {
        ...next,
        runbookId: event.runbook.id,
        title: next.plan ? next.title : event.runbook.title,
        environment: event.environment.name,
        lab: event.environment.lab,
        startedAt: at,
        status: runStatusAfter(next.status, event),
      };
    case 'step.started':
      return updateStep(
        next,
        event.step,
        (step) => ({
          ...step,
          title: step.planned ? step.title : event.title,
          kind: event.kind,
          status: 'running',
          startedAt: at,
          durationMs: undefined,
          attempt: step.attempt + 1,
          hosts: event.hosts.length > 0 ? event.hosts : step.hosts,
          hostOutcomes: [],
          checks: [],
          captures: {},
          reason: undefined,
          waitingSince: undefined,
          waitedMs: undefined,
        }),
        () => fresh(event.step, event.title, event.kind),
      );
    case 'step.command':
      return updateStep(
        next,
        event.step,
        (step) => ({ ...step, commands: { ...step.commands, [event.host]: event.command } }),
        () => fresh(event.step),
      );
    case 'step.remote':
      return next;
    case 'step.awaiting':
      return {
        ...(next.steps[event.step] ? withWaiting(next, event.step, at, 'start') : next),
        pending: {
          ...next.pending,
          [event.step]: { step: event.step, need: event.need, prompt: event.prompt, expected: event.expected, choices: event.choices },
        },
      };
    case 'step.finished': {
      const finished = updateStep(
        next,
        event.step,
        (step) => ({
          ...step,
          status: event.status,
          durationMs: event.durationMs,
          startedAt: step.startedAt ?? at - event.durationMs,
          checks: event.checks,
          captures: event.captures,
          reason: event.reason,
          hostOutcomes: (event.hosts ?? []).map((host) => ({ host: host.host, status: host.status, exitCode: host.exitCode })),
        }),
        () => fresh(event.step),
      );
      return endPrompts(finished, promptsEndedBy(event), at);
    }
    case 'operator.action': {
      // Pause, resume and which prompts an answer ends: the runner's rules, shared with the journal's replay.
      const acted = { ...next, status: runStatusAfter(next.status, event) };
      const mistyped = isUnmatchedConfirmation(event) && event.step !== undefined ? acted.pending[event.step] : undefined;
      if (mistyped) return { ...acted, pending: { ...acted.pending, [mistyped.step]: { ...mistyped, mismatch: true } } };
      return endPrompts(acted, promptsEndedBy(event), at);
    }
    case 'run.note':
      return { ...next, notes: [...next.notes, { at, level: event.level, message: event.message, step: event.step }] };
    case 'run.finished':
      return { ...endPrompts(next, promptsEndedBy(event), at), status: runStatusAfter(next.status, event), finishedAt: at, reason: event.reason };
    case 'step.output':
    case 'run.snapshot':
      return next;
    case 'approval.requested':
    case 'approval.granted':
    case 'approval.refused':
    case 'approval.not-counted':
    case 'approval.overridden':
      // What the approval prompt shows comes with step.awaiting; the answer ends it like any reply (events.ts).
      return endPrompts(next, promptsEndedBy(event), at);
  }
}

/** The commands that act on a run (every one names its runId). */
export type RunCommand = 'run:confirm' | 'run:decide' | 'run:completeManual' | 'run:resolveFailure' | 'run:pause' | 'run:resume' | 'run:abort' | 'run:overrideApproval';

interface RunsState {
  runs: Record<string, RunView>;
  /** The last action's refusal per run, shown on the run screen. */
  actionError: Record<string, string | undefined>;
  /** Newest first. */
  order: string[];
  selectedRunId?: string;
  selectedStep: Record<string, string | undefined>;
  /** A run:start or run:list reply. */
  hydrate(active: ActiveRun): void;
  apply(envelope: RunEventEnvelope): void;
  notice(notice: RunNotice): void;
  drillClock(update: { runId: string; at: number; reading: DrillClockReading }): void;
  selectRun(runId: string | undefined): void;
  selectStep(runId: string, step: string): void;
  /** After a reconnect: the runs the backend holds now; any other live run is marked gone. */
  reconcile(active: ActiveRun[]): void;
  /** The plan a run would follow with these values (nothing runs). */
  plan(request: CommandRequest<'run:plan'>): Promise<Result<RunPlan>>;
  /**
   * A run's output as its journal holds it (one step's or all; what came after `afterSeq`). Handed
   * to the caller, never kept here: output is not state (it can be megabytes).
   */
  readOutput(request: CommandRequest<'run:output'>): Promise<Result<RunOutput>>;
  /** Takes a state snapshot of a live run now; the answer goes back to the button that asked. */
  snapshot(request: CommandRequest<'run:snapshot'>): Promise<Result<CommandReply<'run:snapshot'>>>;
  /** Starts a run; shows it. Resolves to the refusal, if any. */
  start(request: CommandRequest<'run:start'>): Promise<ApiError | undefined>;
  /** Sends an answer or a control (pause, abort…) for a run; its refusal goes to actionError. */
  act<Name extends RunCommand>(name: Name, request: CommandRequest<Name>): Promise<void>;
}

export const useRunsStore = create<RunsState>()((set, get) => ({
  runs: {},
  order: [],
  selectedStep: {},
  actionError: {},
  hydrate: (active) =>
    set((state) => {
      let run = withPlan(state.runs[active.runId] ?? emptyRun(active.runId, active.startedAt), active.plan);
      // Replay only the envelopes this view has not seen (it may have been live all along).
      for (const envelope of active.events.slice(run.applied)) run = reduceRunEvent(run, envelope);
      // Notices and the clock: main's copy is complete unless events overtook the reply.
      if (active.notices.length >= run.notices.length) run = { ...run, notices: active.notices.map(noteOf) };
      if (active.drill) run = { ...run, drill: { objectives: active.drill.objectives, reading: run.drill?.reading ?? active.drill.reading } };
      return {
        runs: { ...state.runs, [active.runId]: run },
        order: state.order.includes(active.runId) ? state.order : [active.runId, ...state.order],
      };
    }),
  apply: (envelope) =>
    set((state) => {
      const run = reduceRunEvent(state.runs[envelope.runId] ?? emptyRun(envelope.runId, envelope.at), envelope);
      return {
        runs: { ...state.runs, [envelope.runId]: run },
        order: state.order.includes(envelope.runId) ? state.order : [envelope.runId, ...state.order],
      };
    }),
  notice: (notice) =>
    set((state) => {
      const run = state.runs[notice.runId] ?? emptyRun(notice.runId, notice.at);
      return { runs: { ...state.runs, [notice.runId]: { ...run, notices: [...run.notices, noteOf(notice)] } } };
    }),
  drillClock: ({ runId, at, reading }) =>
    set((state) => {
      const run = state.runs[runId] ?? emptyRun(runId, at);
      const objectives = run.drill?.objectives ?? Object.fromEntries(reading.entries.map((entry) => [entry.key, entry.objectiveMs]));
      return { runs: { ...state.runs, [runId]: { ...run, drill: { objectives, reading } } } };
    }),
  selectRun: (runId) => set({ selectedRunId: runId }),
  selectStep: (runId, step) => set((state) => ({ selectedStep: { ...state.selectedStep, [runId]: step } })),
  reconcile: (active) => {
    for (const run of active) get().hydrate(run);
    const held = new Set(active.map((run) => run.runId));
    set((state) => {
      const runs = { ...state.runs };
      for (const [runId, run] of Object.entries(runs)) {
        if (!held.has(runId) && isRunLive(run.status) && !run.gone) runs[runId] = { ...run, gone: true, pending: {} };
      }
      return { runs };
    });
  },
  plan: (request) => api().call('run:plan', request),
  readOutput: (request) => api().call('run:output', request),
  snapshot: (request) => api().call('run:snapshot', request),
  start: async (request) => {
    const result = await api().call('run:start', request);
    if (!result.ok) return result.error;
    get().hydrate(result.value);
    get().selectRun(result.value.runId);
    return undefined;
  },
  act: async (name, request) => {
    const runId = request.runId;
    const result = await api().call(name, request);
    set((state) => ({ actionError: { ...state.actionError, [runId]: result.ok ? undefined : result.error.userMessage } }));
  },
}));

function noteOf(notice: RunNotice): RunNote {
  return { at: notice.at, level: notice.level, message: notice.message, source: notice.source };
}

/** Journal notes and notices together, in time order: what the run view lists. */
export function runNotes(run: RunView): RunNote[] {
  return [...run.notes, ...run.notices].sort((a, b) => a.at - b.at);
}

/** True while the run can still change. */
export function isRunLive(status: RunStatus): boolean {
  return status === 'running' || status === 'paused';
}

/**
 * What the console can say of a run's state: its status, or `unknown` while the backend cannot be
 * reached (a live run may have moved on) or after the console lost it (restarted mid-run).
 */
export function shownStatus(run: Pick<RunView, 'status' | 'gone'>, connected: boolean): RunStatus | 'unknown' {
  if (!isRunLive(run.status)) return run.status;
  return connected && !run.gone ? run.status : 'unknown';
}

/** A run waiting for the operator: which prompt, for the nav, the title, the attention bar. */
export interface Waiting {
  runId: string;
  title: string;
  prompt: PendingPrompt;
}

/** Every prompt a live run waits on, oldest run first. */
export function waitingPrompts(state: Pick<RunsState, 'runs' | 'order'>): Waiting[] {
  const waiting: Waiting[] = [];
  for (const runId of [...state.order].reverse()) {
    const run = state.runs[runId];
    if (!run || !isRunLive(run.status) || run.gone) continue;
    for (const prompt of Object.values(run.pending)) waiting.push({ runId, title: run.title, prompt });
  }
  return waiting;
}
