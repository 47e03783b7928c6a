import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { runTerminalId, useSessionsStore } from '../stores/sessions';
import { SCROLLBACK_LINES, terminals } from '../terminals/registry';
import { TerminalPane } from './TerminalPane';
import { TerminalTabs } from './TerminalTabs';

/**
 * A run's live output, one terminal per host (fan-out steps write to several at once). Hosts whose
 * step failed are marked; when the view has let lines go past its scrollback it says so, and the
 * whole output is one click away (from the journal).
 */
export function RunTerminals({
  runId,
  failedHosts = [],
  onOpenFullOutput,
}: {
  runId: string;
  /** Hosts the latest failed step failed on: marked in their tab. */
  failedHosts?: string[];
  onOpenFullOutput?: (host?: string) => void;
}) {
  const hosts = useSessionsStore(
    useShallow((state) =>
      Object.values(state.terminals)
        .filter((terminal) => terminal.kind === 'run-output' && terminal.runId === runId)
        .map((terminal) => terminal.host),
    ),
  );
  const chosen = useSessionsStore((state) => state.activeRunHost[runId]);
  const active = chosen && hosts.includes(chosen) ? chosen : hosts[0];
  const dropped = useLinesDropped(active ? runTerminalId(runId, active) : undefined);
  if (hosts.length === 0) {
    return (
      <section className="run-terminals" aria-label="Output">
        <p className="muted">No output yet.</p>
      </section>
    );
  }
  return (
    <section className="run-terminals" aria-label="Output">
      <div className="run-terminals-bar">
        <TerminalTabs
          label="Hosts"
          tabs={hosts.map((host) => ({ id: host, title: host, mark: failedHosts.includes(host) ? 'failed' : undefined }))}
          activeId={active}
          onSelect={(host) => useSessionsStore.getState().showRunHost(runId, host)}
        />
        {onOpenFullOutput && (
          <button type="button" className="link" onClick={() => onOpenFullOutput(active)}>
            Open full output
          </button>
        )}
      </div>
      {dropped > 0 && (
        <p className="output-dropped" role="status">
          {dropped.toLocaleString()} earlier lines of {active} are no longer in this view (it keeps the last {SCROLLBACK_LINES.toLocaleString()}).{' '}
          {onOpenFullOutput && (
            <button type="button" className="link" onClick={() => onOpenFullOutput(active)}>
              Open full output
            </button>
          )}
        </p>
      )}
      {active && <TerminalPane key={active} terminalId={runTerminalId(runId, active)} note="read only · the journal keeps the full output" />}
    </section>
  );
}

/** Lines the terminal has let go past its scrollback, checked every second (output never enters React state). */
function useLinesDropped(terminalId: string | undefined): number {
  const [dropped, setDropped] = useState(0);
  useEffect(() => {
    if (!terminalId) return;
    const check = () => setDropped(terminals().linesDropped(terminalId));
    check();
    const timer = setInterval(check, 1000);
    return () => clearInterval(timer);
  }, [terminalId]);
  return dropped;
}
