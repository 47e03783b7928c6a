/**
 * What a step kind is made of. Each kind (run, wait, manual, decision, foreach, phase, include, sql)
 * is one module in this folder giving its executor, its plan preview and the hosts it touches; the
 * registry in ./index.ts lists them in a `Record<StepKind, …>`, so a kind added to the model does not
 * compile until it has all three.
 *
 * The executor gets the runner through {@link StepRunContext}: the run's connectors, the journal
 * (plain and durable emits), the operator prompts and the walk of nested step lists. It never sees
 * the runner's own state.
 */
import type { RunEvent, StepFinishedEvent, StepStatus } from '../../audit/events';
import type { Environment, HostSpec } from '../../inventory/model';
import type { Runbook, Step, StepKind, Template } from '../../runbook/model';
import type { TemplateScope } from '../../runbook/template';
import type { SqlConnector } from '../../sql/mysql';
import type { SshConnector } from '../../ssh/types';
import type { OperatorReply, PromptRequest } from '../prompts';
import type { PlanStep } from './plan-types';
import type { RunScope } from '../scope';
import type { FittedTargets } from '../targets';

export type { PlanStep };

/** Masks secrets in text on its way out; the journal masks again, so this is belt and braces. */
export interface OutputMasker {
  mask(text: string): string;
  maskValue<T>(value: T): T;
  createStreamMasker(): { push(text: string): string; flush(): string };
}

/** The outcome of a step, as the step list walking it needs to know. */
export interface StepOutcome {
  status: StepStatus;
  /** Jump target of a decision: a step id, `end` or `abort`. */
  jump?: string;
}

/** Where a list of steps runs: its keys' prefix, its scope, and what surrounds it. */
export interface StepFrame {
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

export type WalkResult = 'ok' | 'failed' | 'interrupted';

/** The fields of a step.finished event a step sets; the runner fills in the rest. */
export type FinishFields = Partial<Omit<StepFinishedEvent, 'type' | 'step'>> & { status: StepStatus };

/** What an executor may use of the run it belongs to. */
export interface StepRunContext {
  readonly runbook: Runbook;
  readonly library?: { get(id: string): Runbook | undefined };
  readonly environment: Environment;
  readonly ssh: SshConnector;
  readonly sql?: SqlConnector;
  readonly operator: string;
  readonly masker: OutputMasker;
  /** Aborted when the operator aborts the run: running commands are killed. */
  signal(): AbortSignal;
  /** True once the operator asked to abort. */
  aborting(): boolean;
  /** Records the step as running; resolves once that is on disk. */
  startStep(key: string, step: Step, hosts: string[]): Promise<void>;
  finishStep(key: string, started: number, fields: FinishFields): void;
  emit(event: RunEvent): void;
  /** Resolves once the event is on disk: what it announces may happen now. */
  emitDurable(event: RunEvent): Promise<void>;
  note(level: 'info' | 'warning' | 'error', message: string, step?: string): void;
  /** Waits for the operator's answer to a prompt. */
  ask(key: string, prompt: PromptRequest): Promise<OperatorReply>;
  /**
   * Waits for the operator to type the confirmation of a destructive step (`typed` unless the runbook
   * says), and for a second operator's approval where the environment asks for it. `commands`: what a
   * step that sends commands will send, per host, so the approver sees exactly that.
   */
  confirmDestructive(step: Step, key: string, typed: string, scope: RunScope, commands?: Array<{ host: string; command: string }>): Promise<void>;
  /** Runs a nested list of steps. */
  walk(steps: Step[], frame: StepFrame): Promise<WalkResult>;
  /** The hosts of a run or wait step, with the runbook's optional roles applied. */
  fittedTargets(on: Template, frame: StepFrame): FittedTargets;
  /**
   * The hosts this attempt of the step runs on when the operator asked to retry the failed hosts
   * only (taken: the next attempt runs on all again); undefined for a whole attempt.
   */
  takeRetryOnly(key: string): ReadonlySet<string> | undefined;
  /** The step failed on these hosts only (it may be retried on them alone); an empty list forgets it. */
  setFailedHosts(key: string, hosts: string[]): void;
  /** Commands whose connection was lost mid-step: asked about at the failure prompt. */
  rememberLostCommands(key: string, lost: Array<{ host: HostSpec; pid: number }>): void;
}

/** What a preview needs: the scope known before the run, the environment, the library. */
export interface PreviewContext {
  scope: TemplateScope;
  environment: Environment;
  library: { get(id: string): Runbook | undefined };
  /** The runbooks the previewed list sits inside (an include of one of them is not expanded again). */
  includes: readonly string[];
  /** Previews a nested list of steps (keys under `prefix`, one level deeper). */
  previewList(steps: Step[], prefix: string, depth: number, context: PreviewContext): PlanStep[];
}

/** One step kind: how it runs, how the plan shows it, which hosts it touches. */
export interface StepKindModule<S extends Step> {
  /**
   * Runs the step (its `when:` is already true and its dynamic values rendered). A throw fails the
   * step with the error's sentence; the runner records that.
   */
  execute(step: S, key: string, frame: StepFrame, run: StepRunContext): Promise<StepOutcome>;
  /** The plan entries of the step: its own first, then those of the steps it holds. */
  preview(step: S, key: string, depth: number, context: PreviewContext): PlanStep[];
  /** The `on:` of a step that runs commands on hosts (known before the run when it uses no capture). */
  target(step: S): Template | undefined;
  /**
   * Whether a destructive confirmation waits until the step has its hosts (the host names are what
   * is typed); otherwise the runner asks before the executor starts.
   */
  confirmsOnHosts: boolean;
}

/** The registry's type: every kind of the model, each with a module for exactly that kind. */
export type StepKindRegistry = { [K in StepKind]: StepKindModule<Extract<Step, { kind: K }>> };
