import { formatTime } from '../logic/format';
import type { RunView } from '../stores/runs';
import { RunStatusBadge } from './RunStatusBadge';

/** The runs of this session, to switch between them: title (whole in a tooltip), start time, status. */
export function RunPicker({ runs, selectedId, onSelect }: { runs: RunView[]; selectedId?: string; onSelect: (runId: string) => void }) {
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
          <span className="chip-title">{run.title}</span> <span className="muted small">{formatTime(run.startedAt).slice(11)}</span> <RunStatusBadge status={run.status} />
        </button>
      ))}
    </div>
  );
}
