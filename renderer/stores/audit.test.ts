import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditRunDetail, AuditRunSummary, CommandName, CommandRequest, Result } from '../../electron/api/contract';
import { setApiClient } from '../api/client';
import { NO_FILTERS, useAuditStore } from './audit';

/** A client whose replies the test hands out one by one, in the order it chooses. */
function heldClient() {
  const waiting: Array<{ name: CommandName; request: unknown; reply: (result: Result<unknown>) => void }> = [];
  setApiClient({
    call: <Name extends CommandName>(name: Name, request: CommandRequest<Name>) => new Promise((resolve) => waiting.push({ name, request, reply: resolve })) as never,
    on: () => () => undefined,
  });
  return waiting;
}

const summary = (runId: string): AuditRunSummary => ({
  runId,
  runbookId: 'drill',
  runbookTitle: 'Drill',
  runbookVersion: '1',
  environment: 'lab',
  lab: true,
  operator: 'op',
  status: 'succeeded',
  startedAt: '2026-12-01T10:00:00.000Z',
  live: false,
});
const detailOf = (runId: string) => ({ summary: summary(runId) }) as unknown as AuditRunDetail;
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('useAuditStore actions', () => {
  beforeEach(() =>
    useAuditStore.setState({
      runs: [],
      loaded: false,
      listError: undefined,
      filters: NO_FILTERS,
      selected: undefined,
      detail: undefined,
      error: undefined,
      facts: {},
      compareIds: [],
    }),
  );

  it('drops the reply for a run the operator has left, so a slow journal never shows under another run', async () => {
    const waiting = heldClient();
    const store = useAuditStore.getState();
    store.select({ runId: 'a' });
    const first = store.loadDetail({ runId: 'a' });
    store.select({ runId: 'b' });
    const second = store.loadDetail({ runId: 'b' });
    expect(waiting.map((call) => [call.name, call.request])).toEqual([
      ['audit:show', { runId: 'a' }],
      ['audit:show', { runId: 'b' }],
    ]);
    waiting[1].reply({ ok: true, value: detailOf('b') });
    await second;
    waiting[0].reply({ ok: false, error: { code: 'audit-run-not-found', userMessage: 'Run a has no readable journal.' } });
    await first;
    expect(useAuditStore.getState().detail?.summary.runId).toBe('b');
    expect(useAuditStore.getState().error).toBeUndefined();
  });

  it('asks the team database for a team run, and says why a list could not be read instead of showing it empty', async () => {
    const waiting = heldClient();
    const store = useAuditStore.getState();
    store.select({ runId: 't1', teamEnvironmentId: '/env.yaml' });
    void store.loadDetail({ runId: 't1', teamEnvironmentId: '/env.yaml' });
    expect(waiting[0].request).toEqual({ runId: 't1', teamEnvironmentId: '/env.yaml' });

    const listed = store.load();
    waiting[1].reply({ ok: false, error: { code: 'internal', userMessage: 'The audit directory cannot be read.' } });
    await listed;
    expect(useAuditStore.getState()).toMatchObject({ loaded: true, runs: [], listError: 'The audit directory cannot be read.' });
    const again = store.load();
    waiting[2].reply({ ok: true, value: [summary('r1')] });
    await again;
    expect(useAuditStore.getState()).toMatchObject({ runs: [summary('r1')], listError: undefined });
  });

  it('keeps the facts already known when more runs are asked about, and compares only two picked runs', async () => {
    const waiting = heldClient();
    const store = useAuditStore.getState();
    void store.loadFacts(['r1']);
    waiting[0].reply({ ok: true, value: { r1: { verified: true, skipped: 1, failed: 0, drill: false } } });
    await settle();
    void store.loadFacts(['r2']);
    waiting[1].reply({ ok: true, value: { r2: { verified: false, skipped: 0, failed: 0, drill: true } } });
    await settle();
    expect(Object.keys(useAuditStore.getState().facts).sort()).toEqual(['r1', 'r2']);

    store.toggleCompare('r1');
    await store.compare();
    expect(waiting).toHaveLength(2);
    store.toggleCompare('r2');
    void store.compare();
    expect(waiting[2]).toMatchObject({ name: 'audit:compare', request: { a: { runId: 'r1' }, b: { runId: 'r2' } } });
  });
});
