import { useState } from 'react';

/** Search in the scrollback and copy, for the terminal showing. */
export function TerminalToolbar({
  onFind,
  onClearSearch,
  onCopy,
  note,
}: {
  onFind: (text: string, direction: 'next' | 'previous') => boolean;
  onClearSearch: () => void;
  onCopy: () => void;
  note?: string;
}) {
  const [text, setText] = useState('');
  const [found, setFound] = useState<boolean>();
  const find = (direction: 'next' | 'previous') => setFound(onFind(text, direction));
  return (
    <div className="terminal-toolbar">
      <form
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          find('next');
        }}
      >
        <input
          type="search"
          aria-label="Search in terminal"
          placeholder="Search scrollback"
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            setFound(undefined);
            if (!event.target.value) onClearSearch();
          }}
        />
        <button type="button" onClick={() => find('previous')} disabled={!text}>
          ↑
        </button>
        <button type="submit" disabled={!text}>
          ↓
        </button>
        {found === false && <span className="muted small">not found</span>}
      </form>
      <button type="button" onClick={onCopy}>
        Copy
      </button>
      {note && <span className="muted small">{note}</span>}
    </div>
  );
}
