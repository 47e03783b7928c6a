/**
 * The prompt protocol: a step that needs the operator (a destructive confirmation, a manual step, a
 * decision, a failed step) emits `step.awaiting` and waits here; the operator's answer settles it.
 * One waiter per step key. An abort rejects every waiter with CancelledError, so no step waits on
 * after the run was stopped.
 */
import type { ApprovalAnswer } from '../approval/types';
import type { PromptNeed, StepAwaitingEvent } from '../audit/events';
import { CancelledError, OpsError } from '../errors';

/** What the operator can answer at a failed step. */
/**
 * What the operator can answer at a failed step. `retry-failed`: run a fan-out `run` step again on
 * the hosts where it failed only (offered as a choice when it applies).
 */
export type FailureAction = 'retry' | 'retry-failed' | 'skip' | 'abort' | 'rollback';

/** What a step asks of the operator. */
export interface PromptRequest {
  need: PromptNeed;
  prompt: string;
  /** For a confirmation: the text to type. */
  expected?: string;
  choices?: Array<{ id: string; label: string }>;
}

/** The operator's answer, by the need it answers. */
export type OperatorReply =
  | { kind: 'confirm' }
  | { kind: 'manual'; outcome: 'done' | 'failed'; note?: string }
  | { kind: 'decision'; choice: string }
  | { kind: 'failure'; action: FailureAction; reason?: string }
  /** A second operator's answer (from the approval transport), or the operator's break-glass override. */
  | { kind: 'approval'; answer: ApprovalAnswer }
  | { kind: 'approval'; override: { reason: string; proof?: string } };

/** A prompt the run waits on, as the console and the CLI list it. */
export interface PendingPrompt {
  step: string;
  need: PromptNeed;
  expected?: string;
  choices?: string[];
}

interface Waiter {
  need: PromptNeed;
  expected?: string;
  choices?: string[];
  resolve: (reply: OperatorReply) => void;
  reject: (error: unknown) => void;
}

export class OperatorPrompts {
  private readonly waiters = new Map<string, Waiter>();

  /**
   * @param announce emits the `step.awaiting` event (recorded before anyone sees it).
   * @param aborting true once the run is being aborted: no new prompt is opened then.
   */
  constructor(
    private readonly announce: (event: StepAwaitingEvent) => void,
    private readonly aborting: () => boolean,
  ) {}

  /** Opens a prompt for a step and waits for its answer. */
  ask(key: string, request: PromptRequest): Promise<OperatorReply> {
    if (this.aborting()) return Promise.reject(new CancelledError('The run'));
    return new Promise<OperatorReply>((resolve, reject) => {
      this.waiters.set(key, { need: request.need, expected: request.expected, choices: request.choices?.map((choice) => choice.id), resolve, reject });
      this.announce({ type: 'step.awaiting', step: key, need: request.need, prompt: request.prompt, expected: request.expected, choices: request.choices });
    });
  }

  /** What the run waits for from the operator right now. */
  pending(): PendingPrompt[] {
    return [...this.waiters].map(([step, waiter]) => ({ step, need: waiter.need, expected: waiter.expected, choices: waiter.choices }));
  }

  /** The open prompt of a step for this need; throws a sentence naming what the run waits for instead. */
  waiting(stepKey: string, need: PromptNeed): PendingPrompt {
    const waiter = this.waiters.get(stepKey);
    if (!waiter || waiter.need !== need) {
      const waiting =
        this.pending()
          .map((prompt) => `${prompt.step} (${prompt.need})`)
          .join(', ') || 'nothing';
      throw new OpsError('no-such-prompt', `Step ${stepKey} is not waiting for a ${need} answer; the run waits for: ${waiting}.`);
    }
    return { step: stepKey, need, expected: waiter.expected, choices: waiter.choices };
  }

  /** Answers a step's prompt. */
  settle(stepKey: string, reply: OperatorReply): void {
    const waiter = this.waiters.get(stepKey);
    this.waiters.delete(stepKey);
    waiter?.resolve(reply);
  }

  /** Ends every wait with the run's cancellation. */
  cancelAll(): void {
    for (const [, waiter] of this.waiters) waiter.reject(new CancelledError('The run'));
    this.waiters.clear();
  }
}
