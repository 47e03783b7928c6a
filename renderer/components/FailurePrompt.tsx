import { useEffect, useState } from 'react';
import { OutputLines, stderrTail } from '../logic/output';
import { failedChecks, failedHosts } from '../logic/truth';
import { useRunsStore, type StepView } from '../stores/runs';
import { useSessionsStore } from '../stores/sessions';

/** How many of a failed host's last stderr lines the prompt shows. */
const STDERR_LINES = 5;

/**
 * A failed step at a glance: on which hosts, which check failed in plain words, the last lines of
 * stderr; the failing host's output tab is brought forward. Retry (the whole step, or only the
 * failed hosts of a fan-out step), or skip with a reason. Abort and rollback are in the run controls.
 */
export function FailurePrompt({
  prompt,
  runId,
  step,
  choices = [],
  onRetry,
  onRetryFailed,
  onSkip,
}: {
  prompt: string;
  runId?: string;
  step?: StepView;
  choices?: Array<{ id: string; label: string }>;
  onRetry: () => void;
  onRetryFailed?: () => void;
  onSkip: (reason: string) => void;
}) {
  const [reason, setReason] = useState('');
  const hosts = step ? failedHosts(step) : [];
  const checks = step ? failedChecks(step) : [];
  const stderr = useStderrTails(runId, step, hosts);
  const onlyFailed = choices.find((choice) => choice.id === 'retry-failed');

  // The output of the (first) failing host is what the operator needs to see.
  const firstHost = hosts[0];
  useEffect(() => {
    if (runId && firstHost) useSessionsStore.getState().showRunHost(runId, firstHost);
  }, [runId, firstHost, step?.attempt]);

  const shownHosts = hosts.length > 0 ? hosts : [...new Set(checks.map((check) => check.host).filter((host): host is string => !!host))];
  return (
    <div className="prompt failure" role="group" aria-label="Failed step">
      <p className="prompt-title">
        {step ? `${step.title} ${step.status === 'interrupted' ? 'was interrupted' : 'failed'}` : 'Step failed'}
        {shownHosts.length > 0 && (
          <>
            {' '}
            on <strong className="failed-hosts">{shownHosts.join(', ')}</strong>
            {step && step.hosts.length > 1 && (
              <span className="muted">
                {' '}
                ({shownHosts.length} of {step.hosts.length} hosts)
              </span>
            )}
          </>
        )}
      </p>
      <ul className="failure-reasons" aria-label="Why it failed">
        {shownHosts.map((host) => (
          <li key={host} data-host={host}>
            <strong>{host}</strong>:{' '}
            {checks
              .filter((check) => check.host === host)
              .map((check) => check.text)
              .join('; ') || hostReason(step, host)}
            {(stderr[host]?.length ?? 0) > 0 && (
              <pre className="stderr-tail" aria-label={`Last stderr lines of ${host}`}>
                {stderr[host].join('\n')}
              </pre>
            )}
          </li>
        ))}
        {shownHosts.length === 0 && step?.reason && <li>{step.reason}</li>}
      </ul>
      <pre className="prompt-text muted small">{prompt}</pre>
      <div className="actions">
        <button type="button" className="primary" onClick={onRetry}>
          Retry step
        </button>
        {onlyFailed && onRetryFailed && (
          <button type="button" className="primary" onClick={onRetryFailed}>
            {onlyFailed.label}
          </button>
        )}
        <input aria-label="Reason to skip" placeholder="Reason to skip (required)" value={reason} onChange={(event) => setReason(event.target.value)} />
        <button type="button" className="warning" disabled={!reason.trim()} onClick={() => onSkip(reason.trim())}>
          Skip with reason
        </button>
      </div>
    </div>
  );
}

function hostReason(step: StepView | undefined, host: string): string {
  const outcome = step?.hostOutcomes.find((candidate) => candidate.host === host);
  if (outcome?.status === 'interrupted') return 'the connection was lost while the command ran';
  return step?.reason ?? 'failed';
}

/** The last stderr lines of each failed host in this step, read from the journal. */
function useStderrTails(runId: string | undefined, step: StepView | undefined, hosts: string[]): Record<string, string[]> {
  const [tails, setTails] = useState<Record<string, string[]>>({});
  const key = step ? `${step.key}#${step.attempt}#${step.status}` : '';
  const hostList = hosts.join(',');
  useEffect(() => {
    if (!runId || !step || hosts.length === 0) return;
    let cancelled = false;
    void useRunsStore
      .getState()
      .readOutput({ runId, step: step.key })
      .then((result) => {
        if (cancelled || !result.ok) return;
        const lines = new OutputLines();
        lines.add(result.value);
        setTails(Object.fromEntries(hosts.map((host) => [host, stderrTail(lines.all(), step.key, host, STDERR_LINES)])));
      });
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the step object changes on every event; its key, attempt and status say when to read again
  }, [runId, key, hostList]);
  return tails;
}
