import type { RunStatus } from '../../electron/api/contract';
import type { AuditFilters as Filters } from '../stores/audit';

const STATUSES: RunStatus[] = ['succeeded', 'failed', 'aborted', 'interrupted', 'rolled-back', 'rollback-failed', 'running', 'paused'];

/** Filters over the audit history: runbook, environment, status, date range. */
export function AuditFilters({
  filters,
  runbooks,
  environments,
  onChange,
}: {
  filters: Filters;
  runbooks: string[];
  environments: string[];
  onChange: (filters: Partial<Filters>) => void;
}) {
  return (
    <div className="toolbar audit-filters" role="group" aria-label="Filters">
      <select aria-label="Runbook" value={filters.runbook} onChange={(event) => onChange({ runbook: event.target.value })}>
        <option value="">all runbooks</option>
        {runbooks.map((id) => (
          <option key={id}>{id}</option>
        ))}
      </select>
      <select aria-label="Environment" value={filters.environment} onChange={(event) => onChange({ environment: event.target.value })}>
        <option value="">all environments</option>
        {environments.map((name) => (
          <option key={name}>{name}</option>
        ))}
      </select>
      <select aria-label="Status" value={filters.status} onChange={(event) => onChange({ status: event.target.value })}>
        <option value="">any status</option>
        {STATUSES.map((status) => (
          <option key={status}>{status}</option>
        ))}
      </select>
      <label>
        from <input type="date" aria-label="From" value={filters.from} onChange={(event) => onChange({ from: event.target.value })} />
      </label>
      <label>
        to <input type="date" aria-label="To" value={filters.to} onChange={(event) => onChange({ to: event.target.value })} />
      </label>
    </div>
  );
}
