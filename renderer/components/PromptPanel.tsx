import type { PendingPrompt, StepView } from '../stores/runs';
import { ApprovalWait } from './ApprovalWait';
import { DecisionPrompt } from './DecisionPrompt';
import { DestructiveConfirm } from './DestructiveConfirm';
import { FailurePrompt } from './FailurePrompt';
import { ManualPrompt } from './ManualPrompt';

export interface PromptHandlers {
  confirm(step: string, text: string): void;
  decide(step: string, choice: string): void;
  complete(step: string, outcome: 'done' | 'failed', note: string): void;
  retry(step: string): void;
  /** Retry a fan-out step on its failed hosts only. */
  retryFailed?(step: string): void;
  skip(step: string, reason: string): void;
  /** Two-person approval: go on without a second operator, with a reason (break-glass). */
  breakGlass?(step: string, reason: string): void;
}

/** What the run waits for from the operator, one prompt per waiting step. */
export function PromptPanel({ prompts, handlers, runId, steps }: { prompts: PendingPrompt[]; handlers: PromptHandlers; runId?: string; steps?: Record<string, StepView> }) {
  if (prompts.length === 0) return null;
  return (
    <section className="prompts" aria-label="Waiting for you">
      {prompts.map((prompt) => (
        <div key={prompt.step} data-prompt-step={prompt.step} data-need={prompt.need}>
          <p className="muted small">
            Step <code>{prompt.step}</code>
          </p>
          {prompt.need === 'confirm' && (
            <DestructiveConfirm prompt={prompt.prompt} expected={prompt.expected ?? ''} mismatch={prompt.mismatch} onConfirm={(text) => handlers.confirm(prompt.step, text)} />
          )}
          {prompt.need === 'decision' && <DecisionPrompt prompt={prompt.prompt} choices={prompt.choices ?? []} onChoose={(choice) => handlers.decide(prompt.step, choice)} />}
          {prompt.need === 'manual' && <ManualPrompt prompt={prompt.prompt} onComplete={(outcome, note) => handlers.complete(prompt.step, outcome, note)} />}
          {prompt.need === 'approval' && <ApprovalWait prompt={prompt.prompt} onBreakGlass={(reason) => handlers.breakGlass?.(prompt.step, reason)} />}
          {prompt.need === 'failure' && (
            <FailurePrompt
              prompt={prompt.prompt}
              runId={runId}
              step={steps?.[prompt.step]}
              choices={prompt.choices}
              onRetry={() => handlers.retry(prompt.step)}
              onRetryFailed={handlers.retryFailed ? () => handlers.retryFailed?.(prompt.step) : undefined}
              onSkip={(reason) => handlers.skip(prompt.step, reason)}
            />
          )}
        </div>
      ))}
      <p className="muted small shortcut-legend">
        Keys (outside a text field): the key shown on a button answers; <kbd>G</kbd> comes back here from any screen.
      </p>
    </section>
  );
}
