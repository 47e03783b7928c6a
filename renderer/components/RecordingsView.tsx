import { useEffect, useState } from 'react';
import type { CastText } from '../../electron/api/contract';
import { formatTimeWithZone } from '../logic/format';
import { useAuditStore } from '../stores/audit';
import { CastPlayer } from './CastPlayer';
import { ErrorMessage } from './ErrorMessage';

/** Host terminal recordings (`audit/terminals/*.cast`), newest first, each played with seek. */
export function RecordingsView() {
  const recordings = useAuditStore((state) => state.recordings);
  const listError = useAuditStore((state) => state.recordingsError);
  const { loadRecordings, readCast } = useAuditStore.getState();
  const [cast, setCast] = useState<CastText>();
  const [castError, setCastError] = useState<string>();
  const reload = () => {
    setCastError(undefined);
    void loadRecordings();
  };
  // eslint-disable-next-line react-hooks/exhaustive-deps -- read once when the view opens; reload is made anew each render
  useEffect(reload, []);
  const open = async (name: string) => {
    const result = await readCast({ recording: name });
    setCastError(result.ok ? undefined : result.error.userMessage);
    if (result.ok) setCast(result.value);
  };
  return (
    <div className="split">
      <div className="pane">
        <div className="toolbar">
          <h2>Host terminal recordings</h2>
          <button type="button" onClick={reload}>
            Reload
          </button>
        </div>
        <ErrorMessage message={listError} />
        <ErrorMessage message={castError} />
        {recordings?.length === 0 && <p className="muted">No host terminal has been recorded yet.</p>}
        <ul className="recordings" aria-label="Recordings">
          {(recordings ?? []).map((recording) => (
            <li key={recording.name} data-recording={recording.name}>
              <button type="button" className={cast?.name === recording.name ? 'tag active' : 'tag'} onClick={() => void open(recording.name)}>
                {recording.title ?? recording.name}
              </button>{' '}
              <span className="muted small">
                {formatTimeWithZone(recording.startedAt)} · {Math.ceil(recording.bytes / 1024)} KiB
              </span>
            </li>
          ))}
        </ul>
      </div>
      <div className="pane">{cast ? <CastPlayer key={cast.name} cast={cast} /> : <p className="muted">Pick a recording to play it.</p>}</div>
    </div>
  );
}
