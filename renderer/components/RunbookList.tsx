import type { RunbookSummary } from '../../electron/api/contract';

/** The runbooks found, each with its tags, origin and a way to start it. */
export function RunbookList({
  runbooks,
  selectedId,
  onSelect,
  onRun,
}: {
  runbooks: RunbookSummary[];
  selectedId?: string;
  onSelect: (runbookId: string) => void;
  onRun: (runbookId: string) => void;
}) {
  if (runbooks.length === 0) return <p className="empty">No runbook matches.</p>;
  return (
    <ul className="runbook-list">
      {runbooks.map((runbook) => (
        <li key={runbook.id} className={runbook.id === selectedId ? 'runbook selected' : 'runbook'} data-runbook={runbook.id}>
          <button type="button" className="runbook-main" onClick={() => onSelect(runbook.id)}>
            <span className="runbook-title">{runbook.title}</span>
            <span className="runbook-meta">
              <code>{runbook.id}</code> v{runbook.version} · {runbook.stepCount} steps · {runbook.origin}
            </span>
            <span className="tags">
              {runbook.tags.map((tag) => (
                <span key={tag} className="tag">
                  {tag}
                </span>
              ))}
            </span>
          </button>
          <button type="button" className="primary" onClick={() => onRun(runbook.id)}>
            Run…
          </button>
        </li>
      ))}
    </ul>
  );
}
