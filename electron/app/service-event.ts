/**
 * One event as the adapters forward it: in its own file so what the service context holds (the
 * terminal replay book, ./restore.ts) can name it without importing the service back.
 */
import type { EventName, EventPayload } from '../api/contract';

/** One event as the adapters forward it. */
export type ServiceEvent = { [Name in EventName]: { name: Name; payload: EventPayload<Name> } }[EventName];
