/**
 * The api/ contract over the browser-mode WebSocket (electron/server.ts). The page was opened with
 * `?token=…`; the server also set a cookie, so the token is taken out of the address bar at once
 * (it would otherwise sit in the history and in screenshots).
 */
import type { CommandName, EventName, Result } from '../../electron/api/contract';
import type { ApiClient } from './client';

type Listener = (payload: unknown) => void;

export interface WebSocketClient extends ApiClient {
  /** Resolves once the socket is open. */
  ready: Promise<void>;
  close(): void;
}

export function webSocketClient(location: Location, history: History | null): WebSocketClient {
  const url = new URL(location.href);
  const token = url.searchParams.get('token') ?? '';
  if (token && history) {
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  const socketUrl = `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  const socket = new WebSocket(socketUrl);
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Map<string, Set<Listener>>();
  let nextId = 1;
  let closed = false;

  const ready = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error('The console could not connect to OpsDeck (is it still running?).')), { once: true });
  });
  socket.addEventListener('message', (message: MessageEvent<string>) => {
    const data = JSON.parse(message.data) as { id?: number; result?: Result<unknown>; event?: string; payload?: unknown };
    if (typeof data.id === 'number') {
      pending.get(data.id)?.(data.result as Result<unknown>);
      pending.delete(data.id);
    } else if (data.event) {
      for (const listener of listeners.get(data.event) ?? []) listener(data.payload);
    }
  });
  socket.addEventListener('close', () => {
    closed = true;
    for (const resolve of pending.values()) {
      resolve({ ok: false, error: { code: 'disconnected', userMessage: 'The connection to OpsDeck was lost; reload the page once it runs again.' } });
    }
    pending.clear();
  });

  return {
    ready,
    close: () => socket.close(),
    async call(name: CommandName, request: unknown) {
      try {
        await ready;
      } catch {
        closed = true;
      }
      if (closed) return { ok: false, error: { code: 'disconnected', userMessage: 'The connection to OpsDeck was lost; reload the page once it runs again.' } };
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve as (result: Result<unknown>) => void);
        socket.send(JSON.stringify({ id, name, payload: request }));
      });
    },
    on(name: EventName, listener: Listener) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
  } as WebSocketClient;
}
