/**
 * The ONE place where API events update the stores (and terminal bytes reach xterm). Called once at
 * start; returns the function that unsubscribes everything. {@link restoreState} reads what the
 * backend holds, at start and after every reconnect.
 */
import { useAuditStore } from '../stores/audit';
import { useInventoryStore } from '../stores/inventory';
import { useRunsStore } from '../stores/runs';
import { useSessionsStore } from '../stores/sessions';
import type { TerminalReplay } from '../../electron/api/contract';
import type { TerminalRegistry } from '../terminals/registry';
import type { ApiClient } from './client';

/**
 * While a `terminal:list` is on its way, output that arrives is in its reply already (a reply and the
 * events of one connection come in the order they were sent): it is acknowledged, not shown twice.
 */
let restoring = 0;

export function connectStores(client: ApiClient, registry: TerminalRegistry | null): () => void {
  const subscriptions = [
    client.on('run:event', (envelope) => {
      useRunsStore.getState().apply(envelope);
      // A finished run is now in the audit history; the list is re-read the next time it is shown.
      if (envelope.event.type === 'run.finished') useAuditStore.setState({ loaded: false });
    }),
    client.on('run:notice', (notice) => useRunsStore.getState().notice(notice)),
    client.on('run:drillClock', (update) => useRunsStore.getState().drillClock(update)),
    client.on('terminal:opened', (info) => {
      registry?.ensure(info);
      useSessionsStore.getState().opened(info);
    }),
    client.on('terminal:data', ({ terminalId, data }) => {
      if (restoring > 0) registry?.skip(terminalId, data);
      else registry?.write(terminalId, data);
    }),
    client.on('terminal:closed', ({ terminalId, exitCode }) => {
      registry?.notice(terminalId, `connection closed${exitCode !== null ? `, exit code ${exitCode}` : ''}`);
      useSessionsStore.getState().closed(terminalId, exitCode);
    }),
    client.on('hosts:checked', (result) => useInventoryStore.getState().applyHostCheck(result)),
    client.on('lab:status', (lab) => useInventoryStore.getState().setLab(lab)),
    client.on('environment:changed', (environments) => useInventoryStore.getState().setEnvironments(environments)),
  ];
  return () => subscriptions.forEach((unsubscribe) => unsubscribe());
}

/**
 * Reads what the backend holds: environments (the chosen one comes back from storage), the lab,
 * every run with its events, and every terminal with its recent output. At start (a reloaded window
 * sees runs still going) and after a reconnect (what happened meanwhile is caught up; a run the
 * backend no longer holds is marked so). Resolves to the first error, if any.
 */
export async function restoreState(client: ApiClient, registry: TerminalRegistry | null): Promise<string | undefined> {
  restoring += 1;
  let stillRestoring = true;
  const done = () => {
    if (stillRestoring) restoring -= 1;
    stillRestoring = false;
  };
  // Handled the moment its reply arrives, before any later event: what comes after is live output.
  const terminalsListed = client.call('terminal:list', {}).then(
    (result) => {
      done();
      if (result.ok) replayTerminals(result.value, registry);
      return result;
    },
    (error: unknown) => {
      done();
      throw error;
    },
  );
  const [terminals, environments, lab, runs] = await Promise.all([
    terminalsListed,
    client.call('environment:list', {}),
    client.call('lab:status', {}),
    client.call('run:list', {}),
  ]);
  if (environments.ok) useInventoryStore.getState().setEnvironments(environments.value);
  if (lab.ok) useInventoryStore.getState().setLab(lab.value);
  if (runs.ok) useRunsStore.getState().reconcile(runs.value);
  const failed = [terminals, environments, lab, runs].find((result) => !result.ok);
  return failed && !failed.ok ? failed.error.userMessage : undefined;
}

function replayTerminals(listed: TerminalReplay[], registry: TerminalRegistry | null): void {
  const sessions = useSessionsStore.getState();
  const held = new Set(listed.map((terminal) => terminal.info.terminalId));
  for (const terminal of listed) {
    registry?.replay(terminal.info, terminal.recent, terminal.omittedChars);
    sessions.opened(terminal.info);
    if (terminal.closed) sessions.closed(terminal.info.terminalId, terminal.exitCode ?? null);
  }
  // A host shell that ended while this window was away.
  for (const entry of Object.values(useSessionsStore.getState().terminals)) {
    if (!held.has(entry.terminalId) && !entry.closed) {
      registry?.notice(entry.terminalId, 'this terminal ended while the console was not connected');
      sessions.closed(entry.terminalId, null);
    }
  }
}
