import type { AuditRunSummary } from '../../electron/api/contract';
import { formatTime } from '../logic/format';
import { RunStatusBadge } from './RunStatusBadge';

/** Recorded runs, newest first; a box per run to pick two of one runbook to compare. */
export function AuditRunTable({ runs, selectedId, onSelect, compareIds = [], canCompare, onToggleCompare }: {
  runs: AuditRunSummary[];
  selectedId?: string;
  onSelect: (runId: string) => void;
  compareIds?: string[];
  canCompare?: (run: AuditRunSummary) => boolean;
  onToggleCompare?: (runId: string) => void;
}) {
  if (runs.length === 0) return <p className="muted">No recorded run matches.</p>;
  return (
    <table className="dense audit-table">
      <thead>
        <tr>
          {onToggleCompare && <th title="Pick two runs of one runbook">Compare</th>}
          <th>Started</th>
          <th>Runbook</th>
          <th>Environment</th>
          <th>Status</th>
          <th>Operator</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.runId} className={run.runId === selectedId ? 'selected' : ''} data-run={run.runId} onClick={() => onSelect(run.runId)}>
            {onToggleCompare && (
              <td onClick={(event) => event.stopPropagation()}>
                <input
                  type="checkbox"
                  aria-label={`Compare ${run.runId}`}
                  checked={compareIds.includes(run.runId)}
                  disabled={canCompare ? !canCompare(run) : false}
                  title={canCompare && !canCompare(run) ? 'Another runbook than the run picked: only runs of one runbook compare' : ''}
                  onChange={() => onToggleCompare(run.runId)}
                />
              </td>
            )}
            <td>
              <button type="button" className="link" onClick={() => onSelect(run.runId)}>
                {formatTime(run.startedAt)}
              </button>
            </td>
            <td>
              {run.runbookTitle} <code className="muted">{run.runbookId}</code>
            </td>
            <td>
              {run.environment} {run.lab && <span className="badge lab">LAB</span>}
            </td>
            <td>
              <RunStatusBadge status={run.status} />
            </td>
            <td>{run.operator}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
