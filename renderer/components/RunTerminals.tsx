import { useShallow } from 'zustand/react/shallow';
import { runTerminalId, useSessionsStore } from '../stores/sessions';
import { TerminalPane } from './TerminalPane';
import { TerminalTabs } from './TerminalTabs';

/** A run's live output, one terminal per host (fan-out steps write to several at once). */
export function RunTerminals({ runId }: { runId: string }) {
  const hosts = useSessionsStore(
    useShallow((state) =>
      Object.values(state.terminals)
        .filter((terminal) => terminal.kind === 'run-output' && terminal.runId === runId)
        .map((terminal) => terminal.host),
    ),
  );
  const chosen = useSessionsStore((state) => state.activeRunHost[runId]);
  const active = chosen && hosts.includes(chosen) ? chosen : hosts[0];
  if (hosts.length === 0) return <p className="muted">No output yet.</p>;
  return (
    <section className="run-terminals" aria-label="Output">
      <TerminalTabs
        label="Hosts"
        tabs={hosts.map((host) => ({ id: host, title: host }))}
        activeId={active}
        onSelect={(host) => useSessionsStore.getState().showRunHost(runId, host)}
      />
      {active && <TerminalPane key={active} terminalId={runTerminalId(runId, active)} note="read only · the journal keeps the full output" />}
    </section>
  );
}
