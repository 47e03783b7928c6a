import type { DrillReport, ObjectiveVerdict } from '../../electron/api/contract';
import { formatDelta, formatDuration } from '../logic/format';
import { StepStatusBadge } from './StepStatusBadge';

const VERDICTS: Record<ObjectiveVerdict, string> = { met: 'met', missed: 'MISSED', 'not-reached': 'not reached', 'in-progress': 'in progress' };

/** A verdict, coloured. */
export function VerdictBadge({ verdict }: { verdict?: ObjectiveVerdict }) {
  if (!verdict) return <span className="muted">–</span>;
  return (
    <span className={`badge verdict-${verdict}`} data-verdict={verdict}>
      {VERDICTS[verdict]}
    </span>
  );
}

/** A run's drill report: each objective against what was achieved, each phase's timing, the slowest steps. */
export function DrillReportView({ report }: { report: DrillReport }) {
  return (
    <section className="drill-report" aria-label="Drill report">
      <p className="muted">
        {report.drill ? 'A drill' : 'Not started as a drill (no objectives); timings only'} · total {formatDuration(report.totalMs)}
      </p>
      {report.objectives.length > 0 && (
        <>
          <h3>Objectives</h3>
          <table className="dense" aria-label="Objectives">
            <thead>
              <tr>
                <th>Objective</th>
                <th>Target</th>
                <th>Achieved</th>
                <th>Margin</th>
                <th>Verdict</th>
              </tr>
            </thead>
            <tbody>
              {report.objectives.map((objective) => (
                <tr key={objective.key} data-objective={objective.key}>
                  <td>
                    {objective.title} <code className="muted">{objective.key}</code>
                  </td>
                  <td>{formatDuration(objective.objectiveMs)}</td>
                  <td>{formatDuration(objective.achievedMs)}</td>
                  <td>{formatDelta(objective.marginMs)}</td>
                  <td>
                    <VerdictBadge verdict={objective.verdict} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {report.phases.length > 0 && (
        <>
          <h3>Phases</h3>
          <table className="dense" aria-label="Phases">
            <thead>
              <tr>
                <th>Phase</th>
                <th>Started after</th>
                <th>Took</th>
                <th>Ended after</th>
                <th>Objective</th>
                <th>Verdict</th>
              </tr>
            </thead>
            <tbody>
              {report.phases.map((phase) => (
                <tr key={phase.key} data-phase={phase.key}>
                  <td>
                    {phase.title} <code className="muted">{phase.key}</code>
                  </td>
                  <td>{formatDuration(phase.startedAfterMs)}</td>
                  <td>{formatDuration(phase.durationMs)}</td>
                  <td>{formatDuration(phase.finishedAfterMs)}</td>
                  <td>{formatDuration(phase.objectiveMs)}</td>
                  <td>
                    <VerdictBadge verdict={phase.verdict} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h3>Slowest steps</h3>
      {report.slowestSteps.length === 0 ? (
        <p className="muted">No step finished.</p>
      ) : (
        <table className="dense" aria-label="Slowest steps">
          <thead>
            <tr>
              <th>Step</th>
              <th>Status</th>
              <th>Took</th>
              <th>Share of the run</th>
            </tr>
          </thead>
          <tbody>
            {report.slowestSteps.map((step) => (
              <tr key={step.key}>
                <td>
                  {step.title} <code className="muted">{step.key}</code>
                </td>
                <td>
                  <StepStatusBadge status={step.status} />
                </td>
                <td>{formatDuration(step.durationMs)}</td>
                <td>{step.share === undefined ? '–' : `${Math.round(step.share * 100)} %`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
