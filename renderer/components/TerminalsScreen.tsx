import { useMemo, useState } from 'react';
import { selectedEnvironment, useInventoryStore } from '../stores/inventory';
import { useSessionsStore } from '../stores/sessions';
import { ErrorMessage } from './ErrorMessage';
import { OpenTerminalForm } from './OpenTerminalForm';
import { TerminalPane } from './TerminalPane';
import { TerminalTabs } from './TerminalTabs';

/** Interactive shells on the environment's hosts, in tabs; each is recorded in the audit directory. */
export function TerminalsScreen() {
  const environment = useInventoryStore(selectedEnvironment);
  const shellOrder = useSessionsStore((state) => state.shellOrder);
  const entries = useSessionsStore((state) => state.terminals);
  const tabs = useMemo(() => shellOrder.map((id) => ({ id, title: entries[id]?.title ?? id, closed: entries[id]?.closed })), [shellOrder, entries]);
  const activeId = useSessionsStore((state) => state.activeShellId);
  const transcript = useSessionsStore((state) => (activeId ? state.terminals[activeId]?.transcript : undefined));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const open = async (host: string) => {
    if (!environment) return;
    setBusy(true);
    setError(await useSessionsStore.getState().openShell(environment.environmentId, host));
    setBusy(false);
  };

  const close = (terminalId: string) => useSessionsStore.getState().closeShell(terminalId);

  return (
    <div className="screen terminals-screen">
      <header className="screen-header">
        <h1>Host terminals</h1>
        {environment ? <OpenTerminalForm hosts={environment.hosts} busy={busy} onOpen={(host) => void open(host)} /> : <span className="muted">Choose an environment first.</span>}
      </header>
      <ErrorMessage message={error} />
      <TerminalTabs label="Terminals" tabs={tabs} activeId={activeId} onSelect={(id) => useSessionsStore.getState().showShell(id)} onClose={close} />
      {activeId ? <TerminalPane key={activeId} terminalId={activeId} note={transcript ? `recorded to ${transcript}` : undefined} /> : <p className="muted">No terminal open.</p>}
    </div>
  );
}
