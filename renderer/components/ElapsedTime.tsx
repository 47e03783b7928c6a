import { formatDuration } from '../logic/format';
import { useNow } from '../logic/useNow';

/** Time since `startedAt`, ticking while running; the final duration once known. */
export function ElapsedTime({ startedAt, durationMs, running }: { startedAt?: number; durationMs?: number; running: boolean }) {
  const now = useNow(running && durationMs === undefined);
  const value = durationMs ?? (startedAt !== undefined ? now - startedAt : undefined);
  return <span className="elapsed">{formatDuration(value)}</span>;
}
