import { useState } from 'react';
import type { StepStatus } from '../../electron/api/contract';
import type { HostOutcome } from '../stores/runs';

/** Order of the counts: what needs a look first. */
const ORDER: StepStatus[] = ['failed', 'interrupted', 'running', 'pending', 'skipped', 'succeeded'];

/** Hosts listed when the operator opens the list; those that did not succeed come first. */
const LISTED_AT_MOST = 50;

/**
 * A step's hosts as counts ("298 succeeded · 2 failed") instead of a row each, so a step on 300
 * hosts stays one row of the step list. The hosts themselves are rendered only when the operator opens
 * the list, and then at most {@link LISTED_AT_MOST}, those that did not succeed first.
 */
export function StepHostCounts({
  stepKey,
  hosts,
  outcomes,
  status,
}: {
  stepKey: string;
  /** The hosts the step runs on. */
  hosts: string[];
  /** Each host's outcome once the step ended (empty before). */
  outcomes: HostOutcome[];
  /** The step's own status, for the hosts that have no outcome yet. */
  status: StepStatus;
}) {
  const [open, setOpen] = useState(false);
  if (hosts.length <= 1 && outcomes.length <= 1) return null;
  const counts = new Map<StepStatus, number>();
  const known = new Set(outcomes.map((outcome) => outcome.host));
  for (const outcome of outcomes) counts.set(outcome.status, (counts.get(outcome.status) ?? 0) + 1);
  const waiting = hosts.filter((host) => !known.has(host)).length;
  const waitingAs: StepStatus = status === 'running' ? 'running' : 'pending';
  if (waiting > 0) counts.set(waitingAs, (counts.get(waitingAs) ?? 0) + waiting);
  const summary = ORDER.filter((name) => counts.get(name))
    .map((name) => `${counts.get(name)} ${name}`)
    .join(' · ');
  const listed = [...outcomes.filter((outcome) => outcome.status !== 'succeeded'), ...outcomes.filter((outcome) => outcome.status === 'succeeded')];
  const notSucceeded = outcomes.length - (counts.get('succeeded') ?? 0);
  const listId = `host-outcomes-${stepKey}`;
  return (
    <div className="step-host-counts small" data-hosts={known.size + waiting}>
      <span className="muted">
        {known.size + waiting} hosts: {summary}
      </span>
      {outcomes.length > 0 && (
        <button type="button" className="link" aria-expanded={open} aria-controls={listId} onClick={() => setOpen(!open)}>
          {open ? 'hide hosts' : notSucceeded > 0 ? `show the ${notSucceeded} not succeeded` : 'show hosts'}
        </button>
      )}
      {open && (
        <ul className="host-outcomes" id={listId} aria-label="Hosts">
          {listed.slice(0, LISTED_AT_MOST).map((outcome) => (
            <li key={outcome.host} data-host={outcome.host} data-status={outcome.status}>
              {outcome.host}: {outcome.status}
              {outcome.exitCode !== null && outcome.exitCode !== 0 && ` (exit ${outcome.exitCode})`}
            </li>
          ))}
          {listed.length > LISTED_AT_MOST && <li className="muted">and {listed.length - LISTED_AT_MOST} more</li>}
        </ul>
      )}
    </div>
  );
}
