import { describe, expect, it, vi } from 'vitest';
import type { EventName, EventPayload } from '../../electron/api/contract';
import { useInventoryStore } from '../stores/inventory';
import { useRunsStore } from '../stores/runs';
import { useSessionsStore } from '../stores/sessions';
import type { TerminalRegistry } from '../terminals/registry';
import type { ApiClient } from './client';
import { connectStores, restoreState } from './connect';

/** A client whose events the test fires by hand. */
function fakeClient() {
  const listeners = new Map<string, (payload: unknown) => void>();
  const client: ApiClient = {
    call: vi.fn(),
    on: (name, listener) => {
      listeners.set(name, listener as (payload: unknown) => void);
      return () => listeners.delete(name);
    },
  };
  const fire = <Name extends EventName>(name: Name, payload: EventPayload<Name>) => listeners.get(name)?.(payload);
  return { client, fire, listeners };
}

describe('connectStores', () => {
  it('routes run events to the runs store, terminal bytes to the registry only, host checks to inventory', () => {
    const { client, fire, listeners } = fakeClient();
    const registry = { ensure: vi.fn(), write: vi.fn(), notice: vi.fn() };
    const disconnect = connectStores(client, registry as unknown as TerminalRegistry);

    fire('run:event', { runId: 'r9', at: 5, event: { type: 'step.started', step: 's', title: 'S', kind: 'run', hosts: ['h'], attempt: 1 } });
    expect(useRunsStore.getState().runs.r9.steps.s.status).toBe('running');

    fire('terminal:opened', { terminalId: 'run:r9:h', kind: 'run-output', host: 'h', title: 'h', runId: 'r9' });
    expect(registry.ensure).toHaveBeenCalled();
    expect(useSessionsStore.getState().terminals['run:r9:h'].host).toBe('h');
    const before = JSON.stringify(useSessionsStore.getState()) + JSON.stringify(useRunsStore.getState());
    fire('terminal:data', { terminalId: 'run:r9:h', data: 'secret bytes' });
    expect(registry.write).toHaveBeenCalledWith('run:r9:h', 'secret bytes');
    // Bytes never enter a store.
    expect(JSON.stringify(useSessionsStore.getState()) + JSON.stringify(useRunsStore.getState())).toBe(before);

    fire('hosts:checked', { environmentId: 'e', host: 'h', state: 'host-key-unknown', fingerprint: 'SHA256:abc' });
    expect(useInventoryStore.getState().hostChecks.e.h.state).toBe('host-key-unknown');

    disconnect();
    expect(listeners.size).toBe(0);
  });
});

describe('restoreState', () => {
  it('replays each terminal once: output that arrives before the terminal:list reply is in it, output after is live', async () => {
    const { client, fire } = fakeClient();
    const written: string[] = [];
    const skipped: string[] = [];
    const registry = {
      ensure: vi.fn(),
      write: (_id: string, data: string) => written.push(data),
      skip: (_id: string, data: string) => skipped.push(data),
      replay: (_info: unknown, recent: string) => written.push(`[replay]${recent}`),
      notice: vi.fn(),
    };
    connectStores(client, registry as unknown as TerminalRegistry);
    const info = { terminalId: 'shell:1:h', kind: 'shell' as const, host: 'h', title: 'h' };
    let answerList!: (value: unknown) => void;
    client.call = vi.fn((name: string) => {
      if (name === 'terminal:list') return new Promise((resolve) => (answerList = resolve));
      if (name === 'run:list' || name === 'environment:list') return Promise.resolve({ ok: true, value: [] });
      return Promise.resolve({ ok: true, value: { available: false, state: 'stopped' } });
    }) as unknown as ApiClient['call'];
    const restored = restoreState(client, registry as unknown as TerminalRegistry);
    // Sent before the server read its list: the reply has it.
    fire('terminal:data', { terminalId: info.terminalId, data: 'in the reply' });
    answerList({ ok: true, value: [{ info, closed: false, recent: 'old\r\nin the reply', omittedChars: 0 }] });
    await Promise.resolve();
    await Promise.resolve();
    fire('terminal:data', { terminalId: info.terminalId, data: 'live' });
    await restored;
    expect(written).toEqual(['[replay]old\r\nin the reply', 'live']);
    expect(skipped).toEqual(['in the reply']);
    expect(useSessionsStore.getState().terminals[info.terminalId].closed).toBe(false);
  });
});
