import type { RunStatus } from '../../electron/api/contract';

/** A run's status, coloured by how it ended; `text` says more ("succeeded, 1 step skipped"). */
export function RunStatusBadge({ status, text }: { status: RunStatus | 'unfinished'; text?: string }) {
  return (
    <span className={`badge run-${status}`} data-run-status={status}>
      {text ?? status}
    </span>
  );
}
