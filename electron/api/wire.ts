/**
 * What travels between the renderer and an adapter, written once for both sides: the browser-mode
 * WebSocket's messages (electron/server.ts and renderer/api/ws-client.ts) and the id of a run's
 * output terminal (the service names it, the renderer finds it). No Node here: the renderer imports it.
 */
import type { EventName, Result } from './contract';

/** What the client sends: one command call. */
export interface WireRequest {
  id: number;
  /** Unchecked: dispatch refuses anything but a command name of the contract. */
  name: unknown;
  payload: unknown;
}

/** What the server sends: a reply to a call, or an event. */
export type WireMessage = { id: number; result: Result<unknown> } | { event: EventName; payload: unknown };

/** The id of a run's output terminal for one host. */
export function runTerminalId(runId: string, host: string): string {
  return `run:${runId}:${host}`;
}
