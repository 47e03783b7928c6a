import type { StepStatus } from '../../electron/api/contract';

const LABELS: Record<StepStatus, { icon: string; text: string }> = {
  pending: { icon: '○', text: 'pending' },
  running: { icon: '◐', text: 'running' },
  succeeded: { icon: '✓', text: 'succeeded' },
  failed: { icon: '✗', text: 'failed' },
  skipped: { icon: '↷', text: 'skipped' },
  interrupted: { icon: '!', text: 'interrupted' },
};

/** A step's status as an icon and a word (never colour alone). */
export function StepStatusBadge({ status }: { status: StepStatus }) {
  const label = LABELS[status];
  return (
    <span className={`badge status-${status}`} data-status={status}>
      <span aria-hidden="true">{label.icon}</span> {label.text}
    </span>
  );
}
