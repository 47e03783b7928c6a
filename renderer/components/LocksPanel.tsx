import { useEffect, useState } from 'react';
import { formatTime } from '../logic/format';
import { useLocksStore } from '../stores/locks';
import { ErrorMessage } from './ErrorMessage';
import { LeaseTable } from './LeaseTable';

/** The environment's host leases (team database, or this machine's lock directory) and the last breaks. */
export function LocksPanel({ environmentId }: { environmentId: string }) {
  const listing = useLocksStore((state) => (state.environmentId === environmentId ? state.listing : undefined));
  const error = useLocksStore((state) => (state.environmentId === environmentId ? state.error : undefined));
  const [breakError, setBreakError] = useState<string>();
  const [broke, setBroke] = useState<string>();

  const reload = () => void useLocksStore.getState().load(environmentId);
  useEffect(reload, [environmentId]);

  const breakLease = async (host: string, reason: string) => {
    const result = await useLocksStore.getState().breakLease(environmentId, host, reason);
    setBreakError(result.ok ? undefined : result.message);
    if (result.ok)
      setBroke(
        `Broke the lease on ${host}: it was held by ${result.value.lease.operator} on ${result.value.lease.machine} for run ${result.value.lease.runId}. Recorded with your reason.`,
      );
  };

  return (
    <section className="locks-panel" aria-label="Host leases">
      <div className="toolbar">
        <h2>Host leases</h2>
        <button type="button" onClick={reload}>
          Reload
        </button>
        {listing && <span className="muted small">{listing.description}</span>}
      </div>
      <ErrorMessage message={error ?? breakError} />
      {broke && <p className="ok small">{broke}</p>}
      {listing && <LeaseTable leases={listing.leases} onBreak={(host, reason) => void breakLease(host, reason)} />}
      {listing && listing.breaks.length > 0 && (
        <>
          <h3>Last breaks</h3>
          <ul className="notes lease-breaks">
            {listing.breaks.map((record) => (
              <li key={`${record.lease.leaseId}:${record.at}`}>
                {formatTime(record.at)} <strong>{record.host}</strong>: {record.by} on {record.machine} broke {record.lease.operator}&apos;s lease (run{' '}
                <code>{record.lease.runId}</code>): {record.reason}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
