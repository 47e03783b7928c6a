import type { RunView } from '../stores/runs';
import { isRunLive } from '../stores/runs';
import { hiddenOutcomes, statusText } from '../logic/truth';
import { ElapsedTime } from './ElapsedTime';
import { RunStatusBadge } from './RunStatusBadge';

/** Which run, where, its status and how long it has taken. */
export function RunHeader({ run }: { run: RunView }) {
  return (
    <header className="screen-header run-header">
      <h1 className="truncate" title={run.title}>
        {run.title}
      </h1>
      <span>
        on <strong>{run.environment}</strong> {run.lab && <span className="badge lab">LAB</span>}
      </span>
      <RunStatusBadge status={run.status} text={runStatusText(run)} />
      <span className="muted">
        elapsed <ElapsedTime startedAt={run.startedAt} durationMs={run.finishedAt ? run.finishedAt - run.startedAt : undefined} running={isRunLive(run.status)} />
      </span>
      <code className="muted small">{run.runId}</code>
      {run.reason && <span className="muted small">{run.reason}</span>}
    </header>
  );
}

/** The run's status in words: what "succeeded" hides, and a pause that waits for a running step. */
export function runStatusText(run: RunView): string {
  const steps = run.stepOrder.map((key) => run.steps[key]);
  if (run.status === 'paused' && steps.some((step) => step.status === 'running')) return 'pausing after this step';
  return statusText(run.status, hiddenOutcomes(steps, run.status));
}
