import type { RunView } from '../stores/runs';
import { shownStatus } from '../stores/runs';
import { isConnected, useUiStore } from '../stores/ui';
import { hiddenOutcomes, statusText } from '../logic/truth';
import { ElapsedTime } from './ElapsedTime';
import { StatusBadge } from './StatusBadge';

/** Which run, where, its status and how long it has taken. */
export function RunHeader({ run }: { run: RunView }) {
  const connected = useUiStore(isConnected);
  const status = shownStatus(run, connected);
  return (
    <header className="screen-header run-header">
      {/* Where the focus goes when the run asks nothing of the operator (after Start or an answer). */}
      <h1 className="truncate" title={run.title} tabIndex={-1} data-focus-home="">
        {run.title}
      </h1>
      <span>
        on <strong>{run.environment}</strong> {run.lab && <span className="badge lab">LAB</span>}
      </span>
      <StatusBadge of="run" status={status} text={status === 'unknown' ? undefined : runStatusText(run)} />
      <span className="muted">
        elapsed{' '}
        <ElapsedTime startedAt={run.startedAt} durationMs={run.finishedAt ? run.finishedAt - run.startedAt : undefined} running={status === 'running' || status === 'paused'} />
      </span>
      <code className="muted small">{run.runId}</code>
      {run.reason && <span className="muted small">{run.reason}</span>}
      {run.gone && (
        <span className="note warning small" role="note">
          OpsDeck no longer holds this run (it was restarted while the run was live): its journal in Audit says how it ended.
        </span>
      )}
    </header>
  );
}

/** The run's status in words: what "succeeded" hides, and a pause that waits for a running step. */
export function runStatusText(run: RunView): string {
  const steps = run.stepOrder.map((key) => run.steps[key]);
  if (run.status === 'paused' && steps.some((step) => step.status === 'running')) return 'pausing after this step';
  return statusText(run.status, hiddenOutcomes(steps, run.status));
}
