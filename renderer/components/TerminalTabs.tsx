/** Tabs over terminals; a closed one is marked, and one with a mark (a failed host) says it. */
export function TerminalTabs({
  tabs,
  activeId,
  onSelect,
  onClose,
  label,
}: {
  tabs: Array<{ id: string; title: string; closed?: boolean; mark?: string }>;
  activeId?: string;
  onSelect: (id: string) => void;
  onClose?: (id: string) => void;
  label: string;
}) {
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      {tabs.map((tab) => (
        <span key={tab.id} className={`${tab.id === activeId ? 'tab active' : 'tab'}${tab.mark ? ' marked' : ''}`} data-mark={tab.mark}>
          <button type="button" role="tab" aria-selected={tab.id === activeId} onClick={() => onSelect(tab.id)}>
            {tab.title}
            {tab.mark && <span className="tab-mark"> ● {tab.mark}</span>}
            {tab.closed && <span className="muted"> (closed)</span>}
          </button>
          {onClose && (
            <button type="button" className="tab-close" aria-label={`Close ${tab.title}`} onClick={() => onClose(tab.id)}>
              ×
            </button>
          )}
        </span>
      ))}
    </div>
  );
}
