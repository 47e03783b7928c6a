import type { StepView } from '../stores/runs';
import { ElapsedTime } from './ElapsedTime';
import { StepHostCounts } from './StepHostCounts';
import { StepStatusBadge } from './StepStatusBadge';

/**
 * Every step of a run with its live status and time; the selected one is highlighted. A step on
 * several hosts shows how many succeeded, failed or still run, never a row per host.
 */
export function RunStepList({
  steps,
  selectedKey,
  waiting,
  onSelect,
}: {
  steps: StepView[];
  selectedKey?: string;
  /** Steps waiting for the operator. */
  waiting: string[];
  onSelect: (key: string) => void;
}) {
  return (
    <ol className="step-list" aria-label="Steps">
      {steps.map((step) => (
        <li key={step.key} data-step={step.key} data-status={step.status}>
          <button
            type="button"
            className={`step-row${step.key === selectedKey ? ' selected' : ''}${step.planned?.destructive ? ' destructive' : ''}`}
            style={{ paddingLeft: `${0.5 + step.depth * 1}rem` }}
            aria-current={step.key === selectedKey ? 'step' : undefined}
            onClick={() => onSelect(step.key)}
          >
            <StepStatusBadge status={step.status} />
            <span className="step-title">{step.title}</span>
            {waiting.includes(step.key) && <span className="badge waiting">needs you</span>}
            {step.attempt > 1 && <span className="muted small">attempt {step.attempt}</span>}
            <ElapsedTime startedAt={step.startedAt} durationMs={step.durationMs} running={step.status === 'running'} />
          </button>
          <StepHostCounts stepKey={step.key} hosts={step.hosts} outcomes={step.hostOutcomes} status={step.status} />
        </li>
      ))}
    </ol>
  );
}
