import type { RunView } from '../stores/runs';
import { RunStatusBadge } from './RunStatusBadge';

/** The runs of this session, to switch between them. */
export function RunPicker({ runs, selectedId, onSelect }: { runs: RunView[]; selectedId?: string; onSelect: (runId: string) => void }) {
  if (runs.length <= 1) return null;
  return (
    <div className="run-picker" role="group" aria-label="Runs">
      {runs.map((run) => (
        <button key={run.runId} type="button" className={run.runId === selectedId ? 'tag active' : 'tag'} onClick={() => onSelect(run.runId)}>
          {run.title} <RunStatusBadge status={run.status} />
        </button>
      ))}
    </div>
  );
}
