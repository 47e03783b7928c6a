import type { AuditRunFacts, AuditRunSummary } from '../../electron/api/contract';
import { formatDuration, formatTimeWithZone } from '../logic/format';
import { statusText } from '../logic/truth';
import { RunStatusBadge } from './RunStatusBadge';

/** Recorded runs, newest first; a box per run to pick two of one runbook to compare. */
export function AuditRunTable({
  runs,
  facts = {},
  selectedId,
  onSelect,
  compareIds = [],
  canCompare,
  onToggleCompare,
}: {
  runs: AuditRunSummary[];
  /** Each run's facts from its whole journal, by run id; a run without them shows `…` until they come. */
  facts?: Record<string, AuditRunFacts>;
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
          <th>Duration</th>
          <th>Verified</th>
          <th>Skipped</th>
          <th>Drill</th>
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
                {formatTimeWithZone(run.startedAt)}
              </button>
            </td>
            <td>
              {run.runbookTitle} <code className="muted">{run.runbookId}</code>
            </td>
            <td>
              {run.environment} {run.lab && <span className="badge lab">LAB</span>}
            </td>
            <td>
              <RunStatusBadge
                status={run.status}
                text={
                  facts[run.runId] ? statusText(run.status, { skipped: facts[run.runId].skipped, failed: run.status === 'succeeded' ? facts[run.runId].failed : 0 }) : undefined
                }
              />
            </td>
            <td className="small">{formatDuration(facts[run.runId]?.durationMs ?? (run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.startedAt) : undefined))}</td>
            <td data-verified-cell={facts[run.runId] ? (facts[run.runId].verified ? 'yes' : 'no') : undefined}>
              {facts[run.runId] ? facts[run.runId].verified ? <span className="ok">✓</span> : <span className="error-text">✗ tampered</span> : '…'}
            </td>
            <td>{facts[run.runId]?.skipped || ''}</td>
            <td>{facts[run.runId]?.drill ? <span className="badge drill">DRILL</span> : ''}</td>
            <td>{run.operator}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
