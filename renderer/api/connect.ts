/**
 * The ONE place where API events update the stores (and terminal bytes reach xterm). Called once at
 * start; returns the function that unsubscribes everything.
 */
import { useAuditStore } from '../stores/audit';
import { useInventoryStore } from '../stores/inventory';
import { useRunsStore } from '../stores/runs';
import { useSessionsStore } from '../stores/sessions';
import type { TerminalRegistry } from '../terminals/registry';
import type { ApiClient } from './client';

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
    client.on('terminal:data', ({ terminalId, data }) => registry?.write(terminalId, data)),
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

/** Reads what the backend already has (a reloaded window sees runs still going). */
export async function loadInitialState(client: ApiClient): Promise<string | undefined> {
  const [environments, lab, runs] = await Promise.all([
    client.call('environment:list', {}),
    client.call('lab:status', {}),
    client.call('run:list', {}),
  ]);
  if (environments.ok) useInventoryStore.getState().setEnvironments(environments.value);
  if (lab.ok) useInventoryStore.getState().setLab(lab.value);
  if (runs.ok) for (const run of runs.value) useRunsStore.getState().hydrate(run);
  const failed = [environments, lab, runs].find((result) => !result.ok);
  return failed && !failed.ok ? failed.error.userMessage : undefined;
}
