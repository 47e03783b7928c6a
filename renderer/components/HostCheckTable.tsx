import type { HostCheckResult, HostSummary } from '../../electron/api/contract';
import { HostCheckRow } from './HostCheckRow';

/** Every host of an environment with its check result. */
export function HostCheckTable({
  hosts,
  results,
  onAccept,
}: {
  hosts: HostSummary[];
  results: Record<string, HostCheckResult>;
  onAccept: (host: string, fingerprint: string) => void;
}) {
  return (
    <table className="dense host-table">
      <thead>
        <tr>
          <th>Host</th>
          <th>Address</th>
          <th>Roles</th>
          <th>Check</th>
        </tr>
      </thead>
      <tbody>
        {hosts.map((host) => (
          <HostCheckRow key={host.name} host={host} result={results[host.name]} onAccept={(fingerprint) => onAccept(host.name, fingerprint)} />
        ))}
      </tbody>
    </table>
  );
}
