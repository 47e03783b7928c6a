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
  const checks =
    step.checks.length > 0 ? step.checks : (planned?.checks ?? []).map((name) => ({ name, ok: undefined as boolean | undefined, detail: undefined as string | undefined }));
  // A step on hundreds of hosts sends most of them the same command and passes the same checks: one
  // row per distinct command and per passed check, with its hosts counted (failures stay per host).
  const commandGroups = groupCommands(commands);
  const checkRows = groupChecks(checks);
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
      {step.reason && !chosen && (
        <p className={step.status === 'failed' ? 'error-text' : 'muted'}>
          {step.status === 'failed' && step.checks.some((check) => check.ok === false)
            ? step.checks
                .filter((check) => check.ok === false)
                .map(plainCheck)
                .join('; ')
            : step.reason}
        </p>
      )}
      {commands.length > 0 && (
        <>
          <h3>{ran ? 'Command as sent' : 'Command (planned)'}</h3>
          {commandGroups.map(({ hosts, command }) => (
            <div key={hosts[0]} className="plan-command">
              <span className="host" title={hosts.length > MAX_NAMED ? hosts.join(', ') : undefined}>
                {hostsLabel(hosts)}
              </span>
              <pre className="command">{command}</pre>
            </div>
          ))}
        </>
      )}
      {checks.length > 0 && (
        <>
          <h3>Checks</h3>
          <ul className="checks">
            {checkRows.shown.map(({ check, hosts }, index) => (
              <li key={index} className={check.ok === undefined ? '' : check.ok ? 'ok' : 'error-text'}>
                {check.ok === undefined ? '·' : check.ok ? '✓' : '✗'}{' '}
                {check.ok === false ? plainCheck(check) : hosts ? `${describeName(check.name)} — ${hostsLabel(hosts)}` : check.name}
                {check.ok !== false && !hosts && check.detail && <span className="muted"> — {check.detail}</span>}
              </li>
            ))}
            {checkRows.more > 0 && <li className="muted">… and {checkRows.more} more failed checks (the journal has each)</li>}
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

/** Hosts named when few, counted when many. */
const MAX_NAMED = 3;
/** Failed checks listed one by one, at most. */
const MAX_FAILED_SHOWN = 50;

function hostsLabel(hosts: string[]): string {
  return hosts.length > MAX_NAMED ? `${hosts.length} hosts` : hosts.join(', ');
}

function groupCommands(commands: ReadonlyArray<readonly [string, string]>): Array<{ hosts: string[]; command: string }> {
  const groups = new Map<string, string[]>();
  for (const [host, command] of commands) groups.set(command, [...(groups.get(command) ?? []), host]);
  return [...groups].map(([command, hosts]) => ({ command, hosts }));
}

type CheckRow = { name: string; ok?: boolean; detail?: string };

/** Passed checks of several hosts merged by what they check; failed ones kept per host (at most 50). */
function groupChecks(checks: readonly CheckRow[]): { shown: Array<{ check: CheckRow; hosts?: string[] }>; more: number } {
  const shown: Array<{ check: CheckRow; hosts?: string[] }> = [];
  const passed = new Map<string, { check: CheckRow; hosts: string[] }>();
  let failed = 0;
  let more = 0;
  for (const check of checks) {
    const { host } = describeCheck(check);
    if (check.ok === false) {
      if (failed++ < MAX_FAILED_SHOWN) shown.push({ check });
      else more++;
      continue;
    }
    if (!host) {
      shown.push({ check });
      continue;
    }
    const key = `${check.ok}:${describeName(check.name)}`;
    const group = passed.get(key);
    if (group) group.hosts.push(host);
    else {
      const entry = { check, hosts: [host] };
      passed.set(key, entry);
      shown.push(entry);
    }
  }
  // A check one host passed reads as before (with its detail).
  return { shown: shown.map((row) => (row.hosts && row.hosts.length === 1 ? { check: row.check } : row)), more };
}

/** A check's name without its host prefix (`compute01: exit code 0` → `exit code 0`). */
function describeName(name: string): string {
  const { host } = describeCheck({ name });
  return host ? name.slice(host.length + 2) : name;
}

function plainCheck(check: { name: string; detail?: string }): string {
  const plain = describeCheck(check);
  return plain.host ? `${plain.host}: ${plain.text}` : plain.text;
}
