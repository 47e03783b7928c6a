import type { StepStatus } from '../../electron/api/contract';
import { StatusBadge } from './StatusBadge';

/** A step's status: the one {@link StatusBadge}. */
export function StepStatusBadge({ status }: { status: StepStatus }) {
  return <StatusBadge of="step" status={status} />;
}
