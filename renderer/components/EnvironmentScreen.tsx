import { useState } from 'react';
import { selectedEnvironment, useInventoryStore } from '../stores/inventory';
import { EnvironmentPicker } from './EnvironmentPicker';
import { ErrorMessage } from './ErrorMessage';
import { HostCheckTable } from './HostCheckTable';
import { ImportPanel } from './ImportPanel';
import { LabOffer } from './LabOffer';
import { ApprovalsPanel } from './ApprovalsPanel';
import { LocksPanel } from './LocksPanel';

const EMPTY = {};

/** Choose an environment (or start the lab), and check its hosts before anything runs. */
export function EnvironmentScreen() {
  const environments = useInventoryStore((state) => state.environments);
  const selectedId = useInventoryStore((state) => state.selectedEnvironmentId);
  const environment = useInventoryStore(selectedEnvironment);
  const results = useInventoryStore((state) => (selectedId ? (state.hostChecks[selectedId] ?? EMPTY) : EMPTY));
  const lab = useInventoryStore((state) => state.lab);
  const [file, setFile] = useState('');
  const [error, setError] = useState<string>();
  const [importing, setImporting] = useState(false);

  const actions = useInventoryStore.getState();
  const report = (pending: Promise<string | undefined>) => void pending.then(setError);

  return (
    <div className="screen environment-screen">
      <header className="screen-header">
        <h1>Environment</h1>
      </header>
      <ErrorMessage message={error} />
      <div className="split">
        <div className="pane">
          <EnvironmentPicker environments={environments} selectedId={selectedId} onSelect={(id) => actions.selectEnvironment(id)} />
          <form
            className="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              report(actions.openEnvironmentFile(file));
            }}
          >
            <input aria-label="Environment file" placeholder="/path/to/environment.yaml" value={file} onChange={(event) => setFile(event.target.value)} />
            <button type="submit" disabled={!file.trim()}>
              Open environment file
            </button>
          </form>
          {!importing && (
            <button type="button" onClick={() => setImporting(true)}>
              Import an inventory…
            </button>
          )}
          {importing && <ImportPanel onClose={() => setImporting(false)} />}
          {(environments.length === 0 || lab?.state === 'running' || lab?.state === 'starting') && <LabOffer lab={lab} onStart={() => report(actions.startLab())} />}
        </div>
        <div className="pane">
          {environment ? (
            <section aria-label="Hosts">
              <div className="toolbar">
                <h2>
                  Hosts of {environment.name} {environment.lab && <span className="badge lab">LAB</span>}
                </h2>
                <button type="button" className="primary" onClick={() => report(actions.checkHosts(environment.environmentId))}>
                  Check hosts
                </button>
              </div>
              <HostCheckTable
                hosts={environment.hosts}
                results={results}
                onAccept={(host, fingerprint) => report(actions.acceptHostKey(environment.environmentId, host, fingerprint))}
              />
            </section>
          ) : (
            <p className="muted">Choose an environment to see and check its hosts.</p>
          )}
          {environment && <ApprovalsPanel environmentId={environment.environmentId} />}
          {environment && <LocksPanel environmentId={environment.environmentId} />}
        </div>
      </div>
    </div>
  );
}
