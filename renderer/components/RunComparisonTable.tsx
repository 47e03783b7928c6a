import type { RunComparison } from '../../electron/api/contract';
import { formatDelta, formatDuration, formatTime } from '../logic/format';
import { VerdictBadge } from './DrillReportView';
import { RunStatusBadge } from './RunStatusBadge';

function percent(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '';
  const value = Math.round(ratio * 100);
  return `${value > 0 ? '+' : value < 0 ? '−' : '±'}${Math.abs(value)} %`;
}

/** Two runs side by side: totals, every objective of either, every step's duration and B − A. */
export function RunComparisonTable({ comparison }: { comparison: RunComparison }) {
  const { a, b } = comparison;
  const slower = (delta: number | undefined) => (delta === undefined ? '' : delta > 0 ? 'slower' : delta < 0 ? 'faster' : '');
  return (
    <section className="comparison" aria-label="Comparison">
      <table className="dense comparison-runs">
        <thead>
          <tr>
            <th />
            <th>A</th>
            <th>B</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th>Run</th>
            <td>
              <code>{a.runId}</code>
            </td>
            <td>
              <code>{b.runId}</code>
            </td>
          </tr>
          <tr>
            <th>Started</th>
            <td>
              {formatTime(a.startedAt)} by {a.operator}
            </td>
            <td>
              {formatTime(b.startedAt)} by {b.operator}
            </td>
          </tr>
          <tr>
            <th>Status</th>
            <td>
              <RunStatusBadge status={a.status} />
            </td>
            <td>
              <RunStatusBadge status={b.status} />
            </td>
          </tr>
        </tbody>
      </table>
      {!comparison.sameRunbook && (
        <p className="drill-warning" role="alert">
          These are runs of different runbooks ({a.runbook.id}, {b.runbook.id}): the rows do not compare like with like.
        </p>
      )}
      {comparison.sameRunbook && !comparison.sameRunbookText && (
        <p className="drill-warning" role="alert">
          The runbook&apos;s text changed between the two runs (sha256 differs): steps may not be the same.
        </p>
      )}
      <table className="dense comparison-table" aria-label="Side by side">
        <thead>
          <tr>
            <th>What</th>
            <th>A</th>
            <th>B</th>
            <th>B − A</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <tr className="comparison-total" data-row="total">
            <th>Whole run</th>
            <td>{formatDuration(comparison.total.aMs)}</td>
            <td>{formatDuration(comparison.total.bMs)}</td>
            <td className={slower(comparison.total.deltaMs)}>{formatDelta(comparison.total.deltaMs)}</td>
            <td />
          </tr>
          {comparison.objectives.map((objective) => (
            <tr key={`objective:${objective.key}`} className="comparison-objective" data-row={`objective:${objective.key}`}>
              <th>
                Objective: {objective.title} ({formatDuration((objective.a ?? objective.b)?.objectiveMs)})
              </th>
              {[objective.a, objective.b].map((result, index) => (
                <td key={index}>
                  {result ? (
                    <>
                      {formatDuration(result.achievedMs)} <VerdictBadge verdict={result.verdict} />
                    </>
                  ) : (
                    <span className="muted">no objective</span>
                  )}
                </td>
              ))}
              <td />
              <td />
            </tr>
          ))}
          {comparison.steps.map((row) => (
            <tr key={row.key} data-row={row.key}>
              <td className={`depth-${Math.min(row.depth, 4)}`}>
                {row.title} <code className="muted">{row.key}</code>
              </td>
              <td>{row.a ? formatDuration(row.a.durationMs) : 'not run'}</td>
              <td>{row.b ? formatDuration(row.b.durationMs) : 'not run'}</td>
              <td className={slower(row.deltaMs)}>{formatDelta(row.deltaMs)}</td>
              <td className="muted small">{percent(row.deltaRatio)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {comparison.stateChanges && <StateChangesComparisonTable state={comparison.stateChanges} />}
    </section>
  );
}

/** What each run changed in the cloud (first state snapshot to last), one row per change. */
function StateChangesComparisonTable({ state }: { state: NonNullable<RunComparison['stateChanges']> }) {
  return (
    <>
      <h3>What each run changed</h3>
      <ul className="muted" aria-label="State changes per run">
        <li>A: {state.a?.summary ?? 'no pair of state snapshots'}</li>
        <li>B: {state.b?.summary ?? 'no pair of state snapshots'}</li>
      </ul>
      {state.rows.length > 0 && (
        <table className="dense comparison-state" aria-label="State changes side by side">
          <thead>
            <tr>
              <th>Change</th>
              <th>A</th>
              <th>B</th>
            </tr>
          </thead>
          <tbody>
            {state.rows.map((row) => (
              <tr key={row.subject} data-row={`state:${row.subject}`}>
                <th>{row.subject}</th>
                <td>{row.a ?? <span className="muted">—</span>}</td>
                <td>{row.b ?? <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
