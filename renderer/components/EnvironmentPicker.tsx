import type { EnvironmentSummary } from '../../electron/api/contract';

/** The environments this console knows; one is chosen for runs and terminals. */
export function EnvironmentPicker({ environments, selectedId, onSelect }: { environments: EnvironmentSummary[]; selectedId?: string; onSelect: (environmentId: string) => void }) {
  if (environments.length === 0) return <p className="muted">No environment yet.</p>;
  return (
    <ul className="environment-list" aria-label="Environments">
      {environments.map((environment) => (
        <li key={environment.environmentId}>
          <label className={environment.environmentId === selectedId ? 'environment selected' : 'environment'}>
            <input type="radio" name="environment" checked={environment.environmentId === selectedId} onChange={() => onSelect(environment.environmentId)} />
            <strong>{environment.name}</strong> {environment.lab && <span className="badge lab">LAB</span>}
            <span className="muted">
              {' '}
              {environment.hosts.length} hosts · {environment.profile} · <code>{environment.file}</code>
            </span>
          </label>
        </li>
      ))}
    </ul>
  );
}
