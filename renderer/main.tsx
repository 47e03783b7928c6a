/**
 * The console's start: pick the transport (Electron's preload bridge, or the browser-mode socket),
 * connect the stores to the API's events in one place, then render. Whenever the socket is back
 * after a loss, everything the backend holds is read again (runs, terminals, environments).
 */
import '@xterm/xterm/css/xterm.css';
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { bridgeClient, setApiClient, type ApiClient } from './api/client';
import { connectStores, restoreState } from './api/connect';
import { webSocketClient } from './api/ws-client';
import { App } from './components/App';
import { useInventoryStore } from './stores/inventory';
import { useUiStore } from './stores/ui';
import { TerminalRegistry, setTerminalRegistry } from './terminals/registry';

async function start(): Promise<void> {
  let client: ApiClient;
  let ready: Promise<void>;
  if (window.opsdeck) {
    client = bridgeClient(window.opsdeck);
    ready = Promise.resolve();
  } else {
    const socket = webSocketClient(window.location, window.history);
    client = socket;
    ready = socket.ready;
  }
  setApiClient(client);
  const registry = new TerminalRegistry(client, document.getElementById('terminal-parking')!);
  setTerminalRegistry(registry);
  connectStores(client, registry);
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );

  let started = false;
  const restore = async () => {
    const problem = await restoreState(client, registry);
    useUiStore.getState().setBanner(problem);
  };
  client.onConnection?.((change) => {
    useUiStore.getState().setConnection(change);
    // The first connection is read below; every later one catches up on what happened meanwhile.
    if (change.state === 'connected' && started) void restore();
  });
  try {
    await ready;
    useUiStore.getState().setConnection({ state: 'connected' });
  } catch {
    // The banner says so already (the client told its connection listener). Reading waits for the connection (the client keeps trying).
    await new Promise<void>((resolve) => {
      const stop = client.onConnection?.((change) => {
        if (change.state === 'connected') {
          stop?.();
          resolve();
        }
      });
    });
  }
  started = true;
  await restore();
  // First start with no environment: the Environment screen offers the lab.
  if (useInventoryStore.getState().environments.length === 0) useUiStore.getState().navigate('environment');
}

void start();
