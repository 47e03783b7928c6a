import type { StepView } from '../stores/runs';
import { StepStatusBadge } from './StepStatusBadge';

/** The selected step: why it is there, what it runs where, what it checks and captured. */
export function StepDetail({ step }: { step: StepView }) {
  const planned = step.planned;
  const commands = Object.keys(step.commands).length > 0 ? Object.entries(step.commands) : (planned?.commands ?? []).map((entry) => [entry.host, entry.command] as const);
  const checks = step.checks.length > 0 ? step.checks : (planned?.checks ?? []).map((name) => ({ name, ok: undefined as boolean | undefined, detail: undefined as string | undefined }));
  return (
    <section className="step-detail" aria-label="Step detail">
      <h2>
        {step.title} <StepStatusBadge status={step.status} />
      </h2>
      <p className="muted small">
        <code>{step.key}</code> · {step.kind} {step.hosts.length > 0 && <>· on {step.hosts.join(', ')}</>}
      </p>
      {planned?.description && <pre className="description">{planned.description}</pre>}
      {step.reason && <p className={step.status === 'failed' ? 'error-text' : 'muted'}>{step.reason}</p>}
      {commands.length > 0 && (
        <>
          <h3>{Object.keys(step.commands).length > 0 ? 'Command as run' : 'Command (planned)'}</h3>
          {commands.map(([host, command]) => (
            <div key={host} className="plan-command">
              <span className="host">{host}</span>
              <code>{command}</code>
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
                {check.ok === undefined ? '·' : check.ok ? '✓' : '✗'} {check.name}
                {check.detail && <span className="muted"> — {check.detail}</span>}
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
