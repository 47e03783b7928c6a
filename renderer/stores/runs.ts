/**
 * Runs this console started: their plan, every step's live status and timing, and what each run
 * waits for from the operator. Updated only from `run:event` envelopes (see ../api/connect.ts) and
 * from `run:start` / `run:list` replies. Output never comes here: it goes to the host terminals.
 */
import { create } from 'zustand';
import type { ActiveRun, CheckResult, DrillClockReading, PlanStep, RunEventEnvelope, RunNotice, RunPlan, RunStatus, StepStatus } from '../../electron/api/contract';

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
}

/** How a step ended on one host. */
export interface HostOutcome {
  host: string;
  status: StepStatus;
  exitCode: number | null;
}

export interface PendingPrompt {
  step: string;
  need: 'confirm' | 'manual' | 'decision' | 'host-key' | 'failure';
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

function withoutPrompt(run: RunView, step?: string): RunView {
  if (step === undefined) return { ...run, pending: {} };
  if (!run.pending[step]) return run;
  const pending = { ...run.pending };
  delete pending[step];
  return { ...run, pending };
}

function depthOf(key: string): number {
  return key.split('/').length - 1 - (key.startsWith('rollback/') || key.startsWith('finally/') ? 1 : 0);
}

/** Applies one run event to a run's view. Pure, so it is tested on its own. */
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
        status: 'running',
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
        }),
        () => fresh(event.step, event.title, event.kind),
      );
    case 'step.command':
      return updateStep(next, event.step, (step) => ({ ...step, commands: { ...step.commands, [event.host]: event.command } }), () => fresh(event.step));
    case 'step.remote':
      return next;
    case 'step.awaiting':
      return {
        ...next,
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
      return withoutPrompt(finished, event.step);
    }
    case 'operator.action':
      switch (event.action) {
        case 'pause':
          return { ...next, status: 'paused' };
        case 'resume':
          return { ...next, status: 'running' };
        case 'abort':
        case 'rollback':
          return withoutPrompt(next);
        case 'confirm': {
          // A confirmation that did not match carries a note; the step still waits.
          if (event.note && event.step && next.pending[event.step]) {
            return { ...next, pending: { ...next.pending, [event.step]: { ...next.pending[event.step], mismatch: true } } };
          }
          return withoutPrompt(next, event.step);
        }
        default:
          return withoutPrompt(next, event.step);
      }
    case 'run.note':
      return { ...next, notes: [...next.notes, { at, level: event.level, message: event.message, step: event.step }] };
    case 'run.finished':
      return { ...withoutPrompt(next), status: event.status, finishedAt: at, reason: event.reason };
    case 'step.output':
    case 'run.snapshot':
      return next;
  }
}

interface RunsState {
  runs: Record<string, RunView>;
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
}

export const useRunsStore = create<RunsState>()((set) => ({
  runs: {},
  order: [],
  selectedStep: {},
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
