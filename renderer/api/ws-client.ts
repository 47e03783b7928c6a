/**
 * The api/ contract over the browser-mode WebSocket (electron/server.ts). The page is opened with
 * `?token=…`; the token is taken out of the address bar at once (it would otherwise sit in the
 * history and in screenshots) and kept in sessionStorage, which belongs to this origin (port
 * included) and this tab: a reload finds it there, no other local service ever sees it. It is never
 * put in a cookie, which the browser would send to every service on 127.0.0.1.
 */
import type { CommandName, EventName, Result } from '../../electron/api/contract';
import type { ApiClient } from './client';

type Listener = (payload: unknown) => void;

export interface WebSocketClient extends ApiClient {
  /** Resolves once the socket is open. */
  ready: Promise<void>;
  close(): void;
}

/** Where the page keeps its console's token (sessionStorage: this origin, this tab). */
export const TOKEN_STORAGE_KEY = 'opsdeck.token';

export const MISSING_TOKEN_MESSAGE =
  'This page was opened without its token: open the link with its token, as printed where the console was started (http://…/?token=…).';

/** The token from the address (taken out of it) or, on a reload, from sessionStorage. */
export function takeToken(location: Location, history: History | null, storage: Storage | null): string {
  const url = new URL(location.href);
  const given = url.searchParams.get('token');
  if (given !== null && history) {
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  try {
    if (given) storage?.setItem(TOKEN_STORAGE_KEY, given);
    return given || (storage?.getItem(TOKEN_STORAGE_KEY) ?? '');
  } catch {
    // Storage refused (a browser's privacy mode): the token of the address still works until a reload.
    return given ?? '';
  }
}

function sessionStorageOrNull(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

export function webSocketClient(location: Location, history: History | null, storage: Storage | null = sessionStorageOrNull()): WebSocketClient {
  const url = new URL(location.href);
  const token = takeToken(location, history, storage);
  const socketUrl = `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  const socket = new WebSocket(socketUrl);
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Map<string, Set<Listener>>();
  let nextId = 1;
  let closed = false;
  // Without a token the server refuses the socket: say where the link is, not that it was lost.
  const lostMessage = token ? 'The connection to OpsDeck was lost; reload the page once it runs again.' : MISSING_TOKEN_MESSAGE;

  const ready = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener(
      'error',
      () => reject(new Error(token ? 'The console could not connect to OpsDeck (is it still running? Was it restarted with a new link?).' : MISSING_TOKEN_MESSAGE)),
      { once: true },
    );
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
      resolve({ ok: false, error: { code: 'disconnected', userMessage: lostMessage } });
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
      if (closed) return { ok: false, error: { code: 'disconnected', userMessage: lostMessage } };
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
