import { beforeEach, describe, expect, it } from 'vitest';
import type { LibraryListing, Result } from '../../electron/api/contract';
import { setApiClient } from '../api/client';
import { useLibraryStore } from './library';

const listing: LibraryListing = { runbooks: [], problems: [], directories: { bundled: '/b', user: '/u' } };

/** A client answering library:list with the next of these replies. */
function replying(...replies: Array<Result<LibraryListing>>) {
  const asked: string[] = [];
  setApiClient({
    call: (name) => {
      asked.push(name);
      return Promise.resolve(replies.shift()) as never;
    },
    on: () => () => undefined,
  });
  return asked;
}

describe('useLibraryStore.load', () => {
  beforeEach(() => useLibraryStore.setState({ listing: undefined, error: undefined, loading: false }));

  it('is loading while the library is read, keeps the reason it could not be, and forgets it once read', async () => {
    const asked = replying({ ok: false, error: { code: 'internal', userMessage: 'The runbook directory cannot be read.' } }, { ok: true, value: listing });
    const reading = useLibraryStore.getState().load();
    expect(useLibraryStore.getState().loading).toBe(true);
    await reading;
    expect(useLibraryStore.getState()).toMatchObject({ loading: false, error: 'The runbook directory cannot be read.', listing: undefined });
    await useLibraryStore.getState().load();
    expect(useLibraryStore.getState()).toMatchObject({ loading: false, error: undefined, listing });
    expect(asked).toEqual(['library:list', 'library:list']);
  });
});
