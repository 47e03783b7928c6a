import type { RunStatus } from '../../electron/api/contract';
import { StatusBadge } from './StatusBadge';

/** A run's status: the one {@link StatusBadge}; `text` says more ("succeeded, 1 step skipped"). */
export function RunStatusBadge({ status, text }: { status: RunStatus | 'unknown' | 'unfinished'; text?: string }) {
  return <StatusBadge of="run" status={status} text={text} />;
}
