import { useState } from 'react';
import type { ApprovalListing } from '../../electron/api/contract';

type Request = ApprovalListing['requests'][number];

/**
 * One destructive step of another operator's run waiting for a second operator: what it will do
 * (step, hosts, every command exactly as sent, its place in the plan), and Approve / Refuse with a
 * reason. A request of this console's own operator is shown, never answerable here.
 */
export function ApprovalRequestCard({ request, onAnswer }: { request: Request; onAnswer: (decision: 'approve' | 'refuse', reason: string) => void }) {
  const [reason, setReason] = useState('');
  const ready = reason.trim() !== '' && !request.own;
  return (
    <article className="approval-request" data-approval-run={request.runId} data-approval-step={request.step} aria-label={`Approval of ${request.step}`}>
      <h3>
        {request.title} <code>{request.step}</code>
      </h3>
      <p className="muted small">
        Run <code>{request.runId}</code> of {request.runbook.id} on {request.environment}, by <strong>{request.operator}</strong> on {request.machine}, since {request.requestedAt}
      </p>
      {request.warning && <p className="warning">⚠ {request.warning}</p>}
      <p>
        Hosts: <strong className="approval-hosts">{request.hosts.join(', ') || '(none)'}</strong>
      </p>
      <p className="small">Commands, exactly as sent:</p>
      <pre className="approval-commands" aria-label="Commands as sent">
        {request.commands.map((entry) => `${entry.host}: ${entry.command}`).join('\n') || '(this step sends no command)'}
      </pre>
      {request.checks.length > 0 && <p className="small">Checks: {request.checks.join('; ')}</p>}
      <ol className="approval-plan small" aria-label="Plan">
        {request.plan.map((entry) => (
          <li key={entry.key} className={`plan-${entry.state}`}>
            {entry.state === 'this' ? <strong>{entry.title} ← this step</strong> : `${entry.state === 'done' ? '✓ ' : ''}${entry.title}`}
          </li>
        ))}
      </ol>
      {request.own ? (
        <p className="muted small">Your own run: a second operator must answer it.</p>
      ) : (
        <div className="actions">
          <label>
            Reason (journaled with your name):
            <input aria-label="Approval reason" value={reason} onChange={(event) => setReason(event.target.value)} />
          </label>
          <button type="button" className="primary" disabled={!ready} onClick={() => onAnswer('approve', reason.trim())}>
            Approve
          </button>
          <button type="button" className="danger" disabled={!ready} onClick={() => onAnswer('refuse', reason.trim())}>
            Refuse
          </button>
        </div>
      )}
    </article>
  );
}
