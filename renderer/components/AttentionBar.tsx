import type { Waiting } from '../stores/runs';
import { needLabel } from '../logic/attention';
import { Shortcut } from './Shortcut';

/** On every screen while a run waits for the operator: what it waits for, and a way straight to it. */
export function AttentionBar({ waiting, onGo }: { waiting: Waiting[]; onGo: (waiting: Waiting) => void }) {
  if (waiting.length === 0) return null;
  const [first] = waiting;
  return (
    <div className="attention-bar" role="status" aria-label="Needs you" data-waiting-run={first.runId} data-waiting-step={first.prompt.step}>
      <span className="attention-flag" aria-hidden="true">
        ⚑
      </span>
      <span>
        <strong>{first.title}</strong> needs you: {needLabel(first.prompt.need)} (step <code>{first.prompt.step}</code>)
        {waiting.length > 1 && <span className="muted"> · {waiting.length - 1} more waiting</span>}
      </span>
      <button type="button" className="primary" aria-keyshortcuts="g" onClick={() => onGo(first)}>
        Go to the prompt <Shortcut keys="G" />
      </button>
    </div>
  );
}
