import { useState } from 'react';

/** A failed step: retry, or skip with a reason. Abort and rollback are in the run controls. */
export function FailurePrompt({ prompt, onRetry, onSkip }: { prompt: string; onRetry: () => void; onSkip: (reason: string) => void }) {
  const [reason, setReason] = useState('');
  return (
    <div className="prompt failure" role="group" aria-label="Failed step">
      <p className="prompt-title">Step failed</p>
      <pre className="prompt-text">{prompt}</pre>
      <div className="actions">
        <button type="button" className="primary" onClick={onRetry}>
          Retry step
        </button>
        <input aria-label="Reason to skip" placeholder="Reason to skip (required)" value={reason} onChange={(event) => setReason(event.target.value)} />
        <button type="button" className="warning" disabled={!reason.trim()} onClick={() => onSkip(reason.trim())}>
          Skip with reason
        </button>
      </div>
    </div>
  );
}
