import { useState } from 'react';

/**
 * A destructive step waits for the operator to type the expected text; the button stays disabled
 * until what is typed matches exactly (surrounding spaces aside, as the engine compares).
 */
export function DestructiveConfirm({ prompt, expected, mismatch, onConfirm }: { prompt: string; expected: string; mismatch?: boolean; onConfirm: (text: string) => void }) {
  const [text, setText] = useState('');
  const matches = text.trim() === expected;
  return (
    <form
      className="prompt destructive-confirm"
      aria-label="Confirm destructive step"
      onSubmit={(event) => {
        event.preventDefault();
        if (matches) onConfirm(text);
      }}
    >
      <p className="prompt-title">⚠ Destructive step</p>
      <pre className="prompt-text">{prompt}</pre>
      <label>
        Type <code className="expected">{expected}</code> to run it:
        <input aria-label="Confirmation text" data-next-action="" autoComplete="off" spellCheck={false} value={text} onChange={(event) => setText(event.target.value)} />
      </label>
      <button type="submit" className="danger" disabled={!matches}>
        Run destructive step
      </button>
      {mismatch && <p className="error-text">The last text typed did not match; the step still waits.</p>}
    </form>
  );
}
