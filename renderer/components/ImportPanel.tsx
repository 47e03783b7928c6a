import { useState } from 'react';
import type { CommandRequest, ImportPreview } from '../../electron/api/contract';
import { useInventoryStore } from '../stores/inventory';
import { ErrorMessage } from './ErrorMessage';
import { ImportPreviewView } from './ImportPreviewView';

type Source = 'file' | 'discover';

/**
 * Import an inventory (ssh_config, Ansible, Kolla, TripleO) or discover the hosts through an
 * environment's controller; the preview comes first, and nothing is saved before the operator says so.
 */
export function ImportPanel({ onClose }: { onClose: () => void }) {
  const environments = useInventoryStore((state) => state.environments);
  const [source, setSource] = useState<Source>('file');
  const [file, setFile] = useState('');
  const [discoverFrom, setDiscoverFrom] = useState('');
  const [via, setVia] = useState('');
  const [name, setName] = useState('');
  const [profile, setProfile] = useState('');
  const [user, setUser] = useState('');
  const [mapping, setMapping] = useState('');
  const [out, setOut] = useState('');
  const [force, setForce] = useState(false);
  const [preview, setPreview] = useState<ImportPreview>();
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const [busy, setBusy] = useState(false);

  const request = (): CommandRequest<'environment:importPreview'> => ({
    ...(source === 'file' ? { file: file.trim() } : { discoverFrom, ...(via.trim() ? { via: via.trim() } : {}) }),
    ...(name.trim() ? { name: name.trim() } : {}),
    ...(source === 'file' && profile.trim() ? { profile: profile.trim() } : {}),
    ...(source === 'file' && user.trim() ? { user: user.trim() } : {}),
    ...(source === 'file' && mapping.trim()
      ? {
          map: mapping
            .split('\n')
            .map((line) => line.trim())
            .filter(Boolean),
        }
      : {}),
  });
  const ready = source === 'file' ? file.trim() !== '' : discoverFrom !== '';

  const runPreview = async () => {
    setBusy(true);
    setSaved(undefined);
    const result = await useInventoryStore.getState().previewImport(request());
    setBusy(false);
    setError(result.ok ? undefined : result.error.userMessage);
    setPreview(result.ok ? result.value : undefined);
  };

  const save = async () => {
    setBusy(true);
    const result = await useInventoryStore.getState().saveImport({ ...request(), out: out.trim(), force });
    setBusy(false);
    setError(result.ok ? undefined : result.error.userMessage);
    if (result.ok) setSaved(result.value.file);
  };

  return (
    <section aria-label="Import an inventory" className="import-panel">
      <div className="toolbar">
        <h2>Import an inventory</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <div className="toolbar" role="radiogroup" aria-label="Import from">
        <label>
          <input type="radio" name="import-source" checked={source === 'file'} onChange={() => setSource('file')} /> An inventory file (ssh_config, Ansible, Kolla, TripleO)
        </label>
        <label>
          <input type="radio" name="import-source" checked={source === 'discover'} onChange={() => setSource('discover')} /> Discover from the cloud
        </label>
      </div>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void runPreview();
        }}
      >
        {source === 'file' ? (
          <>
            <label className="field">
              Inventory file
              <input
                aria-label="Inventory file"
                placeholder="~/.ssh/config, /etc/kolla/multinode, tripleo-ansible-inventory.yaml"
                value={file}
                onChange={(event) => setFile(event.target.value)}
              />
            </label>
            <label className="field">
              Roles of groups
              <textarea
                aria-label="Roles of groups"
                placeholder={'GROUP=ROLE[,ROLE], one per line (added to the known Kolla and TripleO groups), e.g.\nhypervisors=compute'}
                rows={3}
                value={mapping}
                onChange={(event) => setMapping(event.target.value)}
              />
            </label>
            <label className="field">
              Profile
              <input
                aria-label="Profile"
                placeholder="guessed from the file (kolla, tripleo-podman, systemd)"
                value={profile}
                onChange={(event) => setProfile(event.target.value)}
              />
            </label>
            <label className="field">
              User
              <input aria-label="User" placeholder="for hosts the inventory gives none" value={user} onChange={(event) => setUser(event.target.value)} />
            </label>
          </>
        ) : (
          <>
            <label className="field">
              Environment
              <select aria-label="Discover through" value={discoverFrom} onChange={(event) => setDiscoverFrom(event.target.value)}>
                <option value="">choose the environment whose controller to ask</option>
                {environments.map((environment) => (
                  <option key={environment.environmentId} value={environment.environmentId}>
                    {environment.name}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              Controller
              <input aria-label="Controller" placeholder="the first controller of the environment" value={via} onChange={(event) => setVia(event.target.value)} />
            </label>
          </>
        )}
        <label className="field">
          Name
          <input aria-label="Environment name" placeholder="from the file name" value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={!ready || busy}>
          Preview
        </button>
      </form>
      <ErrorMessage message={error} />
      {preview && (
        <>
          <ImportPreviewView preview={preview} />
          <form
            className="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              void save();
            }}
          >
            <input aria-label="Save as" placeholder="/path/to/environment.yaml" value={out} onChange={(event) => setOut(event.target.value)} />
            <label>
              <input type="checkbox" checked={force} onChange={(event) => setForce(event.target.checked)} /> Replace an existing file
            </label>
            <button type="submit" className="primary" disabled={!out.trim() || busy}>
              Save environment
            </button>
          </form>
        </>
      )}
      {saved && (
        <p role="status" className="saved">
          Saved {saved}; it is now the chosen environment. Check its hosts before running anything.
        </p>
      )}
    </section>
  );
}
