import type { RunStatus } from '../../electron/api/contract';

/** A run's status, coloured by how it ended. */
export function RunStatusBadge({ status }: { status: RunStatus }) {
  return (
    <span className={`badge run-${status}`} data-run-status={status}>
      {status}
    </span>
  );
}
