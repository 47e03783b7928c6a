import type { RunStatus } from '../../electron/api/contract';
import { StatusBadge } from './StatusBadge';

/** A run's status: the one {@link StatusBadge}. */
export function RunStatusBadge({ status }: { status: RunStatus | 'unknown' }) {
  return <StatusBadge of="run" status={status} />;
}
