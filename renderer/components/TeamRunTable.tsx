import type { TeamRunSummary } from '../../electron/api/contract';
import { formatTime } from '../logic/format';
import { RunStatusBadge } from './RunStatusBadge';

/** The team database's runs, any machine's, labelled TEAM. */
export function TeamRunTable({ runs, selectedId, onSelect }: { runs: TeamRunSummary[]; selectedId?: string; onSelect: (runId: string) => void }) {
  if (runs.length === 0) return <p className="muted">The team database holds no run yet.</p>;
  return (
    <table className="dense audit-table team-table" aria-label="Team runs">
      <thead>
        <tr>
          <th>Started</th>
          <th>Runbook</th>
          <th>Environment</th>
          <th>Status</th>
          <th>Operator</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.runId} className={run.runId === selectedId ? 'selected' : ''} data-team-run={run.runId} onClick={() => onSelect(run.runId)}>
            <td>
              <span className="badge team">TEAM</span>{' '}
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
            <td>
              {run.operator} <span className="muted small">on {run.machine}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
