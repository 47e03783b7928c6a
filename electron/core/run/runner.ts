/**
 * The runner: one state machine per run. It walks the runbook's steps, runs commands over SSH,
 * evaluates checks, keeps captures, waits for the operator where the runbook says so, and emits a
 * {@link RunEvent} for everything that happens. The journal is written first, before any listener
 * sees an event, so nothing is shown that is not recorded.
 *
 * Step keys: a top-level step's key is its id; nested steps are `parent/child`, foreach iterations
 * `loop[3]/child`, rollback and finally steps `rollback/x`, `finally/x`.
 */
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import { CancelledError, OpsError, codeOf, isOpsError, userMessageOf } from '../errors';
import type {
  CheckResult,
  RunEvent,
  RunStatus,
  StepFinishedEvent,
  StepStatus,
} from '../audit/events';
import type { Environment, HostSpec } from '../inventory/model';
import type {
  DecisionStep,
  ForeachStep,
  IncludeStep,
  ManualStep,
  ParamValue,
  PhaseStep,
  RunStep,
  Runbook,
  SqlStep,
  Step,
  WaitStep,
} from '../runbook/model';
import { compareRowCounts, type RowCount, type SqlConnector } from '../sql/mysql';
import type { ExecResult, SshConnector } from '../ssh/types';
import { parseDuration } from '../runbook/parse';
import { evaluateCondition, evaluateExpect, extractCaptures } from './checks';
import { mapWithLimit, sleep } from './concurrency';
import { RetainedOutput, StreamText } from './output';
import { resolveParams } from './params';
import { environmentScope, renderIn, valueIn, type RunScope } from './scope';
import { resolveFittedTargets } from './targets';

/** What the operator can answer at a failed step. */
export type FailureAction = 'retry' | 'skip' | 'abort' | 'rollback';

/** What the run does at a failed step when nobody is asked. */
export type FailurePolicy = 'ask' | 'stop' | 'rollback';

/** Masks secrets in text on its way out; the journal masks again, so this is belt and braces. */
export interface OutputMasker {
  mask(text: string): string;
  maskValue<T>(value: T): T;
  createStreamMasker(): { push(text: string): string; flush(): string };
}

/** Where every event goes first. A throw here (disk full) pauses the run. */
export interface EventRecorder {
  /** Records the event; may throw (the event is then lost) or hold it (see `healthy`). */
  append(event: RunEvent): unknown;
  /** A recorder that holds events while its journal fails: false while some wait to be written. */
  healthy?(): boolean;
  /** Tries to write what waits; true when nothing waits any more. */
  recover?(): boolean;
  /** Why it cannot write, while it cannot. */
  problem?(): OpsError | undefined;
}

/** How often a run held by a journal that cannot be written tries again by itself. */
export const JOURNAL_RETRY_MS = 2_000;

/** What a resumed run already knows from its journal. */
export interface ResumeState {
  statuses: Record<string, StepStatus>;
  captures: Record<string, unknown>;
  /** Top-level step ids in the order they succeeded (for the rollback). */
  completedOrder: string[];
}

export interface RunnerOptions {
  runId: string;
  runbook: Runbook;
  /** Runbooks that `include` steps may name. */
  library?: { get(id: string): Runbook | undefined };
  environment: Environment;
  /** Checked and converted by {@link resolveParams}. */
  params: Record<string, ParamValue>;
  ssh: SshConnector;
  /** For `sql` steps; a run without one fails such a step with a clear message. */
  sql?: SqlConnector;
  operator: string;
  machine?: string;
  masker: OutputMasker;
  recorder: EventRecorder;
  onFailure?: FailurePolicy;
  resume?: ResumeState;
  /**
   * Called after run.started is recorded (not on a resumed run) and before run.finished is: where the
   * session takes its state snapshots. A hook that throws is the hook's business; the run goes on.
   */
  hooks?: { started?(): Promise<void>; finishing?(): Promise<void> };
}

/** The outcome of a step, as the step list walking it needs to know. */
interface Outcome {
  status: StepStatus;
  /** Jump target of a decision: a step id, `end` or `abort`. */
  jump?: string;
  /** The run is over because of this step (abort from a decision or at a failure prompt). */
  stop?: 'abort' | 'rollback';
}

interface Frame {
  /** Key prefix of the steps of this list. */
  prefix: string;
  scope: RunScope;
  /** Failures inside nested lists are handled by the top-level list only. */
  topLevel: boolean;
  /** The runbooks this list runs inside, outermost first: an include of one of them would never end. */
  includes: readonly string[];
  /** The optional roles of the runbook this list belongs to; default: the run's runbook's. */
  optionalRoles?: Record<string, string>;
}

interface Waiter {
  need: 'confirm' | 'manual' | 'decision' | 'failure';
  expected?: string;
  choices?: string[];
  resolve: (reply: OperatorReply) => void;
  reject: (error: unknown) => void;
}

type OperatorReply =
  | { kind: 'confirm' }
  | { kind: 'manual'; outcome: 'done' | 'failed'; note?: string }
  | { kind: 'decision'; choice: string }
  | { kind: 'failure'; action: FailureAction; reason?: string };

interface HostRun {
  host: HostSpec;
  command: string;
  /** Written to the command's stdin; never emitted (it carries secrets off the command line). */
  stdin?: string;
  result?: ExecResult;
  error?: unknown;
  stdout: RetainedOutput;
  stderr: RetainedOutput;
  status: StepStatus;
  checks: CheckResult[];
  /** The command's process on the host, once it started. */
  pid?: number;
}

/** Raised inside the walk when the operator or a decision ends the run early. */
class StopRun extends Error {
  constructor(readonly how: 'abort' | 'rollback' | 'end', readonly reason: string) {
    super(reason);
  }
}

/** The capture by which a rollback step says what it undid (see docs/runbook-format.md). */
const UNDONE_CAPTURE = 'undone';

const STOPPED_STATUSES: ReadonlySet<StepStatus> = new Set(['succeeded', 'skipped']);

export class Runner {
  readonly runId: string;
  private readonly options: RunnerOptions;
  private readonly listeners = new Set<(event: RunEvent) => void>();
  private readonly statuses = new Map<string, StepStatus>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly completedOrder: string[] = [];
  /**
   * Top-level steps that did their work or part of it (succeeded, or failed half way), in the order
   * they ended: the rollback undoes them in reverse, the failed step's own undo included.
   */
  private readonly undoOrder: string[] = [];
  /** What the rollback undid, for the run's end message; undefined when no rollback ran. */
  private rollbackSummary: string | undefined;
  /** Commands whose connection was lost mid-step, by step key: their process on the host. */
  private readonly lostCommands = new Map<string, Array<{ host: HostSpec; pid: number }>>();
  private abortController = newAbortController();
  private readonly rootScope: RunScope;
  private status: RunStatus = 'running';
  private pausedUntil: { promise: Promise<void>; release: () => void } | undefined;
  private abortRequest: { reason: string; rollback: boolean } | undefined;
  private journalBroken: OpsError | undefined;
  private startedAt = 0;

  constructor(options: RunnerOptions) {
    this.options = options;
    this.runId = options.runId;
    const environment = options.environment;
    this.rootScope = {
      params: { ...options.params },
      captures: { ...(options.resume?.captures ?? {}) },
      env: environmentScope(environment),
      run: { id: options.runId, operator: options.operator, environment: environment.name },
      locals: {},
    };
    for (const [key, status] of Object.entries(options.resume?.statuses ?? {})) this.statuses.set(key, status);
    this.completedOrder.push(...(options.resume?.completedOrder ?? []));
    this.undoOrder.push(...this.completedOrder);
  }

  /** Subscribes to every event after it is recorded; returns the unsubscribe function. */
  onEvent(listener: (event: RunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get runStatus(): RunStatus {
    return this.status;
  }

  /** The status of every step key seen so far. */
  stepStatuses(): Record<string, StepStatus> {
    return Object.fromEntries(this.statuses);
  }

  /** What the run is waiting for from the operator right now. */
  pendingPrompts(): Array<{ step: string; need: Waiter['need']; expected?: string; choices?: string[] }> {
    return [...this.waiters].map(([step, waiter]) => ({
      step,
      need: waiter.need,
      expected: waiter.expected,
      choices: waiter.choices,
    }));
  }

  /** Runs the runbook to its end and resolves with the run's final status. */
  async start(): Promise<RunStatus> {
    this.startedAt = Date.now();
    const { runbook, environment } = this.options;
    if (!this.options.resume) {
      this.emit({
        type: 'run.started',
        runId: this.runId,
        runbook: { id: runbook.id, title: runbook.title, version: runbook.version, file: runbook.file, sha256: runbook.sha256 },
        environment: { name: environment.name, file: environment.file, profile: environment.profile.id, lab: environment.lab },
        params: this.maskedParams(),
        operator: this.options.operator,
        machine: this.options.machine ?? os.hostname(),
        plan: planOf(runbook.steps, ''),
      });
      await this.options.hooks?.started?.().catch(() => undefined);
    }
    let final: RunStatus;
    let reason: string | undefined;
    try {
      const outcome = await this.walk(runbook.steps, { prefix: '', scope: this.rootScope, topLevel: true, includes: [runbook.id] });
      final = outcome === 'ok' ? 'succeeded' : outcome;
      if (outcome === 'failed') reason = 'A step failed and the run stopped there.';
      if (outcome === 'interrupted') reason = 'The connection to a host was lost during a step; its outcome on the host is unknown.';
      if (outcome === 'failed' && this.options.onFailure === 'rollback') final = await this.rollback(final);
    } catch (error) {
      if (error instanceof StopRun && error.how === 'end') {
        final = 'succeeded';
        reason = error.reason;
      } else if (error instanceof StopRun) {
        reason = error.reason;
        final = error.how === 'rollback' ? await this.rollback('aborted') : 'aborted';
      } else if (this.abortRequest) {
        reason = this.abortRequest.reason;
        final = this.abortRequest.rollback ? await this.rollback('aborted') : 'aborted';
      } else {
        final = 'failed';
        reason = userMessageOf(error);
        this.note('error', reason);
      }
    }
    if (this.rollbackSummary) reason = reason ? `${reason} ${this.rollbackSummary}` : this.rollbackSummary;
    await this.runFinally();
    await this.options.hooks?.finishing?.().catch(() => undefined);
    this.status = final;
    // The end of the run waits for the journal like a step does: a run is not over until it is recorded.
    await this.emitDurable({ type: 'run.finished', status: final, durationMs: Date.now() - this.startedAt, reason }).catch(() => undefined);
    return final;
  }

  // ---- operator controls -------------------------------------------------------------------

  /** Confirms a destructive step; returns false (and keeps waiting) when the text does not match. */
  confirm(stepKey: string, text: string): boolean {
    const waiter = this.waiterFor(stepKey, 'confirm');
    const matches = text.trim() === waiter.expected;
    this.emit({
      type: 'operator.action',
      action: 'confirm',
      step: stepKey,
      operator: this.options.operator,
      text,
      note: matches ? undefined : `did not match "${waiter.expected}"; the step still waits`,
    });
    if (matches) this.settle(stepKey, { kind: 'confirm' });
    return matches;
  }

  /** Marks a manual step done or failed, with an optional note. */
  completeManual(stepKey: string, outcome: 'done' | 'failed', note?: string): void {
    this.waiterFor(stepKey, 'manual');
    this.emit({
      type: 'operator.action',
      action: outcome === 'done' ? 'manual-done' : 'manual-failed',
      step: stepKey,
      operator: this.options.operator,
      note,
    });
    this.settle(stepKey, { kind: 'manual', outcome, note });
  }

  /** Answers a decision with one of its choice ids. */
  decide(stepKey: string, choice: string): void {
    const waiter = this.waiterFor(stepKey, 'decision');
    if (!waiter.choices?.includes(choice)) {
      throw new OpsError('bad-choice', `"${choice}" is not a choice of step ${stepKey} (choices: ${waiter.choices?.join(', ')}).`);
    }
    this.emit({ type: 'operator.action', action: 'decide', step: stepKey, operator: this.options.operator, choice });
    this.settle(stepKey, { kind: 'decision', choice });
  }

  /** Answers a failed step: retry it, skip it (a reason is required), abort, or abort and roll back. */
  resolveFailure(stepKey: string, action: FailureAction, reason?: string): void {
    this.waiterFor(stepKey, 'failure');
    if (action === 'skip' && !reason?.trim()) {
      throw new OpsError('reason-required', 'Skipping a failed step needs a reason; it is recorded in the audit trail.');
    }
    this.settle(stepKey, { kind: 'failure', action, reason });
  }

  /** Holds the run before its next step; running commands finish. */
  pause(): void {
    if (this.hold()) this.emit({ type: 'operator.action', action: 'pause', operator: this.options.operator });
  }

  /** Holds the run before its next action; false when it was already held. */
  private hold(): boolean {
    if (this.pausedUntil || this.status !== 'running') return false;
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.pausedUntil = { promise, release };
    this.status = 'paused';
    return true;
  }

  resume(): void {
    if (!this.pausedUntil) return;
    this.journalBroken = undefined;
    const { release } = this.pausedUntil;
    this.pausedUntil = undefined;
    this.status = 'running';
    this.emit({ type: 'operator.action', action: 'resume', operator: this.options.operator });
    release();
  }

  /** Stops the run: running remote commands are killed; with `rollback` the rollback section runs. */
  abort(reason: string, options: { rollback?: boolean } = {}): void {
    if (this.abortRequest) return;
    this.abortRequest = { reason, rollback: options.rollback ?? false };
    this.emit({
      type: 'operator.action',
      action: options.rollback ? 'rollback' : 'abort',
      operator: this.options.operator,
      reason,
    });
    this.abortController.abort();
    for (const [, waiter] of this.waiters) waiter.reject(new CancelledError('The run'));
    this.waiters.clear();
    this.pausedUntil?.release();
  }

  // ---- walking the steps -------------------------------------------------------------------

  /** Runs a list of steps; resolves 'failed' when a failure was not resolved by the operator. */
  private async walk(steps: Step[], frame: Frame): Promise<'ok' | 'failed' | 'interrupted'> {
    const askOnFailure = frame.topLevel && this.options.onFailure === 'ask';
    for (let index = 0; index < steps.length; index++) {
      const step = steps[index];
      const key = frame.prefix + step.id;
      if (STOPPED_STATUSES.has(this.statuses.get(key) ?? 'pending')) continue;
      await this.checkpoint();
      let outcome = await this.runStep(step, key, frame);
      while (isBad(outcome.status) && !step.continueOnFailure && askOnFailure) {
        const action = await this.askFailure(key);
        if (action.action === 'retry') {
          outcome = await this.runStep(step, key, frame);
          continue;
        }
        if (action.action === 'skip') {
          this.finishSkipped(key, `skipped by ${this.options.operator} after failing: ${action.reason}`);
          this.emit({ type: 'operator.action', action: 'skip', step: key, operator: this.options.operator, reason: action.reason });
          outcome = { status: 'skipped' };
          break;
        }
        throw new StopRun(action.action === 'rollback' ? 'rollback' : 'abort', action.reason ?? `${this.options.operator} stopped the run at failed step ${key}.`);
      }
      if (outcome.status === 'succeeded' && frame.topLevel && frame.prefix === '') this.completedOrder.push(step.id);
      if ((outcome.status === 'succeeded' || isBad(outcome.status)) && frame.topLevel && frame.prefix === '') {
        this.undoOrder.splice(0, this.undoOrder.length, ...this.undoOrder.filter((id) => id !== step.id), step.id);
      }
      if (isBad(outcome.status) && !step.continueOnFailure) return outcome.status === 'interrupted' ? 'interrupted' : 'failed';
      if (outcome.jump) {
        if (outcome.jump === 'end') {
          this.skipRest(steps, index + 1, frame.prefix, `not run: decision ${key} ended the run`);
          throw new StopRun('end', `Decision ${key} ended the run.`);
        }
        if (outcome.jump === 'abort') throw new StopRun('abort', `Decision ${key} aborted the run.`);
        const target = steps.findIndex((candidate) => candidate.id === outcome.jump);
        if (target < 0) throw new OpsError('bad-jump', `Decision ${key} names step "${outcome.jump}", which is not in its list.`);
        for (let skipped = index + 1; skipped < target; skipped++) {
          this.finishSkipped(frame.prefix + steps[skipped].id, `skipped: decision ${key} went to ${outcome.jump}`);
        }
        index = target - 1;
      }
    }
    return 'ok';
  }

  private skipRest(steps: Step[], from: number, prefix: string, reason: string): void {
    for (let index = from; index < steps.length; index++) {
      const key = prefix + steps[index].id;
      if (!STOPPED_STATUSES.has(this.statuses.get(key) ?? 'pending')) this.finishSkipped(key, reason);
    }
  }

  /** Waits while paused (retrying a journal that could not be written); throws when aborted. */
  private async checkpoint(): Promise<void> {
    if (this.abortRequest) throw new CancelledError('The run');
    while (this.pausedUntil) {
      if (!this.journalBroken) {
        await this.pausedUntil.promise;
        continue;
      }
      await Promise.race([this.pausedUntil.promise, sleep(JOURNAL_RETRY_MS)]);
      if (this.abortRequest) break;
      this.retryJournal();
    }
    if (this.abortRequest) throw new CancelledError('The run');
  }

  /** Tries to write what the journal holds; true (and the hold released) when it took everything. */
  private retryJournal(): boolean {
    const recorder = this.options.recorder;
    // A recorder that loses events instead of holding them can only be tried with the next event.
    if (!recorder.recover) return false;
    if (!recorder.recover()) {
      this.journalFailed(recorder.problem?.() ?? new OpsError('journal-write', 'The audit journal could not be written.'));
      return false;
    }
    if (this.journalBroken || this.pausedUntil) this.journalWritableAgain();
    return true;
  }

  private async runStep(written: Step, key: string, frame: Frame): Promise<Outcome> {
    const started = Date.now();
    let step = written;
    try {
      step = withDynamicValues(written, frame.scope, key);
      if (step.title.includes('{{')) step = { ...step, title: renderTitle(step.title, frame.scope) };
      if (step.when && !evaluateCondition(step.when, (text) => renderIn(text, frame.scope, 'text'))) {
        this.finishSkipped(key, 'its condition (when) is false');
        return { status: 'skipped' };
      }
      if (step.kind === 'run' || step.kind === 'wait') {
        const fitted = this.fittedTargets(step, frame);
        if (fitted.hosts.length === 0) {
          this.finishSkipped(key, `no ${fitted.absent.join(' or ')} role in this environment`);
          return { status: 'skipped' };
        }
        for (const [role, instead] of fitted.replaced) {
          this.note('info', `no ${role} role in this environment: step ${key} runs on the ${instead} hosts instead`, key);
        }
      }
      // Run and wait steps confirm once their hosts are known: the host names are what is typed.
      if (step.destructive && step.kind !== 'run' && step.kind !== 'wait') await this.confirmDestructive(step, key, step.id, frame.scope);
      switch (step.kind) {
        case 'run':
          return await this.runCommandStep(step, key, frame);
        case 'wait':
          return await this.runWaitStep(step, key, frame);
        case 'manual':
          return await this.runManualStep(step, key, frame);
        case 'decision':
          return await this.runDecisionStep(step, key, frame);
        case 'foreach':
          return await this.runForeachStep(step, key, frame);
        case 'phase':
          return await this.runPhaseStep(step, key, frame);
        case 'include':
          return await this.runIncludeStep(step, key, frame);
        case 'sql':
          return await this.runSqlStep(step, key, frame);
      }
    } catch (error) {
      if (error instanceof StopRun) throw error;
      if (this.abortRequest) {
        this.finishStep(key, started, { status: 'failed', reason: `aborted by ${this.options.operator}: ${this.abortRequest.reason}` });
        throw error;
      }
      this.finishStep(key, started, { status: 'failed', reason: userMessageOf(error), errorCode: codeOf(error) });
      return { status: 'failed' };
    }
  }

  private async startStep(key: string, step: Step, hosts: string[]): Promise<void> {
    this.statuses.set(key, 'running');
    await this.emitDurable({ type: 'step.started', step: key, title: step.title, kind: step.kind, hosts, attempt: 1 });
  }

  private finishStep(
    key: string,
    started: number,
    fields: Partial<Omit<StepFinishedEvent, 'type' | 'step'>> & { status: StepStatus },
  ): void {
    this.statuses.set(key, fields.status);
    this.emit({
      type: 'step.finished',
      step: key,
      durationMs: Date.now() - started,
      checks: [],
      captures: {},
      ...fields,
    });
  }

  private finishSkipped(key: string, reason: string): void {
    this.finishStep(key, Date.now(), { status: 'skipped', reason });
  }

  // ---- run and wait ------------------------------------------------------------------------

  private targets(step: RunStep | WaitStep, scope: RunScope, frame?: Frame): HostSpec[] {
    return this.fittedTargets(step, frame ?? { prefix: '', scope, topLevel: false, includes: [] }).hosts;
  }

  /** The step's hosts with the runbook's optional roles applied (absent ones dropped or replaced). */
  private fittedTargets(step: RunStep | WaitStep, frame: Frame) {
    const optionalRoles = frame.optionalRoles ?? this.options.runbook.optionalRoles ?? {};
    return resolveFittedTargets(renderIn(step.on, frame.scope, 'text'), this.options.environment, optionalRoles);
  }

  private async runCommandStep(step: RunStep, key: string, frame: Frame): Promise<Outcome> {
    const hosts = this.targets(step, frame.scope, frame);
    const runs: HostRun[] = hosts.map((host) => ({
      host,
      command: renderIn(step.command, { ...frame.scope, host: host.name }, 'shell'),
      ...(step.stdin !== undefined ? { stdin: renderIn(step.stdin, { ...frame.scope, host: host.name }, 'text') } : {}),
      stdout: new RetainedOutput(),
      stderr: new RetainedOutput(),
      status: 'pending',
      checks: [],
    }));
    await this.startStep(key, step, hosts.map((host) => host.name));
    const started = Date.now();
    if (step.destructive) await this.confirmDestructive(step, key, hosts.map((host) => host.name).join(' '), frame.scope);

    let pending = runs;
    for (let attempt = 1; ; attempt++) {
      await mapWithLimit(pending, step.concurrency, (run) => this.execOnHost(key, run, step.timeoutMs, step.sudo, attempt));
      for (const run of pending) this.judge(run, step.expect);
      pending = runs.filter((run) => run.status === 'failed' && isRetriable(run.error));
      if (pending.length === 0 || attempt > step.retry.times) break;
      this.note('warning', `Attempt ${attempt} of ${step.retry.times + 1} failed on ${pending.map((run) => run.host.name).join(', ')}; retrying in ${formatMs(step.retry.delayMs)}.`, key);
      await sleep(step.retry.delayMs, this.abortController.signal);
      for (const run of pending) resetRun(run);
    }
    return this.finishHostStep(step, key, started, runs, frame);
  }

  private async runWaitStep(step: WaitStep, key: string, frame: Frame): Promise<Outcome> {
    const hosts = this.targets(step, frame.scope, frame);
    await this.startStep(key, step, hosts.map((host) => host.name));
    const started = Date.now();
    if (step.destructive) await this.confirmDestructive(step, key, hosts.map((host) => host.name).join(' '), frame.scope);
    const deadline = started + step.deadlineMs;
    for (let poll = 1; ; poll++) {
      const runs: HostRun[] = hosts.map((host) => ({
        host,
        command: renderIn(step.command, { ...frame.scope, host: host.name }, 'shell'),
        stdout: new RetainedOutput(),
        stderr: new RetainedOutput(),
        status: 'pending',
        checks: [],
      }));
      await mapWithLimit(runs, step.concurrency, (run) => this.execOnHost(key, run, step.timeoutMs, step.sudo, poll));
      for (const run of runs) this.judge(run, step.until);
      const lost = runs.some((run) => run.status === 'interrupted');
      const done = runs.every((run) => run.status === 'succeeded');
      const timeLeft = deadline - Date.now();
      if (done || lost || timeLeft <= 0) {
        if (!done && !lost) {
          for (const run of runs) run.status = run.status === 'succeeded' ? 'succeeded' : 'failed';
          const unmet = runs.flatMap((run) => run.checks.filter((check) => !check.ok).map((check) => `${check.name}${check.detail ? ` (found: ${check.detail})` : ''}`));
          return this.finishHostStep(step, key, started, runs, frame, `The deadline of ${formatMs(step.deadlineMs)} passed after ${poll} polls and the condition still does not hold: ${unmet.join('; ')}`);
        }
        return this.finishHostStep(step, key, started, runs, frame);
      }
      await sleep(Math.min(step.intervalMs, timeLeft), this.abortController.signal);
    }
  }

  /** Waits for the operator to type the confirmation of a destructive step (`destructive.confirm`, or `typed`). */
  private async confirmDestructive(step: Step, key: string, typed: string, scope: RunScope): Promise<void> {
    const expected = step.destructive?.confirm ? renderIn(step.destructive.confirm, scope, 'text').trim() : typed;
    const warning = step.destructive?.warning ? `${renderIn(step.destructive.warning, scope, 'text')}\n` : '';
    await this.askOperator(key, {
      need: 'confirm',
      expected,
      prompt: `${warning}Step "${step.title}" is destructive. Type "${expected}" to run it.`,
    });
  }

  /** Runs one host's command, streaming its output into events; never throws. */
  private async execOnHost(key: string, run: HostRun, timeoutMs: number, sudo: boolean, attempt: number): Promise<void> {
    run.status = 'running';
    await this.emitDurable({ type: 'step.command', step: key, host: run.host.name, command: this.options.masker.mask(run.command), attempt });
    const streams = {
      stdout: { text: new StreamText(), masker: this.options.masker.createStreamMasker() },
      stderr: { text: new StreamText(), masker: this.options.masker.createStreamMasker() },
    };
    const forward = (stream: 'stdout' | 'stderr', chunk: Buffer) => {
      (stream === 'stdout' ? run.stdout : run.stderr).push(chunk);
      const data = streams[stream].masker.push(streams[stream].text.push(chunk));
      if (data) this.emit({ type: 'step.output', step: key, host: run.host.name, stream, data });
    };
    try {
      run.result = await this.options.ssh.exec(run.host, run.command, {
        timeoutMs,
        sudo,
        ...(run.stdin !== undefined ? { stdin: run.stdin } : {}),
        signal: this.abortController.signal,
        onStarted: (pid) => {
          run.pid = pid;
          this.emit({ type: 'step.remote', step: key, host: run.host.name, pid });
        },
        onStdout: (chunk) => forward('stdout', chunk),
        onStderr: (chunk) => forward('stderr', chunk),
      });
    } catch (error) {
      run.error = error;
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = streams[stream].masker.push(streams[stream].text.end()) + streams[stream].masker.flush();
      if (rest) this.emit({ type: 'step.output', step: key, host: run.host.name, stream, data: rest });
    }
  }

  /** Sets a host run's status and checks from its result. */
  private judge(run: HostRun, expect: RunStep['expect']): void {
    if (run.error) {
      if (this.abortRequest) throw new CancelledError('The run');
      run.status = codeOf(run.error) === 'ssh_connection_lost' ? 'interrupted' : 'failed';
      run.checks = [{ name: 'connection', ok: false, detail: userMessageOf(run.error) }];
      return;
    }
    const result = run.result!;
    if (result.timedOut) {
      run.status = 'failed';
      run.checks = [{ name: 'finished in time', ok: false, detail: `timed out after ${formatMs(result.durationMs)}; the command was killed on ${run.host.name}` }];
      return;
    }
    const truncated = run.stdout.truncated || run.stderr.truncated;
    run.checks = evaluateExpect(expect, { exitCode: result.exitCode, stdout: run.stdout.text(), stderr: run.stderr.text() });
    if (truncated) run.checks.push({ name: 'output fits in memory for checks', ok: true, detail: 'only the first 8 MiB of output were checked' });
    run.status = run.checks.every((check) => check.ok) ? 'succeeded' : 'failed';
  }

  private finishHostStep(
    step: RunStep | WaitStep,
    key: string,
    started: number,
    runs: HostRun[],
    frame: Frame,
    reasonOverride?: string,
  ): Outcome {
    const several = runs.length > 1;
    const checks = runs.flatMap((run) =>
      run.checks.map((check) => (several && !check.name.startsWith(`${run.host.name}:`) ? { ...check, name: `${run.host.name}: ${check.name}` } : check)),
    );
    let status: StepStatus = runs.some((run) => run.status === 'interrupted')
      ? 'interrupted'
      : runs.every((run) => run.status === 'succeeded')
        ? 'succeeded'
        : 'failed';
    let captures: Record<string, unknown> = {};
    let reason = reasonOverride;
    if (status === 'succeeded' && step.capture.length > 0) {
      try {
        captures = this.capture(step, runs);
        Object.assign(frame.scope.captures, captures);
      } catch (error) {
        status = 'failed';
        reason = userMessageOf(error);
      }
    }
    if (!reason && status !== 'succeeded') reason = describeFailure(runs, status);
    if (status === 'interrupted') {
      this.lostCommands.set(key, runs.filter((run) => run.status === 'interrupted' && run.pid !== undefined).map((run) => ({ host: run.host, pid: run.pid! })));
    }
    this.finishStep(key, started, {
      status,
      hosts: runs.map((run) => ({
        host: run.host.name,
        exitCode: run.result?.exitCode ?? null,
        signal: run.result?.signal ?? null,
        timedOut: run.result?.timedOut ?? false,
        status: run.status,
        ...(run.status === 'interrupted' && run.pid !== undefined ? { pid: run.pid } : {}),
      })),
      exitCode: runs.length === 1 ? (runs[0].result?.exitCode ?? null) : undefined,
      checks,
      captures: this.options.masker.maskValue(captures),
      reason,
      errorCode: runs.map((run) => run.error).filter(isOpsError)[0]?.code,
    });
    return { status };
  }

  private capture(step: RunStep | WaitStep, runs: HostRun[]): Record<string, unknown> {
    const perHost = runs.map((run) =>
      extractCaptures(step.capture, { exitCode: run.result?.exitCode ?? null, stdout: run.stdout.text(), stderr: run.stderr.text() }),
    );
    if (perHost.length === 1) return perHost[0];
    const merged: Record<string, unknown> = {};
    for (const spec of step.capture) {
      merged[spec.name] = perHost.flatMap((values) => {
        const value = values[spec.name];
        return Array.isArray(value) ? value : [value];
      });
    }
    return merged;
  }

  // ---- sql ---------------------------------------------------------------------------------

  private async runSqlStep(step: SqlStep, key: string, frame: Frame): Promise<Outcome> {
    const database = this.options.environment.databases[step.database];
    if (!database) {
      const known = Object.keys(this.options.environment.databases).join(', ') || 'none';
      throw new OpsError('sql-database', `Step ${key} queries database "${step.database}", which environment "${this.options.environment.name}" does not declare (its databases: ${known}).`);
    }
    if (!this.options.sql) throw new OpsError('sql-unavailable', `Step ${key} needs a database connection, and this run has none.`);
    const sql = this.options.sql;
    const label = `db:${database.name}`;
    const schemas = step.rowCounts === undefined ? undefined : schemaList(step.rowCounts, frame.scope, key);
    const args = step.args.map((arg) => renderIn(arg, frame.scope, 'text'));
    const expected = step.compareWith === undefined ? undefined : valueIn(step.compareWith, frame.scope);
    await this.startStep(key, step, [label]);
    const started = Date.now();
    const described = step.query
      ? `${step.query}${args.length ? `  -- with ${JSON.stringify(args)}` : ''}`
      : `exact row counts of every table in ${schemas!.join(', ')}`;
    let stdout = '';
    let stderr = '';
    let exitCode = 0;
    let checks: CheckResult[] = [];
    for (let attempt = 1; ; attempt++) {
      await this.emitDurable({ type: 'step.command', step: key, host: label, command: this.options.masker.mask(described), attempt });
      const options = { timeoutMs: step.timeoutMs, signal: this.abortController.signal };
      let counts: RowCount[] | undefined;
      try {
        const rows = step.query ? await sql.query(database, step.query, args, options) : (counts = await sql.rowCounts(database, schemas!, options));
        stdout = `${JSON.stringify(rows, null, 2)}
`;
        stderr = '';
        exitCode = 0;
      } catch (error) {
        if (this.abortRequest) throw error;
        stdout = '';
        stderr = `${userMessageOf(error)}
`;
        exitCode = 1;
      }
      const masker = this.options.masker;
      if (stdout) this.emit({ type: 'step.output', step: key, host: label, stream: 'stdout', data: masker.mask(stdout) });
      if (stderr) this.emit({ type: 'step.output', step: key, host: label, stream: 'stderr', data: masker.mask(stderr) });
      checks = evaluateExpect(step.expect, { exitCode, stdout, stderr });
      if (counts && expected !== undefined) {
        const differences = compareRowCounts(counts, expected);
        checks.push({
          name: 'row counts match the manifest',
          ok: differences.length === 0,
          detail: differences.length ? differences.slice(0, 20).join('; ') + (differences.length > 20 ? `; and ${differences.length - 20} more` : '') : undefined,
        });
      }
      const failed = checks.some((check) => !check.ok);
      if (!failed || attempt > step.retry.times) break;
      this.note('warning', `Attempt ${attempt} of ${step.retry.times + 1} failed; retrying in ${formatMs(step.retry.delayMs)}.`, key);
      await sleep(step.retry.delayMs, this.abortController.signal);
    }
    let status: StepStatus = checks.every((check) => check.ok) ? 'succeeded' : 'failed';
    let captures: Record<string, unknown> = {};
    let reason: string | undefined;
    if (status === 'succeeded' && step.capture.length > 0) {
      try {
        captures = extractCaptures(step.capture, { exitCode, stdout, stderr });
        Object.assign(frame.scope.captures, captures);
      } catch (error) {
        status = 'failed';
        reason = userMessageOf(error);
      }
    }
    if (status === 'failed' && !reason) {
      const failedCheck = checks.find((check) => !check.ok);
      reason = failedCheck ? `${failedCheck.name}${failedCheck.detail ? ` — ${failedCheck.detail}` : ''}` : undefined;
    }
    this.finishStep(key, started, { status, exitCode, checks, captures: this.options.masker.maskValue(captures), reason });
    return { status };
  }

  // ---- operator steps ----------------------------------------------------------------------

  private async runManualStep(step: ManualStep, key: string, frame: Frame): Promise<Outcome> {
    await this.startStep(key, step, []);
    const started = Date.now();
    const reply = await this.askOperator(key, { need: 'manual', prompt: renderIn(step.instructions, frame.scope, 'text') });
    if (reply.kind !== 'manual') throw new OpsError('internal', 'unexpected reply');
    const status: StepStatus = reply.outcome === 'done' ? 'succeeded' : 'failed';
    this.finishStep(key, started, {
      status,
      reason: reply.outcome === 'failed' ? `marked failed by ${this.options.operator}${reply.note ? `: ${reply.note}` : ''}` : reply.note,
    });
    return { status };
  }

  private async runDecisionStep(step: DecisionStep, key: string, frame: Frame): Promise<Outcome> {
    await this.startStep(key, step, []);
    const started = Date.now();
    const reply = await this.askOperator(key, {
      need: 'decision',
      prompt: renderIn(step.question, frame.scope, 'text'),
      choices: step.choices.map((choice) => ({ id: choice.id, label: renderIn(choice.label, frame.scope, 'text') })),
    });
    if (reply.kind !== 'decision') throw new OpsError('internal', 'unexpected reply');
    const choice = step.choices.find((candidate) => candidate.id === reply.choice)!;
    frame.scope.captures[step.captureAs] = choice.id;
    this.finishStep(key, started, { status: 'succeeded', captures: { [step.captureAs]: choice.id }, reason: `chose ${choice.id}` });
    return { status: 'succeeded', jump: choice.next };
  }

  private async askFailure(key: string): Promise<{ action: FailureAction; reason?: string }> {
    let fate = '';
    if (this.statuses.get(key) === 'interrupted') {
      const lines = await this.commandFates(key);
      if (lines.length > 0) {
        fate = `\n${lines.join('\n')}`;
        this.note('warning', `What became of the interrupted commands of ${key}: ${lines.join(' ')}`, key);
      }
    }
    const reply = await this.askOperator(key, {
      need: 'failure',
      prompt: `Step ${key} ${this.statuses.get(key) === 'interrupted' ? 'was interrupted (its connection was lost)' : 'failed'}.${fate}\nRetry it, skip it (with a reason), abort the run, or abort and roll back?`,
      choices: [
        { id: 'retry', label: 'Retry the step' },
        { id: 'skip', label: 'Skip it (a reason is required)' },
        { id: 'abort', label: 'Abort the run' },
        { id: 'rollback', label: 'Abort and roll back' },
      ],
    });
    if (reply.kind !== 'failure') throw new OpsError('internal', 'unexpected reply');
    if (reply.action === 'retry') this.emit({ type: 'operator.action', action: 'retry', step: key, operator: this.options.operator });
    return reply;
  }

  /**
   * Reconnects to each host whose command was running when its connection was lost, and says whether
   * that command is still running there: retrying it while it runs would run it twice.
   */
  private async commandFates(key: string): Promise<string[]> {
    const lost = this.lostCommands.get(key) ?? [];
    return Promise.all(lost.map(({ host, pid }) => describeCommandFate(this.options.ssh, host, pid)));
  }

  private askOperator(
    key: string,
    prompt: { need: Waiter['need']; prompt: string; expected?: string; choices?: Array<{ id: string; label: string }> },
  ): Promise<OperatorReply> {
    if (this.abortRequest) return Promise.reject(new CancelledError('The run'));
    return new Promise<OperatorReply>((resolve, reject) => {
      this.waiters.set(key, {
        need: prompt.need,
        expected: prompt.expected,
        choices: prompt.choices?.map((choice) => choice.id),
        resolve,
        reject,
      });
      this.emit({
        type: 'step.awaiting',
        step: key,
        need: prompt.need,
        prompt: prompt.prompt,
        expected: prompt.expected,
        choices: prompt.choices,
      });
    });
  }

  private waiterFor(stepKey: string, need: Waiter['need']): Waiter {
    const waiter = this.waiters.get(stepKey);
    if (!waiter || waiter.need !== need) {
      const waiting = this.pendingPrompts().map((prompt) => `${prompt.step} (${prompt.need})`).join(', ') || 'nothing';
      throw new OpsError('no-such-prompt', `Step ${stepKey} is not waiting for a ${need} answer; the run waits for: ${waiting}.`);
    }
    return waiter;
  }

  private settle(stepKey: string, reply: OperatorReply): void {
    const waiter = this.waiters.get(stepKey);
    this.waiters.delete(stepKey);
    waiter?.resolve(reply);
  }

  // ---- groups ------------------------------------------------------------------------------

  private async runForeachStep(step: ForeachStep, key: string, frame: Frame): Promise<Outcome> {
    const items = valueIn(step.items, frame.scope);
    if (!Array.isArray(items)) {
      throw new OpsError('foreach-items', `Step ${key} needs a list to repeat over, but ${step.items} is ${describeValue(items)}.`);
    }
    await this.startStep(key, step, []);
    const started = Date.now();
    const results = await mapWithLimit(items, step.concurrency, async (item, index) => {
      const scope: RunScope = {
        ...frame.scope,
        captures: { ...frame.scope.captures },
        locals: { ...frame.scope.locals, [step.as]: item },
      };
      const outcome = await this.walk(step.steps, { prefix: `${key}[${index}]/`, scope, topLevel: false, includes: frame.includes, optionalRoles: frame.optionalRoles });
      return { outcome, captures: scope.captures };
    });
    const failures = results.map((result, index) => (result.outcome !== 'ok' ? index : -1)).filter((index) => index >= 0);
    const status: StepStatus = failures.length > 0 ? 'failed' : 'succeeded';
    this.finishStep(key, started, {
      status,
      reason: failures.length > 0 ? `${failures.length} of ${items.length} iterations failed: ${failures.map((index) => describeItem(items[index])).join(', ')}` : `${items.length} iterations succeeded`,
    });
    return { status };
  }

  private async runPhaseStep(step: PhaseStep, key: string, frame: Frame): Promise<Outcome> {
    await this.startStep(key, step, []);
    const started = Date.now();
    const inner: Frame = { prefix: `${key}/`, scope: frame.scope, topLevel: false, includes: frame.includes, optionalRoles: frame.optionalRoles };
    const outcomes = await mapWithLimit(step.steps, step.concurrency, (child) => this.walk([child], inner));
    if (outcomes.some((outcome) => outcome !== 'ok')) {
      this.finishStep(key, started, { status: 'failed', reason: `Priority ${step.priority}: a step of this phase failed; later phases do not start.` });
      return { status: 'failed' };
    }
    const checks = await this.walk(step.check, { ...inner, prefix: `${key}/check/` });
    if (checks !== 'ok') {
      this.finishStep(key, started, { status: 'failed', reason: `Priority ${step.priority}: the phase's checks failed; later phases do not start.` });
      return { status: 'failed' };
    }
    this.finishStep(key, started, { status: 'succeeded', reason: `Priority ${step.priority} done and checked.` });
    return { status: 'succeeded' };
  }

  private async runIncludeStep(step: IncludeStep, key: string, frame: Frame): Promise<Outcome> {
    const included = this.options.library?.get(step.runbook);
    if (!included) throw new OpsError('include', `Step ${key} includes runbook "${step.runbook}", which is not in the library.`);
    if (frame.includes.includes(included.id)) {
      throw new OpsError('include-loop', `Step ${key} includes runbook "${included.id}", which is already running around it (${[...frame.includes, included.id].join(' -> ')}); that would never end.`);
    }
    const given = Object.fromEntries(
      Object.entries(step.with).map(([name, template]) => [name, valueIn(template, frame.scope)]),
    );
    const params = resolveParams(included, given, this.options.environment);
    await this.startStep(key, step, []);
    const started = Date.now();
    const scope: RunScope = { ...frame.scope, params, captures: {}, locals: {} };
    const optionalRoles = { ...(frame.optionalRoles ?? this.options.runbook.optionalRoles ?? {}), ...(included.optionalRoles ?? {}) };
    const outcome = await this.walk(included.steps, { prefix: `${key}/`, scope, topLevel: false, includes: [...frame.includes, included.id], optionalRoles });
    frame.scope.captures[step.id] = scope.captures;
    const status: StepStatus = outcome === 'ok' ? 'succeeded' : outcome;
    this.finishStep(key, started, {
      status,
      captures: this.options.masker.maskValue({ [step.id]: scope.captures }),
      reason: status === 'failed' ? `a step of included runbook ${included.id} failed` : undefined,
    });
    return { status };
  }

  // ---- rollback and finally ----------------------------------------------------------------

  /**
   * Runs the rollback entries of the steps that did their work, most recent first, then the
   * unconditional ones. A step that failed half way did part of its work (stopped two services of
   * three), so its own undo runs too: undo entries start only what their step recorded as changed.
   * The run ends `rolled-back` only when something was undone; the end message names what.
   */
  private async rollback(statusWithoutRollback: RunStatus): Promise<RunStatus> {
    const entries = this.options.runbook.rollback;
    const order = [...this.undoOrder].reverse();
    const chosen = [
      ...order.flatMap((id) => entries.filter((entry) => entry.undoes === id)),
      ...entries.filter((entry) => !entry.undoes),
    ];
    if (chosen.length === 0) {
      this.rollbackSummary = entries.length === 0
        ? 'Nothing was undone: this runbook has no rollback section.'
        : 'Nothing was undone: no step that ran has an undo in the rollback section.';
      this.note('warning', this.rollbackSummary);
      return statusWithoutRollback;
    }
    this.note('info', 'Rolling back: undoing what the run did, most recent step first (a step that failed half way included).');
    this.resetAbort();
    const undone: string[] = [];
    const failed: string[] = [];
    // Each entry on its own: a failed undo must not leave the others unrun.
    for (const entry of chosen) {
      const step = entry.step;
      const key = `rollback/${step.id}`;
      delete this.rootScope.captures[UNDONE_CAPTURE];
      const outcome = await this.walk([step], { prefix: 'rollback/', scope: this.rootScope, topLevel: false, includes: [this.options.runbook.id] });
      if (outcome !== 'ok') {
        failed.push(step.title);
        continue;
      }
      if (this.statuses.get(key) !== 'succeeded') continue;
      // An entry that captures `undone` says what it undid (an empty list: nothing); an undo entry
      // without it counts as its title; an unconditional entry without it (a note, a manual
      // reminder) undid nothing by itself.
      const said = this.rootScope.captures[UNDONE_CAPTURE];
      if (step.kind === 'run' || step.kind === 'wait' ? step.capture.some((spec) => spec.name === UNDONE_CAPTURE) : false) {
        const items = (Array.isArray(said) ? said : [said]).map(String).filter((item) => item.trim() !== '');
        if (items.length > 0) undone.push(`${step.title}: ${items.join(', ')}`);
      } else if (entry.undoes) {
        undone.push(step.title);
      }
    }
    delete this.rootScope.captures[UNDONE_CAPTURE];
    if (failed.length > 0) {
      this.rollbackSummary = `The rollback failed at: ${failed.join('; ')}.${undone.length > 0 ? ` Undone: ${undone.join('; ')}.` : ' Nothing was undone.'}`;
      this.note('error', this.rollbackSummary);
      return 'rollback-failed';
    }
    if (undone.length === 0) {
      this.rollbackSummary = 'Nothing was undone: the rollback found nothing this run had changed.';
      this.note('warning', this.rollbackSummary);
      return statusWithoutRollback;
    }
    this.rollbackSummary = `Rolled back: ${undone.join('; ')}.`;
    this.note('info', this.rollbackSummary);
    return 'rolled-back';
  }

  private async runFinally(): Promise<void> {
    const steps = this.options.runbook.finally;
    if (steps.length === 0) return;
    this.resetAbort();
    for (const step of steps) {
      await this.walk([step], { prefix: 'finally/', scope: this.rootScope, topLevel: false, includes: [this.options.runbook.id] });
    }
  }

  /**
   * After an abort the rollback and finally steps must still run: they get a fresh abort signal,
   * and the abort request is kept only as the record of why the run stopped.
   */
  private resetAbort(): void {
    if (!this.abortController.signal.aborted) return;
    this.abortController = newAbortController();
    this.abortRequest = undefined;
  }

  // ---- events ------------------------------------------------------------------------------

  private note(level: 'info' | 'warning' | 'error', message: string, step?: string): void {
    this.emit({ type: 'run.note', level, message, step });
  }

  private emit(event: RunEvent): void {
    const shown = this.masked(event);
    this.record(shown);
    this.notify(shown);
  }

  /**
   * The event as people may see it. Listeners show it live (the CLI's log, the console), so it is
   * masked here, once, with the journal's masker, before the journal and the listeners get it: titles,
   * questions, instructions and confirmations render parameters, and check details quote raw output.
   * Output was masked on its way in, by a stream masker that sees secrets split across chunks.
   */
  private masked<Event extends RunEvent>(event: Event): Event {
    return event.type === 'step.output' ? event : this.options.masker.maskValue(event);
  }

  /**
   * Emits an event that must be on disk before what it announces happens (a step starting, a command
   * being sent). While the journal cannot be written, the run waits paused and tries again on resume.
   */
  private async emitDurable(written: RunEvent): Promise<void> {
    const event = this.masked(written);
    const recorder = this.options.recorder;
    let recorded = this.record(event);
    while (!recorded) {
      // Held: retry on the operator's resume, or by itself every few seconds (space may come back).
      await (this.pausedUntil ? Promise.race([this.pausedUntil.promise, sleep(JOURNAL_RETRY_MS)]) : sleep(JOURNAL_RETRY_MS));
      if (this.abortRequest) throw new CancelledError('The run');
      if (recorder.recover) {
        recorded = this.retryJournal();
      } else {
        recorded = this.record(event);
        if (recorded && (this.journalBroken || this.pausedUntil)) this.journalWritableAgain();
      }
    }
    this.notify(event);
  }

  /**
   * Writes an event to the journal. When it cannot (a recorder that throws loses the event; one that
   * holds keeps it to write later), the run is held before its next action and the listeners are told.
   */
  private record(event: RunEvent): boolean {
    const recorder = this.options.recorder;
    let problem: OpsError | undefined;
    try {
      recorder.append(event);
      if (!recorder.healthy || recorder.healthy()) return true;
      problem = recorder.problem?.() ?? new OpsError('journal-write', 'The audit journal could not be written.');
    } catch (error) {
      problem = isOpsError(error) ? error : new OpsError('journal-write', `The audit journal could not be written: ${userMessageOf(error)}`, { cause: error });
    }
    this.journalFailed(problem);
    return false;
  }

  /** Holds the run because of the journal, telling the listeners once (not on every retry). */
  private journalFailed(problem: OpsError): void {
    if (this.journalBroken) return;
    this.journalBroken = problem;
    this.hold();
    this.notify({
      type: 'run.note',
      level: 'error',
      message: `${problem.userMessage} The run is held before its next action; what happens meanwhile is kept and written first. Free space (or fix the cause): OpsDeck tries again every ${JOURNAL_RETRY_MS / 1000} s, or resume to try now.`,
    });
  }

  /** The journal took everything that waited: release the hold the failure put on the run. */
  private journalWritableAgain(): void {
    this.journalBroken = undefined;
    if (this.pausedUntil) {
      const { release } = this.pausedUntil;
      this.pausedUntil = undefined;
      this.status = 'running';
      release();
    }
    this.emit({ type: 'run.note', level: 'info', message: 'The audit journal can be written again; the run goes on.' });
  }

  private notify(event: RunEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private maskedParams(): Record<string, unknown> {
    const secretNames = new Set(this.options.runbook.params.filter((spec) => spec.secret).map((spec) => spec.name));
    const params: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(this.options.params)) {
      params[name] = secretNames.has(name) ? '********' : this.options.masker.maskValue(value);
    }
    return params;
  }
}

/**
 * Every command of a step listens on the run's abort signal while it runs: a step on 30 hosts holds 30
 * listeners, which is no leak (each is removed when its command ends) but made Node warn past 10.
 */
function newAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** Plan order of the steps, for the run.started event. */
function planOf(steps: Step[], prefix: string): Array<{ key: string; title: string; kind: string }> {
  return steps.flatMap((step) => {
    const entry = { key: prefix + step.id, title: step.title, kind: step.kind };
    if (step.kind === 'phase') return [entry, ...planOf(step.steps, `${entry.key}/`), ...planOf(step.check, `${entry.key}/check/`)];
    return [entry];
  });
}

/** The schemas a row count covers; names only, since they become SQL identifiers. */
function schemaList(rowCounts: string[] | string, scope: RunScope, key: string): string[] {
  const value = Array.isArray(rowCounts) ? rowCounts : valueIn(rowCounts, scope);
  const names = Array.isArray(value) ? value.map(String) : String(value).split(/[\s,]+/).filter(Boolean);
  const bad = names.filter((name) => !/^[A-Za-z0-9_]+$/.test(name));
  if (names.length === 0 || bad.length > 0) {
    throw new OpsError('sql-schemas', `Step ${key}: row_counts needs schema names (letters, digits, _), got ${JSON.stringify(value)}.`);
  }
  return names;
}

/** A title as the operator should read it; one that cannot render yet is shown as written. */
function renderTitle(title: string, scope: RunScope): string {
  try {
    return renderIn(title, scope, 'text');
  } catch {
    return title;
  }
}

/**
 * The step with the concurrency and durations it takes from templates (usually parameters) rendered
 * now; a value that renders to something unusable fails the step with a sentence saying which.
 */
function withDynamicValues(step: Step, scope: RunScope, key: string): Step {
  const dynamic = step.dynamic;
  if (!dynamic) return step;
  const resolved: Record<string, number> = {};
  if (dynamic.concurrency !== undefined) {
    const text = renderIn(dynamic.concurrency, scope, 'text').trim();
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(value >= 1)) throw new OpsError('dynamic-value', `Step ${key}: concurrency ${dynamic.concurrency} gave "${text}", not a whole number of 1 or more.`);
    resolved.concurrency = value;
  }
  const durations = [
    ['timeout', 'timeoutMs'],
    ['deadline', 'deadlineMs'],
    ['interval', 'intervalMs'],
  ] as const;
  for (const [name, field] of durations) {
    const template = dynamic[name];
    if (template === undefined) continue;
    const text = renderIn(template, scope, 'text').trim();
    const value = parseDuration(text);
    if (value === undefined) throw new OpsError('dynamic-value', `Step ${key}: ${name} ${template} gave "${text}", which is not a duration (like 30s, 5m or 1h).`);
    resolved[field] = value;
  }
  return { ...step, ...resolved } as Step;
}

/** One sentence on what became of a command whose connection was lost: still running, or gone. */
export async function describeCommandFate(ssh: SshConnector, host: HostSpec, pid: number): Promise<string> {
  try {
    const fate = await ssh.probe(host, pid);
    return fate === 'running'
      ? `${host.name}: the command is STILL RUNNING there (process ${pid}); retrying now would run it twice — wait for it, or stop it on the host first.`
      : `${host.name}: the command is no longer running there (process ${pid} is gone): it finished or was stopped, and its exit status is unknown — check its effect before retrying.`;
  } catch (error) {
    return `${host.name}: cannot tell whether the command (process ${pid}) still runs: ${userMessageOf(error)}`;
  }
}

function isBad(status: StepStatus): boolean {
  return status === 'failed' || status === 'interrupted';
}

function isRetriable(error: unknown): boolean {
  const code = codeOf(error);
  // Retrying cannot fix credentials or host keys, and a lost connection leaves the command's fate
  // unknown: the operator decides those, not the retry policy.
  return !['ssh_auth', 'ssh_host_key_unknown', 'ssh_host_key_changed', 'ssh_host_key_revoked', 'ssh_connection_lost', 'ssh_key', 'cancelled'].includes(code);
}

function resetRun(run: HostRun): void {
  run.result = undefined;
  run.error = undefined;
  run.stdout = new RetainedOutput();
  run.stderr = new RetainedOutput();
  run.status = 'pending';
  run.checks = [];
}

function describeFailure(runs: HostRun[], status: StepStatus): string {
  const bad = runs.filter((run) => run.status !== 'succeeded');
  const parts = bad.map((run) => {
    const failedCheck = run.checks.find((check) => !check.ok);
    return `${run.host.name}: ${failedCheck ? `${failedCheck.name}${failedCheck.detail ? ` — ${failedCheck.detail}` : ''}` : run.status}`;
  });
  if (status === 'interrupted') {
    return `The connection was lost while the command ran; whether it finished on the host is unknown. ${parts.join('; ')}`;
  }
  return parts.join('; ');
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the text "${value.length > 40 ? `${value.slice(0, 37)}...` : value}"`;
  return `a ${typeof value}`;
}

function describeItem(item: unknown): string {
  if (typeof item === 'string') return item;
  if (item && typeof item === 'object') {
    const record = item as Record<string, unknown>;
    const label = record.Name ?? record.name ?? record.ID ?? record.id;
    if (label !== undefined) return String(label);
  }
  return JSON.stringify(item);
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000) ? `${Math.round((ms % 60_000) / 1000)}s` : ''}`;
  return `${Math.floor(ms / 3_600_000)}h${Math.round((ms % 3_600_000) / 60_000)}m`;
}
