/** The runbook library: what is loaded, the search and tag filter, the runbook chosen to run. */
import { create } from 'zustand';
import type { LibraryListing, RunbookSummary } from '../../electron/api/contract';
import { api } from '../api/client';

interface LibraryState {
  listing?: LibraryListing;
  /** A read of the library is on its way. */
  loading: boolean;
  error?: string;
  query: string;
  tag?: string;
  selectedRunbookId?: string;
  setListing(listing: LibraryListing): void;
  setError(error: string): void;
  setQuery(query: string): void;
  setTag(tag: string | undefined): void;
  selectRunbook(runbookId: string | undefined): void;
  /** Reads the library (bundled and user runbooks, and the files that do not load). */
  load(): Promise<void>;
}

export const useLibraryStore = create<LibraryState>()((set, get) => ({
  loading: false,
  query: '',
  setListing: (listing) => set({ listing, error: undefined }),
  setError: (error) => set({ error }),
  setQuery: (query) => set({ query }),
  setTag: (tag) => set({ tag }),
  selectRunbook: (runbookId) => set({ selectedRunbookId: runbookId }),
  load: async () => {
    set({ loading: true });
    const result = await api().call('library:list', {});
    set({ loading: false });
    if (result.ok) get().setListing(result.value);
    else get().setError(result.error.userMessage);
  },
}));

/** Runbooks matching the search words (id, title, description, tags) and the tag. */
export function searchRunbooks(runbooks: RunbookSummary[], query: string, tag?: string): RunbookSummary[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return runbooks.filter((runbook) => {
    if (tag && !runbook.tags.includes(tag)) return false;
    const haystack = `${runbook.id} ${runbook.title} ${runbook.description} ${runbook.tags.join(' ')}`.toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}
