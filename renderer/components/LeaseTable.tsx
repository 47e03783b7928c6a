import type { LeaseInfo } from '../../electron/api/contract';
import { formatTime } from '../logic/format';
import { LeaseBreakForm } from './LeaseBreakForm';

/** Who holds which host, for which run, since when and until when; each can be broken with a reason. */
export function LeaseTable({ leases, onBreak }: { leases: LeaseInfo[]; onBreak: (host: string, reason: string) => void }) {
  if (leases.length === 0) return <p className="muted">No host is leased.</p>;
  return (
    <table className="dense lease-table">
      <thead>
        <tr>
          <th>Host</th>
          <th>Held by</th>
          <th>Run</th>
          <th>Since</th>
          <th>Expires</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {leases.map((lease) => (
          <tr key={lease.leaseId} data-lease={lease.host} data-expired={lease.expired ? 'yes' : 'no'}>
            <td>
              <strong>{lease.host}</strong>
            </td>
            <td>
              {lease.operator} <span className="muted small">on {lease.machine}</span>
            </td>
            <td>
              <code>{lease.runId}</code> {lease.runbook && <span className="muted small">{lease.runbook}</span>}
            </td>
            <td>{formatTime(lease.since)}</td>
            <td>{lease.expired ? <span className="badge waiting">expired</span> : formatTime(lease.expiresAt)}</td>
            <td>
              <LeaseBreakForm host={lease.host} holder={lease.operator} onBreak={(reason) => onBreak(lease.host, reason)} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
