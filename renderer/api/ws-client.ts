/**
 * The api/ contract over the browser-mode WebSocket (electron/server.ts). The page is opened with
 * `?token=…`; the token is taken out of the address bar at once (it would otherwise sit in the
 * history and in screenshots) and kept in sessionStorage, which belongs to this origin (port
 * included) and this tab: a reload finds it there, no other local service ever sees it. It is never
 * put in a cookie, which the browser would send to every service on 127.0.0.1.
 *
 * A lost socket (OpsDeck stopped, restarted, the network between) is reported to the connection
 * listeners and opened again by itself, every few seconds, until OpsDeck answers.
 */
import type { CommandName, EventName, Result } from '../../electron/api/contract';
import type { WireRequest } from '../../electron/api/wire';
import type { ApiClient, ConnectionChange } from './client';

type Listener = (payload: unknown) => void;

export interface WebSocketClient extends ApiClient {
  /** Resolves once the socket is first open; rejects if the first attempt fails (attempts go on). */
  ready: Promise<void>;
  /** Closes the socket for good (no reconnecting). */
  close(): void;
}

/** Where the page keeps its console's token (sessionStorage: this origin, this tab). */
export const TOKEN_STORAGE_KEY = 'opsdeck.token';

export const MISSING_TOKEN_MESSAGE = 'This page was opened without its token: open the link with its token, as printed where the console was started (http://…/?token=…).';

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

/** How long to wait before each new attempt to reach a lost backend (the last one repeats). */
export const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 3000];

export function webSocketClient(location: Location, history: History | null, storage: Storage | null = sessionStorageOrNull()): WebSocketClient {
  const url = new URL(location.href);
  const token = takeToken(location, history, storage);
  const socketUrl = `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Map<string, Set<Listener>>();
  const connectionListeners = new Set<(change: ConnectionChange) => void>();
  let nextId = 1;
  let socket: WebSocket;
  let open = false;
  let everOpen = false;
  let stopped = false;
  let attempt = 0;
  // Without a token the server refuses the socket: say where the link is, not that it was lost.
  const lostMessage = token
    ? 'The console is not connected to OpsDeck: it reconnects by itself when OpsDeck answers again (if OpsDeck was restarted with a new link, open that link).'
    : MISSING_TOKEN_MESSAGE;

  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // The first failure rejects `ready`; later ones only tell the connection listeners.
  ready.catch(() => undefined);

  const tell = (change: ConnectionChange) => {
    for (const listener of connectionListeners) listener(change);
  };

  const connect = () => {
    const ws = new WebSocket(socketUrl);
    socket = ws;
    ws.addEventListener('open', () => {
      open = true;
      everOpen = true;
      attempt = 0;
      resolveReady();
      tell({ state: 'connected' });
    });
    ws.addEventListener('message', (message: MessageEvent<string>) => {
      const data = JSON.parse(message.data) as Partial<{ id: number; result: Result<unknown>; event: string; payload: unknown }>;
      if (typeof data.id === 'number') {
        pending.get(data.id)?.(data.result as Result<unknown>);
        pending.delete(data.id);
      } else if (data.event) {
        for (const listener of listeners.get(data.event) ?? []) listener(data.payload);
      }
    });
    ws.addEventListener('close', () => {
      if (socket !== ws) return;
      open = false;
      for (const resolve of pending.values()) resolve({ ok: false, error: { code: 'disconnected', userMessage: lostMessage } });
      pending.clear();
      rejectReady(new Error(token ? 'The console could not connect to OpsDeck (is it still running? Was it restarted with a new link?).' : MISSING_TOKEN_MESSAGE));
      if (stopped) return;
      tell({ state: 'lost', message: lostMessage, retrying: Boolean(token) });
      // No token: no attempt can succeed; the banner says which link to open.
      if (!token) return;
      const delay = RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)];
      attempt += 1;
      setTimeout(() => {
        if (!stopped) connect();
      }, delay);
    });
  };
  connect();

  return {
    ready,
    close: () => {
      stopped = true;
      socket.close();
    },
    onConnection(listener: (change: ConnectionChange) => void) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    async call(name: CommandName, request: unknown) {
      // Calls made while the page starts (a screen loading its data) wait for the first connection;
      // once it was lost, they fail at once (the banner says why and every control is disabled).
      if (!everOpen) await ready.catch(() => undefined);
      if (!open) return { ok: false, error: { code: 'disconnected', userMessage: lostMessage } };
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve as (result: Result<unknown>) => void);
        socket.send(JSON.stringify({ id, name, payload: request } satisfies Omit<WireRequest, 'name'> & { name: CommandName }));
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
