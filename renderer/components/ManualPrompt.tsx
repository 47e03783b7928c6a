import { useState } from 'react';

/** A manual step: the instructions, a note, and done / failed. */
export function ManualPrompt({ prompt, onComplete }: { prompt: string; onComplete: (outcome: 'done' | 'failed', note: string) => void }) {
  const [note, setNote] = useState('');
  return (
    <div className="prompt manual" role="group" aria-label="Manual step">
      <p className="prompt-title">Manual step</p>
      <pre className="prompt-text">{prompt}</pre>
      <label>
        Note (kept in the audit trail):
        <input aria-label="Note" value={note} onChange={(event) => setNote(event.target.value)} />
      </label>
      <div className="actions">
        <button type="button" className="primary" onClick={() => onComplete('done', note)}>
          Mark done
        </button>
        <button type="button" className="warning" disabled={!note.trim()} title="Say what went wrong in the note" onClick={() => onComplete('failed', note)}>
          Mark failed
        </button>
      </div>
    </div>
  );
}
