import { useEffect, useState } from 'react';
import { useApprovalsStore } from '../stores/approvals';
import { ApprovalRequestCard } from './ApprovalRequestCard';
import { ErrorMessage } from './ErrorMessage';

/** How often the waiting requests are read again while the panel is shown. */
const APPROVALS_REFRESH_MS = 2000;

/** The environment's destructive steps waiting for a second operator (docs/approval.md). */
export function ApprovalsPanel({ environmentId }: { environmentId: string }) {
  const listing = useApprovalsStore((state) => (state.environmentId === environmentId ? state.listing : undefined));
  const off = useApprovalsStore((state) => state.environmentId === environmentId && state.off);
  const error = useApprovalsStore((state) => (state.environmentId === environmentId ? state.error : undefined));
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string }>();

  useEffect(() => {
    const load = () => void useApprovalsStore.getState().load(environmentId);
    load();
    const timer = setInterval(load, APPROVALS_REFRESH_MS);
    return () => clearInterval(timer);
  }, [environmentId]);

  if (off) return null;
  return (
    <section className="approvals-panel" aria-label="Approvals">
      <div className="toolbar">
        <h2>Approvals</h2>
        {listing && <span className="muted small">{listing.via}</span>}
      </div>
      <ErrorMessage message={error ?? (outcome && !outcome.ok ? outcome.message : undefined)} />
      {outcome?.ok && <p className="ok small">{outcome.message}</p>}
      {listing && listing.requests.length === 0 && <p className="muted">No destructive step waits for a second operator.</p>}
      {listing?.requests.map((request) => (
        <ApprovalRequestCard
          key={request.id}
          request={request}
          onAnswer={(decision, reason) => void useApprovalsStore.getState().answer(environmentId, request.runId, request.step, decision, reason).then(setOutcome)}
        />
      ))}
    </section>
  );
}
