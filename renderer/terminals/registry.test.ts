import { describe, expect, it, vi } from 'vitest';
import type { TerminalInfo } from '../../electron/api/contract';
import type { ApiClient } from '../api/client';
import { Terminal } from '@xterm/xterm';
import { TerminalRegistry } from './registry';

const runOutput = (host: string): TerminalInfo => ({ terminalId: `run:r1:${host}`, kind: 'run-output', runId: 'r1', host, title: host }) as unknown as TerminalInfo;

describe('TerminalRegistry', () => {
  it("keeps every host terminal's output but opens (renders) only the terminals shown", async () => {
    const call = vi.fn(async () => undefined);
    const parking = document.createElement('div');
    document.body.appendChild(parking);
    const registry = new TerminalRegistry({ call } as unknown as ApiClient, parking);
    const hosts = Array.from({ length: 300 }, (_, index) => `compute${String(index).padStart(3, '0')}`);
    for (const host of hosts) registry.ensure(runOutput(host));
    for (const host of hosts) registry.write(`run:r1:${host}`, `hello from ${host}\r\n`);

    // Every batch is parsed and acknowledged without a renderer.
    await vi.waitFor(() => expect(call).toHaveBeenCalledTimes(300));
    expect(call).toHaveBeenCalledWith('terminal:ack', { terminalId: 'run:r1:compute299', chars: 'hello from compute299\r\n'.length });
    expect(registry.text('run:r1:compute150')).toContain('hello from compute150');
    expect(hosts.filter((host) => registry.isOpened(`run:r1:${host}`))).toEqual([]);
    expect(parking.childElementCount).toBe(0);

    const container = document.createElement('div');
    document.body.appendChild(container);
    // jsdom has no canvas for xterm's renderer: what open() does is the e2e tests' part (real
    // Chromium); here, that the registry opens the shown terminal, in its container, once.
    vi.stubGlobal(
      'ResizeObserver',
      class {
        observe() {}
        disconnect() {}
      },
    );
    const open = vi.spyOn(Terminal.prototype, 'open').mockImplementation(() => undefined);
    registry.attach('run:r1:compute007', container)();
    expect(parking.querySelector('[data-terminal-id="run:r1:compute007"]')).not.toBeNull();
    const detach = registry.attach('run:r1:compute007', container);
    expect(open).toHaveBeenCalledTimes(1);
    expect(open.mock.calls[0][0].dataset.terminalId).toBe('run:r1:compute007');
    expect(registry.isOpened('run:r1:compute007')).toBe(true);
    expect(container.querySelector('[data-terminal-id="run:r1:compute007"]')).not.toBeNull();
    expect(hosts.filter((host) => registry.isOpened(`run:r1:${host}`))).toEqual(['compute007']);
    expect(registry.text('run:r1:compute007')).toContain('hello from compute007');
    detach();
    open.mockRestore();
    vi.unstubAllGlobals();
    registry.disposeAll();
  });
});
