import type { RunStatus, StepStatus } from '../../electron/api/contract';

const STEP_LABELS: Record<StepStatus, { icon: string; text: string }> = {
  pending: { icon: '○', text: 'pending' },
  running: { icon: '◐', text: 'running' },
  succeeded: { icon: '✓', text: 'succeeded' },
  failed: { icon: '✗', text: 'failed' },
  skipped: { icon: '↷', text: 'skipped' },
  interrupted: { icon: '!', text: 'interrupted' },
};

export type StatusBadgeProps = { of: 'run'; status: RunStatus | 'unknown' | 'unfinished'; text?: string } | { of: 'step'; status: StepStatus };

/**
 * The one status badge of the console: a run's status (coloured by how it ended; `state unknown`
 * while the backend cannot be reached) or a step's (an icon and a word, never colour alone).
 */
export function StatusBadge(props: StatusBadgeProps) {
  if (props.of === 'step') {
    const label = STEP_LABELS[props.status];
    return (
      <span className={`badge status-${props.status}`} data-status={props.status}>
        <span aria-hidden="true">{label.icon}</span> {label.text}
      </span>
    );
  }
  const unknown = props.status === 'unknown';
  return (
    <span
      className={`badge run-${props.status}`}
      data-run-status={props.status}
      title={unknown ? 'OpsDeck cannot be reached (or no longer holds this run): what the run does now is not known here.' : undefined}
    >
      {unknown ? 'state unknown' : (props.text ?? props.status)}
    </span>
  );
}
