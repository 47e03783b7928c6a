import { useState } from 'react';
import type { RunStatus } from '../../electron/api/contract';

/**
 * Pause / resume, and abort (with or without rollback). Aborting is never one click: it opens a
 * form that needs a reason, and the abort buttons look different from everything else.
 */
export function RunControls({
  status,
  canRollBack = true,
  onPause,
  onResume,
  onAbort,
}: {
  status: RunStatus;
  /** Something the run did has an undo in the rollback section: only then is "Abort and roll back" offered. */
  canRollBack?: boolean;
  onPause: () => void;
  onResume: () => void;
  onAbort: (reason: string, rollback: boolean) => void;
}) {
  const [aborting, setAborting] = useState(false);
  const [reason, setReason] = useState('');
  const live = status === 'running' || status === 'paused';
  if (!live) return null;
  return (
    <div className="run-controls">
      {status === 'running' ? (
        <button type="button" onClick={onPause}>
          Pause
        </button>
      ) : (
        <button type="button" className="primary" onClick={onResume}>
          Resume
        </button>
      )}
      {!aborting ? (
        <button type="button" className="danger-outline" onClick={() => setAborting(true)}>
          Abort…
        </button>
      ) : (
        <form className="abort-form" aria-label="Abort the run" onSubmit={(event) => event.preventDefault()}>
          <input aria-label="Reason to abort" placeholder="Why stop the run? (recorded)" value={reason} autoFocus onChange={(event) => setReason(event.target.value)} />
          <button type="button" className="danger" disabled={!reason.trim()} onClick={() => onAbort(reason.trim(), false)}>
            Abort run
          </button>
          {canRollBack ? (
            <button type="button" className="danger" disabled={!reason.trim()} onClick={() => onAbort(reason.trim(), true)}>
              Abort and roll back
            </button>
          ) : (
            <span className="muted small">nothing to roll back yet</span>
          )}
          <button
            type="button"
            onClick={() => {
              setAborting(false);
              setReason('');
            }}
          >
            Cancel
          </button>
        </form>
      )}
    </div>
  );
}
