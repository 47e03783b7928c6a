import { useState } from 'react';
import type { HostCheckResult, HostSummary } from '../../electron/api/contract';

const STATE_TEXT: Record<HostCheckResult['state'], string> = {
  checking: 'checking…',
  ok: 'reachable, authenticated, key known',
  'host-key-unknown': 'host key unknown',
  'host-key-changed': 'HOST KEY CHANGED: refused',
  unreachable: 'unreachable',
  'auth-failed': 'authentication failed',
  error: 'error',
};

/** One host: where it is, what the check found, and (for an unknown key) a two-step way to trust it. */
export function HostCheckRow({ host, result, onAccept }: { host: HostSummary; result?: HostCheckResult; onAccept: (fingerprint: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const state = result?.state;
  return (
    <tr data-host={host.name} data-state={state ?? 'unchecked'}>
      <td>
        <strong>{host.name}</strong>
      </td>
      <td>
        <code>
          {host.user}@{host.address}:{host.port}
        </code>
      </td>
      <td>{host.roles.join(', ')}</td>
      <td className={`host-state state-${state ?? 'unchecked'}`}>
        {state ? STATE_TEXT[state] : 'not checked'}
        {result?.fingerprint && state !== 'ok' && (
          <div>
            presented{' '}
            <code>
              {result.keyType} {result.fingerprint}
            </code>
            {result.expectedFingerprint && (
              <>
                , known_hosts expects <code>{result.expectedFingerprint}</code>
              </>
            )}
          </div>
        )}
        {result?.message && state !== 'ok' && <div className="small">{result.message}</div>}
        {state === 'host-key-unknown' &&
          result?.fingerprint &&
          (confirming ? (
            <div className="confirm-inline">
              Trust only if this matches the host's own fingerprint (<code>ssh-keygen -lf</code> on the host).{' '}
              <button type="button" className="warning" onClick={() => onAccept(result.fingerprint!)}>
                Trust {result.fingerprint.slice(0, 16)}…
              </button>{' '}
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          ) : (
            <button type="button" onClick={() => setConfirming(true)}>
              Trust this key…
            </button>
          ))}
      </td>
    </tr>
  );
}
