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
import { CancelledError, OpsError, codeOf, userMessageOf } from '../errors';
import type { RunEvent, RunStatus, StepStatus } from '../audit/events';
import type { Environment, HostSpec } from '../inventory/model';
import type { ParamValue, Runbook, Step } from '../runbook/model';
import type { SqlConnector } from '../sql/mysql';
import type { SshConnector } from '../ssh/types';
import { parseDuration } from '../runbook/parse';
import { evaluateCondition } from './checks';
import { sleep } from './concurrency';
import { DurableEmitter, JOURNAL_RETRY_MS, type EventRecorder } from './durable';
import { OperatorPrompts, type FailureAction, type OperatorReply, type PendingPrompt, type PromptRequest } from './prompts';
import { environmentScope, renderIn, type RunScope } from './scope';
import { planOfSteps, previewSteps, stepKindOf } from './steps';
import type { ApprovalAnswer, ApprovalRequest, ApprovalTransport } from '../approval/types';
import { commandAsSent } from '../ssh/command-line';
import { randomBytes } from 'node:crypto';
import type { FinishFields, OutputMasker, StepFrame, StepOutcome, StepRunContext, WalkResult } from './steps/types';
import { resolveFittedTargets } from './targets';

export type { EventRecorder, FailureAction, OutputMasker };
export { JOURNAL_RETRY_MS };
export { formatMs } from './format';

/** What the run does at a failed step when nobody is asked. */
export type FailurePolicy = 'ask' | 'stop' | 'rollback';

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
  /**
   * Where destructive steps ask a second operator when the environment says `approval: two-person`
   * (electron/core/approval/). Without one such a step fails with a sentence saying so.
   */
  approvals?: ApprovalTransport;
  /** How often the answers to an approval request are read. Default 1 s. */
  approvalPollMs?: number;
}

/** Raised inside the walk when the operator or a decision ends the run early. */
class StopRun extends Error {
  constructor(
    readonly how: 'abort' | 'rollback' | 'end',
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The capture by which a rollback step says what it undid (see docs/runbook-format.md). */
const UNDONE_CAPTURE = 'undone';

const STOPPED_STATUSES: ReadonlySet<StepStatus> = new Set(['succeeded', 'skipped']);

export class Runner {
  readonly runId: string;
  private readonly options: RunnerOptions;
  private readonly statuses = new Map<string, StepStatus>();
  private readonly journal: DurableEmitter;
  private readonly prompts: OperatorPrompts;
  /** What the step kinds' executors may use of this run. */
  private readonly context: StepRunContext;
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
  /** A failed fan-out run step's failed hosts, while it can be retried on those alone. */
  private readonly failedHosts = new Map<string, string[]>();
  /** The hosts the next attempt of a step runs on (retry of the failed hosts only). */
  private readonly retryOnly = new Map<string, Set<string>>();
  private abortController = newAbortController();
  private readonly rootScope: RunScope;
  private status: RunStatus = 'running';
  private pausedUntil: { promise: Promise<void>; release: () => void } | undefined;
  private abortRequest: { reason: string; rollback: boolean } | undefined;
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
    this.journal = new DurableEmitter(options.recorder, (event) => this.masked(event), {
      hold: () => this.hold(),
      held: () => this.pausedUntil?.promise,
      release: () => this.releaseHold(),
      aborting: () => this.abortRequest !== undefined,
    });
    this.prompts = new OperatorPrompts(
      (event) => this.emit(event),
      () => this.abortRequest !== undefined,
    );
    this.context = {
      runbook: options.runbook,
      library: options.library,
      environment,
      ssh: options.ssh,
      sql: options.sql,
      operator: options.operator,
      masker: options.masker,
      signal: () => this.abortController.signal,
      aborting: () => this.abortRequest !== undefined,
      startStep: (key, step, hosts) => this.startStep(key, step, hosts),
      finishStep: (key, started, fields) => this.finishStep(key, started, fields),
      emit: (event) => this.emit(event),
      emitDurable: (event) => this.journal.emitDurable(event),
      note: (level, message, step) => this.note(level, message, step),
      ask: (key, request) => this.ask(key, request),
      confirmDestructive: (step, key, typed, scope, commands) => this.confirmDestructive(step, key, typed, scope, commands),
      walk: (steps, frame) => this.walk(steps, frame),
      fittedTargets: (on, frame) => this.fittedTargets(on, frame),
      rememberLostCommands: (key, lost) => this.lostCommands.set(key, lost),
      takeRetryOnly: (key) => {
        const only = this.retryOnly.get(key);
        this.retryOnly.delete(key);
        return only;
      },
      setFailedHosts: (key, hosts) => {
        if (hosts.length > 0) this.failedHosts.set(key, hosts);
        else this.failedHosts.delete(key);
      },
    };
  }

  /** Subscribes to every event after it is recorded; returns the unsubscribe function. */
  onEvent(listener: (event: RunEvent) => void): () => void {
    return this.journal.onEvent(listener);
  }

  get runStatus(): RunStatus {
    return this.status;
  }

  /** The status of every step key seen so far. */
  stepStatuses(): Record<string, StepStatus> {
    return Object.fromEntries(this.statuses);
  }

  /** What the run is waiting for from the operator right now. */
  pendingPrompts(): PendingPrompt[] {
    return this.prompts.pending();
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
        plan: planOfSteps(runbook.steps),
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
    await this.journal.emitDurable({ type: 'run.finished', status: final, durationMs: Date.now() - this.startedAt, reason }).catch(() => undefined);
    return final;
  }

  // ---- operator controls -------------------------------------------------------------------

  /** Confirms a destructive step; returns false (and keeps waiting) when the text does not match. */
  confirm(stepKey: string, text: string): boolean {
    const waiter = this.prompts.waiting(stepKey, 'confirm');
    const matches = text.trim() === waiter.expected;
    this.emit({
      type: 'operator.action',
      action: 'confirm',
      step: stepKey,
      operator: this.options.operator,
      text,
      note: matches ? undefined : `did not match "${waiter.expected}"; the step still waits`,
    });
    if (matches) this.prompts.settle(stepKey, { kind: 'confirm' });
    return matches;
  }

  /** Marks a manual step done or failed, with an optional note. */
  completeManual(stepKey: string, outcome: 'done' | 'failed', note?: string): void {
    this.prompts.waiting(stepKey, 'manual');
    this.emit({
      type: 'operator.action',
      action: outcome === 'done' ? 'manual-done' : 'manual-failed',
      step: stepKey,
      operator: this.options.operator,
      note,
    });
    this.prompts.settle(stepKey, { kind: 'manual', outcome, note });
  }

  /** Answers a decision with one of its choice ids. */
  decide(stepKey: string, choice: string): void {
    const waiter = this.prompts.waiting(stepKey, 'decision');
    if (!waiter.choices?.includes(choice)) {
      throw new OpsError('bad-choice', `"${choice}" is not a choice of step ${stepKey} (choices: ${waiter.choices?.join(', ')}).`);
    }
    this.emit({ type: 'operator.action', action: 'decide', step: stepKey, operator: this.options.operator, choice });
    this.prompts.settle(stepKey, { kind: 'decision', choice });
  }

  /** Answers a failed step: retry it, skip it (a reason is required), abort, or abort and roll back. */
  resolveFailure(stepKey: string, action: FailureAction, reason?: string): void {
    this.prompts.waiting(stepKey, 'failure');
    if (action === 'retry-failed' && !this.failedHosts.has(stepKey)) {
      throw new OpsError(
        'retry-failed-unavailable',
        `Step ${stepKey} cannot be retried on its failed hosts only (it is not a run step on several hosts with some succeeded, or it captures values): retry the whole step.`,
      );
    }
    if (action === 'skip' && !reason?.trim()) {
      throw new OpsError('reason-required', 'Skipping a failed step needs a reason; it is recorded in the audit trail.');
    }
    this.prompts.settle(stepKey, { kind: 'failure', action, reason });
  }

  /**
   * Break-glass: goes on with a destructive step that waits for a second operator, without one. Only
   * the run's own operator can (this is their runner); the reason is journaled and every report shows it.
   */
  overrideApproval(stepKey: string, reason: string): void {
    this.prompts.waiting(stepKey, 'approval');
    if (!reason?.trim()) {
      throw new OpsError('reason-required', 'Overriding the two-person rule (break-glass) needs a reason; it is recorded and shown in the report.');
    }
    this.prompts.settle(stepKey, { kind: 'approval', override: { reason: reason.trim() } });
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
    this.journal.forgetProblem();
    const { release } = this.pausedUntil;
    this.pausedUntil = undefined;
    this.status = 'running';
    this.emit({ type: 'operator.action', action: 'resume', operator: this.options.operator });
    release();
  }

  /** Releases a hold the journal put on the run: it goes on. */
  private releaseHold(): void {
    if (!this.pausedUntil) return;
    const { release } = this.pausedUntil;
    this.pausedUntil = undefined;
    this.status = 'running';
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
    this.prompts.cancelAll();
    this.pausedUntil?.release();
  }

  // ---- walking the steps -------------------------------------------------------------------

  /** Runs a list of steps; resolves 'failed' when a failure was not resolved by the operator. */
  private async walk(steps: Step[], frame: StepFrame): Promise<WalkResult> {
    const askOnFailure = frame.topLevel && this.options.onFailure === 'ask';
    for (let index = 0; index < steps.length; index++) {
      const step = steps[index];
      const key = frame.prefix + step.id;
      if (STOPPED_STATUSES.has(this.statuses.get(key) ?? 'pending')) continue;
      await this.checkpoint();
      let outcome = await this.runStep(step, key, frame);
      while (isBad(outcome.status) && !step.continueOnFailure && askOnFailure) {
        const action = await this.askFailure(key);
        if (action.action === 'retry' || action.action === 'retry-failed') {
          const failed = this.failedHosts.get(key);
          if (action.action === 'retry-failed' && failed) this.retryOnly.set(key, new Set(failed));
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
      if (!this.journal.problem) {
        await this.pausedUntil.promise;
        continue;
      }
      await Promise.race([this.pausedUntil.promise, sleep(JOURNAL_RETRY_MS)]);
      if (this.abortRequest) break;
      this.journal.retry();
    }
    if (this.abortRequest) throw new CancelledError('The run');
  }

  private async runStep(written: Step, key: string, frame: StepFrame): Promise<StepOutcome> {
    const started = Date.now();
    let step = written;
    try {
      step = withDynamicValues(written, frame.scope, key);
      if (step.title.includes('{{')) step = { ...step, title: renderTitle(step.title, frame.scope) };
      if (step.when && !evaluateCondition(step.when, (text) => renderIn(text, frame.scope, 'text'))) {
        this.finishSkipped(key, 'its condition (when) is false');
        return { status: 'skipped' };
      }
      const kind = stepKindOf(step);
      const on = kind.target(step);
      if (on !== undefined) {
        const fitted = this.fittedTargets(on, frame);
        if (fitted.hosts.length === 0) {
          this.finishSkipped(key, `no ${fitted.absent.join(' or ')} role in this environment`);
          return { status: 'skipped' };
        }
        for (const [role, instead] of fitted.replaced) {
          this.note('info', `no ${role} role in this environment: step ${key} runs on the ${instead} hosts instead`, key);
        }
      }
      // Run and wait steps confirm once their hosts are known: the host names are what is typed.
      if (step.destructive && !kind.confirmsOnHosts) await this.confirmDestructive(step, key, step.id, frame.scope);
      return await kind.execute(step, key, frame, this.context);
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
    await this.journal.emitDurable({ type: 'step.started', step: key, title: step.title, kind: step.kind, hosts, attempt: 1 });
  }

  private finishStep(key: string, started: number, fields: FinishFields): void {
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

  /** The hosts of an `on:` with the runbook's optional roles applied (absent ones dropped or replaced). */
  private fittedTargets(on: string, frame: StepFrame) {
    const optionalRoles = frame.optionalRoles ?? this.options.runbook.optionalRoles ?? {};
    return resolveFittedTargets(renderIn(on, frame.scope, 'text'), this.options.environment, optionalRoles);
  }

  /**
   * Waits for the operator to type the confirmation of a destructive step (`destructive.confirm`, or
   * `typed`), then, on an environment with `approval: two-person`, for a second operator's approval.
   * `commands`: what a run or wait step will send, per host (before the sudo wrapper).
   */
  private async confirmDestructive(step: Step, key: string, typed: string, scope: RunScope, commands?: Array<{ host: string; command: string }>): Promise<void> {
    const expected = step.destructive?.confirm ? renderIn(step.destructive.confirm, scope, 'text').trim() : typed;
    const warning = step.destructive?.warning ? `${renderIn(step.destructive.warning, scope, 'text')}\n` : '';
    await this.ask(key, {
      need: 'confirm',
      expected,
      prompt: `${warning}Step "${step.title}" is destructive. Type "${expected}" to run it.`,
    });
    if (this.options.environment.approval) await this.awaitApproval(step, key, scope, warning.trim(), commands);
  }

  // ---- two-person approval -----------------------------------------------------------------

  /**
   * Publishes what the step will do, waits for a second operator's answer (or the operator's
   * break-glass, or an abort), and journals it. A refusal stops the run: the step never runs.
   */
  private async awaitApproval(step: Step, key: string, scope: RunScope, warning: string, commands?: Array<{ host: string; command: string }>): Promise<void> {
    const transport = this.options.approvals;
    const environment = this.options.environment;
    if (!transport) {
      throw new OpsError(
        'approval-unavailable',
        `Environment ${environment.name} asks for two-person approval of destructive steps, and this run has no way to reach a second operator; step ${key} was not run.`,
      );
    }
    const request = this.approvalRequest(step, key, scope, warning, commands);
    await this.journal.emitDurable({ type: 'approval.requested', step: key, requestId: request.id, hosts: request.hosts, commands: request.commands, via: transport.description });
    const pollMs = this.options.approvalPollMs ?? 1000;
    let posted = false;
    let lastProblem = '';
    const handled = new Set<string>();
    let waiting = true;
    const tryPost = async () => {
      try {
        if (!posted) await transport.submit(request);
        posted = true;
        return true;
      } catch (error) {
        const problem = userMessageOf(error);
        if (problem !== lastProblem)
          this.note('error', `The approval request of step ${key} could not be posted: ${problem} Retrying; the operator can still break the glass with a reason.`, key);
        lastProblem = problem;
        return false;
      }
    };
    await tryPost();
    const reply = this.ask(key, {
      need: 'approval',
      prompt:
        `Step "${step.title}" is destructive, and ${environment.name} requires two-person approval: waiting for approval from a second operator (${transport.description}).\n` +
        `They can approve or refuse it in their console, or with: opsdeck approve ${this.runId} ${key} --env <file> --reason "..."\n` +
        'Break-glass: you can go on without them, with a reason; it is shown loudly in the report.',
    });
    const poll = async () => {
      while (waiting) {
        await sleep(pollMs);
        if (!waiting || !(await tryPost())) continue;
        let answers: ApprovalAnswer[];
        try {
          answers = await transport.answers(request);
        } catch (error) {
          const problem = userMessageOf(error);
          if (problem !== lastProblem) this.note('warning', `The answers to the approval of step ${key} cannot be read now: ${problem}`, key);
          lastProblem = problem;
          continue;
        }
        for (const answer of answers) {
          if (!waiting || handled.has(answer.answerId)) continue;
          handled.add(answer.answerId);
          if (answer.rejected) {
            this.emit({
              type: 'approval.not-counted',
              step: key,
              requestId: request.id,
              approver: answer.approver,
              proof: answer.proof,
              reason: answer.reason,
              why: answer.rejected,
            });
            continue;
          }
          if (this.prompts.pending().some((prompt) => prompt.step === key && prompt.need === 'approval')) {
            this.prompts.settle(
              key,
              answer.decision === 'override' ? { kind: 'approval', override: { reason: answer.reason, proof: answer.proof } } : { kind: 'approval', answer },
            );
          }
          waiting = false;
        }
      }
    };
    const polling = poll();
    let outcome: 'granted' | 'refused' | 'overridden' | 'withdrawn' = 'withdrawn';
    try {
      const answered = await reply;
      if (answered.kind !== 'approval') throw new OpsError('internal', 'unexpected reply');
      if ('override' in answered) {
        outcome = 'overridden';
        await this.journal.emitDurable({
          type: 'approval.overridden',
          step: key,
          requestId: request.id,
          operator: this.options.operator,
          reason: answered.override.reason,
          ...(answered.override.proof ? { proof: answered.override.proof } : {}),
        });
        this.note('warning', `BREAK-GLASS: ${this.options.operator} ran step ${key} without a second operator's approval: ${answered.override.reason}`, key);
        return;
      }
      const { answer } = answered;
      outcome = answer.decision === 'approve' ? 'granted' : 'refused';
      await this.journal.emitDurable({
        type: outcome === 'granted' ? 'approval.granted' : 'approval.refused',
        step: key,
        requestId: request.id,
        approver: answer.approver,
        proof: answer.proof,
        reason: answer.reason,
      });
      if (outcome === 'refused') {
        const why = `${answer.approver} refused step ${key} (two-person approval): ${answer.reason}`;
        this.finishStep(key, Date.now(), { status: 'failed', reason: `Not run: ${why}`, errorCode: 'approval-refused' });
        throw new StopRun('abort', `The run stopped: ${why}.`);
      }
    } finally {
      waiting = false;
      await polling;
      await transport.close(request, outcome).catch(() => undefined);
    }
  }

  /** What the second operator is shown: the step, its hosts, the commands exactly as sent, the plan. */
  private approvalRequest(step: Step, key: string, scope: RunScope, warning: string, commands?: Array<{ host: string; command: string }>): ApprovalRequest {
    const { runbook, environment, library } = this.options;
    const prefix = key.slice(0, key.length - step.id.length);
    let preview: ReturnType<typeof previewSteps> = [];
    try {
      preview = previewSteps([step], prefix, 0, { scope, environment, library: library ?? { get: () => undefined }, includes: [runbook.id] });
    } catch {
      // The preview is for the approver's eyes; the commands below are what counts.
    }
    const sudo = (step.kind === 'run' || step.kind === 'wait') && step.sudo;
    const sent = commands ? commands.map((entry) => ({ host: entry.host, command: commandAsSent(entry.command, sudo) })) : preview.flatMap((entry) => entry.commands);
    const top = key.split('/')[0].replace(/\[\d+\]$/, '');
    return this.options.masker.maskValue({
      id: `${this.runId}~${Buffer.from(key).toString('base64url')}~${randomBytes(4).toString('hex')}`,
      runId: this.runId,
      step: key,
      title: step.title,
      runbook: { id: runbook.id, title: runbook.title },
      environment: environment.name,
      operator: this.options.operator,
      machine: this.options.machine ?? os.hostname(),
      requestedAt: new Date().toISOString(),
      hosts: [...new Set(sent.map((entry) => entry.host))],
      commands: sent,
      ...(warning ? { warning } : {}),
      checks: preview[0]?.checks ?? [],
      plan: runbook.steps.map((entry) => ({
        key: entry.id,
        title: entry.title,
        state: entry.id === top ? ('this' as const) : STOPPED_STATUSES.has(this.statuses.get(entry.id) ?? 'pending') ? ('done' as const) : ('next' as const),
      })),
    });
  }

  // ---- operator prompts --------------------------------------------------------------------

  private async askFailure(key: string): Promise<{ action: FailureAction; reason?: string }> {
    let fate = '';
    if (this.statuses.get(key) === 'interrupted') {
      const lines = await this.commandFates(key);
      if (lines.length > 0) {
        fate = `\n${lines.join('\n')}`;
        this.note('warning', `What became of the interrupted commands of ${key}: ${lines.join(' ')}`, key);
      }
    }
    const failedHosts = this.failedHosts.get(key);
    const reply = await this.ask(key, {
      need: 'failure',
      prompt: `Step ${key} ${this.statuses.get(key) === 'interrupted' ? 'was interrupted (its connection was lost)' : 'failed'}.${fate}\nRetry it, skip it (with a reason), abort the run, or abort and roll back?`,
      choices: [
        { id: 'retry', label: 'Retry the step' },
        ...(failedHosts ? [{ id: 'retry-failed', label: `Retry only the failed hosts (${failedHosts.join(', ')})` }] : []),
        { id: 'skip', label: 'Skip it (a reason is required)' },
        { id: 'abort', label: 'Abort the run' },
        { id: 'rollback', label: 'Abort and roll back' },
      ],
    });
    if (reply.kind !== 'failure') throw new OpsError('internal', 'unexpected reply');
    if (reply.action === 'retry') this.emit({ type: 'operator.action', action: 'retry', step: key, operator: this.options.operator });
    if (reply.action === 'retry-failed') {
      this.emit({ type: 'operator.action', action: 'retry', step: key, operator: this.options.operator, note: `only the failed hosts: ${failedHosts?.join(', ')}` });
    }
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

  private ask(key: string, request: PromptRequest): Promise<OperatorReply> {
    return this.prompts.ask(key, request);
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
    const chosen = [...order.flatMap((id) => entries.filter((entry) => entry.undoes === id)), ...entries.filter((entry) => !entry.undoes)];
    if (chosen.length === 0) {
      this.rollbackSummary =
        entries.length === 0 ? 'Nothing was undone: this runbook has no rollback section.' : 'Nothing was undone: no step that ran has an undo in the rollback section.';
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
    this.journal.emit(event);
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
  return { ...step, ...resolved };
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
