import { commandAsSent } from '../../electron/api/command-line';
import { formatDuration } from '../logic/format';
import { chosenLabel, describeCheck, stepTimes } from '../logic/truth';
import { useNow } from '../logic/useNow';
import type { StepView } from '../stores/runs';
import { StepStatusBadge } from './StepStatusBadge';

/** The selected step: why it is there, what it runs where (exactly as sent), what it checks and captured. */
export function StepDetail({ step }: { step: StepView }) {
  const planned = step.planned;
  const ran = Object.keys(step.commands).length > 0;
  // The journal keeps the command as resolved; the host's shell gets it inside the engine's sudo wrapper.
  const commands = ran
    ? Object.entries(step.commands).map(([host, command]) => [host, commandAsSent(command, planned?.sudo === true)] as const)
    : (planned?.commands ?? []).map((entry) => [entry.host, entry.command] as const);
  const checks = step.checks.length > 0 ? step.checks : (planned?.checks ?? []).map((name) => ({ name, ok: undefined as boolean | undefined, detail: undefined as string | undefined }));
  const chosen = step.kind === 'decision' && step.status === 'succeeded' ? chosenLabel(step) : undefined;
  const live = step.status === 'running';
  const now = useNow(live);
  const times = stepTimes(step, now);
  return (
    <section className="step-detail" aria-label="Step detail">
      <h2 className="truncate" title={step.title}>
        {step.title} <StepStatusBadge status={step.status} />
      </h2>
      <p className="muted small">
        <code>{step.key}</code> · {step.kind} {step.hosts.length > 0 && <>· on {step.hosts.join(', ')}</>}
      </p>
      {times.workingMs !== undefined && (
        <p className="small step-times" aria-label="Step time">
          working {formatDuration(times.workingMs)}
          {times.waitingMs > 0 && <> · waiting for a person {formatDuration(times.waitingMs)}</>}
        </p>
      )}
      {planned?.description && <pre className="description">{planned.description}</pre>}
      {chosen && (
        <p className="decision-chosen">
          Chosen: <strong>{chosen}</strong>
        </p>
      )}
      {step.reason && !chosen && <p className={step.status === 'failed' ? 'error-text' : 'muted'}>{step.status === 'failed' && step.checks.some((check) => check.ok === false) ? step.checks.filter((check) => check.ok === false).map(plainCheck).join('; ') : step.reason}</p>}
      {commands.length > 0 && (
        <>
          <h3>{ran ? 'Command as sent' : 'Command (planned)'}</h3>
          {commands.map(([host, command]) => (
            <div key={host} className="plan-command">
              <span className="host">{host}</span>
              <pre className="command">{command}</pre>
            </div>
          ))}
        </>
      )}
      {checks.length > 0 && (
        <>
          <h3>Checks</h3>
          <ul className="checks">
            {checks.map((check, index) => (
              <li key={index} className={check.ok === undefined ? '' : check.ok ? 'ok' : 'error-text'}>
                {check.ok === undefined ? '·' : check.ok ? '✓' : '✗'} {check.ok === false ? plainCheck(check) : check.name}
                {check.ok !== false && check.detail && <span className="muted"> — {check.detail}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
      {(Object.keys(step.captures).length > 0 || (planned?.captures.length ?? 0) > 0) && (
        <>
          <h3>Captures</h3>
          {Object.keys(step.captures).length > 0 ? (
            <pre className="captures">{JSON.stringify(step.captures, null, 2)}</pre>
          ) : (
            <p className="muted small">{planned?.captures.join('; ')}</p>
          )}
        </>
      )}
    </section>
  );
}

function plainCheck(check: { name: string; detail?: string }): string {
  const plain = describeCheck(check);
  return plain.host ? `${plain.host}: ${plain.text}` : plain.text;
}
