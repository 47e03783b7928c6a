import { useEffect, useState } from 'react';
import type { CastText, TerminalRecording } from '../../electron/api/contract';
import { api } from '../api/client';
import { formatTimeWithZone } from '../logic/format';
import { CastPlayer } from './CastPlayer';
import { ErrorMessage } from './ErrorMessage';

/** Host terminal recordings (`audit/terminals/*.cast`), newest first, each played with seek. */
export function RecordingsView() {
  const [recordings, setRecordings] = useState<TerminalRecording[]>();
  const [cast, setCast] = useState<CastText>();
  const [error, setError] = useState<string>();
  const reload = () =>
    void api()
      .call('audit:recordings', {})
      .then((result) => {
        setError(result.ok ? undefined : result.error.userMessage);
        if (result.ok) setRecordings(result.value);
      });
  useEffect(reload, []);
  const open = async (name: string) => {
    const result = await api().call('audit:cast', { recording: name });
    setError(result.ok ? undefined : result.error.userMessage);
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
        <ErrorMessage message={error} />
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
