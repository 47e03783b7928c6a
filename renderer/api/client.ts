/**
 * The console's one way to the backend: the api/ contract, over Electron's preload bridge when the
 * window has one, over the browser-mode WebSocket otherwise. Components and stores see only
 * {@link ApiClient}; which transport carries it is decided once, at start.
 */
import type { CommandName, CommandReply, CommandRequest, EventName, EventPayload, OpsdeckBridge, Result } from '../../electron/api/contract';

/** The backend became reachable (again), or was lost. */
export type ConnectionChange = { state: 'connected' } | { state: 'lost'; message: string; retrying: boolean };

export interface ApiClient {
  call<Name extends CommandName>(name: Name, request: CommandRequest<Name>): Promise<Result<CommandReply<Name>>>;
  on<Name extends EventName>(name: Name, listener: (payload: EventPayload<Name>) => void): () => void;
  /** Connection changes, where the transport can lose its backend (browser mode); returns the unsubscribe. */
  onConnection?(listener: (change: ConnectionChange) => void): () => void;
}

declare global {
  interface Window {
    /** Present in the Electron window only (see electron/preload.ts). */
    opsdeck?: OpsdeckBridge;
  }
}

/** A client over the functions Electron's preload exposes. */
export function bridgeClient(bridge: OpsdeckBridge): ApiClient {
  return {
    call: (name, request) => (bridge.commands[name] as (request: unknown) => Promise<Result<never>>)(request),
    on: (name, listener) => bridge.subscribe(name, listener),
  };
}

let current: ApiClient | undefined;

/** The client the console uses (set at start, or by a test). */
export function api(): ApiClient {
  if (!current) throw new Error('The API client is not set up yet.');
  return current;
}

export function setApiClient(client: ApiClient): void {
  current = client;
}
