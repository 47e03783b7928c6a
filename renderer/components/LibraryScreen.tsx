import { useEffect, useMemo } from 'react';
import { searchRunbooks, useLibraryStore } from '../stores/library';
import { useUiStore } from '../stores/ui';
import { ErrorMessage } from './ErrorMessage';
import { LibraryProblems } from './LibraryProblems';
import { RunbookDetail } from './RunbookDetail';
import { RunbookList } from './RunbookList';
import { RunbookSearch } from './RunbookSearch';

/** Bundled and user runbooks: search, tags, validation problems, and the way into a run. */
export function LibraryScreen() {
  const listing = useLibraryStore((state) => state.listing);
  const error = useLibraryStore((state) => state.error);
  const loading = useLibraryStore((state) => state.loading);
  const query = useLibraryStore((state) => state.query);
  const tag = useLibraryStore((state) => state.tag);
  const selectedId = useLibraryStore((state) => state.selectedRunbookId);
  const { setQuery, setTag, selectRunbook, load } = useLibraryStore.getState();
  const navigate = useUiStore((state) => state.navigate);

  useEffect(() => {
    void load();
  }, [load]);

  const runbooks = useMemo(() => searchRunbooks(listing?.runbooks ?? [], query, tag), [listing, query, tag]);
  const tags = useMemo(() => [...new Set((listing?.runbooks ?? []).flatMap((runbook) => runbook.tags))].sort(), [listing]);
  const selected = listing?.runbooks.find((runbook) => runbook.id === selectedId);
  const unusable = (listing?.problems ?? []).filter((problem) => !listing?.runbooks.some((runbook) => runbook.file === problem.file));

  return (
    <div className="screen library-screen">
      <header className="screen-header">
        <h1>Runbooks</h1>
        <button type="button" disabled={loading} onClick={() => void load()}>
          Reload
        </button>
      </header>
      <ErrorMessage message={error} />
      <RunbookSearch query={query} tags={tags} tag={tag} onQuery={setQuery} onTag={setTag} />
      <div className="split">
        <div className="pane">
          {listing ? (
            <RunbookList
              runbooks={runbooks}
              selectedId={selectedId}
              onSelect={selectRunbook}
              onRun={(runbookId) => {
                selectRunbook(runbookId);
                navigate('start');
              }}
            />
          ) : (
            !error && <p className="muted">Loading runbooks…</p>
          )}
          <LibraryProblems problems={unusable} title="Files that could not be loaded" />
          {listing && (
            <p className="muted small">
              Bundled: <code>{listing.directories.bundled}</code> · Yours: <code>{listing.directories.user}</code>
            </p>
          )}
        </div>
        <div className="pane">{selected ? <RunbookDetail runbook={selected} /> : <p className="muted">Select a runbook to read what it does.</p>}</div>
      </div>
    </div>
  );
}
