import { useState } from 'react';
import { Shortcut } from './Shortcut';

/** A manual step: the instructions, a note, and done / failed. */
export function ManualPrompt({ prompt, onComplete }: { prompt: string; onComplete: (outcome: 'done' | 'failed', note: string) => void }) {
  const [note, setNote] = useState('');
  return (
    <div className="prompt manual" role="group" aria-label="Manual step">
      <p className="prompt-title">Manual step</p>
      <pre className="prompt-text">{prompt}</pre>
      <label>
        Note (kept in the audit trail):
        <input aria-label="Note" data-next-action="" value={note} onChange={(event) => setNote(event.target.value)} />
      </label>
      <div className="actions">
        <button type="button" className="primary" aria-keyshortcuts="d" onClick={() => onComplete('done', note)}>
          Mark done <Shortcut keys="D" />
        </button>
        <button type="button" className="warning" disabled={!note.trim()} title="Say what went wrong in the note" onClick={() => onComplete('failed', note)}>
          Mark failed
        </button>
      </div>
    </div>
  );
}
