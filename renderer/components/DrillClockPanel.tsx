import type { DrillClockEntry, DrillClockReading } from '../../electron/api/contract';
import { formatDuration } from '../logic/format';

function stateText(entry: DrillClockEntry): string {
  switch (entry.state) {
    case 'running':
      return `${formatDuration(entry.objectiveMs - entry.elapsedMs)} left`;
    case 'met':
      return `met at ${formatDuration(entry.elapsedMs)}`;
    case 'exceeded':
      return `EXCEEDED by ${formatDuration(entry.elapsedMs - entry.objectiveMs)}, not done`;
    case 'finished-late':
      return `missed: done at ${formatDuration(entry.elapsedMs)}, ${formatDuration(entry.elapsedMs - entry.objectiveMs)} late`;
    case 'not-reached':
      return 'not reached (failed or skipped)';
  }
}

/** A drill's stopwatch: every objective, elapsed against target, and a plain warning once one is passed. */
export function DrillClockPanel({ reading }: { reading: DrillClockReading }) {
  const late = reading.entries.filter((entry) => entry.state === 'exceeded' || entry.state === 'finished-late');
  return (
    <section className="drill-clock" aria-label="Drill clock">
      <h3>
        Drill clock <span className="drill-elapsed">{formatDuration(reading.elapsedMs)}</span>
      </h3>
      {late.length > 0 && (
        <p className="drill-warning" role="alert">
          Objective exceeded: {late.map((entry) => `${entry.title} (${formatDuration(entry.objectiveMs)})`).join(', ')}
        </p>
      )}
      {reading.entries.length === 0 ? (
        <p className="muted small">A drill without objectives: timed, not judged.</p>
      ) : (
        <table className="dense">
          <thead>
            <tr>
              <th>Objective</th>
              <th>Target</th>
              <th>Elapsed</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {reading.entries.map((entry) => (
              <tr key={entry.key} className={`clock-${entry.state}`} data-objective={entry.key} data-state={entry.state}>
                <td>
                  {entry.title} <code className="muted">{entry.key}</code>
                </td>
                <td>{formatDuration(entry.objectiveMs)}</td>
                <td>
                  <span className="clock-bar" aria-hidden="true">
                    <span style={{ width: `${Math.min(100, (entry.elapsedMs / entry.objectiveMs) * 100).toFixed(1)}%` }} />
                  </span>
                  {formatDuration(entry.elapsedMs)}
                </td>
                <td className="clock-state">{stateText(entry)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
