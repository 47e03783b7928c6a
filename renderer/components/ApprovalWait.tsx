import { useState } from 'react';

/**
 * A destructive step waits for a second operator's approval (two-person rule). Nothing to answer
 * here but, when nobody can be had, break-glass: going on alone, which needs a reason and is shown
 * loudly in the report.
 */
export function ApprovalWait({ prompt, onBreakGlass }: { prompt: string; onBreakGlass: (reason: string) => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  return (
    <div className="prompt approval-wait" role="group" aria-label="Waiting for approval">
      <p className="prompt-title">Waiting for approval from a second operator</p>
      <pre className="prompt-text">{prompt}</pre>
      {!open ? (
        <button type="button" className="danger" onClick={() => setOpen(true)}>
          Break glass…
        </button>
      ) : (
        <form
          aria-label="Break glass"
          onSubmit={(event) => {
            event.preventDefault();
            if (reason.trim()) onBreakGlass(reason.trim());
          }}
        >
          <label>
            Why go on without a second operator (journaled, shown in the report as BREAK-GLASS):
            <textarea aria-label="Break-glass reason" value={reason} onChange={(event) => setReason(event.target.value)} />
          </label>
          <button type="submit" className="danger" disabled={!reason.trim()}>
            Break glass and run the step
          </button>
          <button type="button" onClick={() => setOpen(false)}>
            Keep waiting
          </button>
        </form>
      )}
    </div>
  );
}
