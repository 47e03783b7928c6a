import { formatTime } from '../logic/format';
import type { RunView } from '../stores/runs';
import { shownStatus } from '../stores/runs';
import { isConnected, useUiStore } from '../stores/ui';
import { StatusBadge } from './StatusBadge';

/** The runs of this session, to switch between them: title (whole in a tooltip), start time, status. */
export function RunPicker({ runs, selectedId, onSelect }: { runs: RunView[]; selectedId?: string; onSelect: (runId: string) => void }) {
  const connected = useUiStore(isConnected);
  if (runs.length <= 1) return null;
  return (
    <div className="run-picker" role="group" aria-label="Runs">
      {runs.map((run) => (
        <button
          key={run.runId}
          type="button"
          className={run.runId === selectedId ? 'tag active' : 'tag'}
          title={`${run.title} · started ${formatTime(run.startedAt)} · ${run.runId}`}
          onClick={() => onSelect(run.runId)}
        >
          <span className="chip-title">{run.title}</span> <span className="muted small">{formatTime(run.startedAt).slice(11)}</span>{' '}
          <StatusBadge of="run" status={shownStatus(run, connected)} />
        </button>
      ))}
    </div>
  );
}
