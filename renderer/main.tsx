/**
 * The console's start: pick the transport (Electron's preload bridge, or the browser-mode socket),
 * connect the stores to the API's events in one place, then render.
 */
import '@xterm/xterm/css/xterm.css';
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { bridgeClient, setApiClient, type ApiClient } from './api/client';
import { connectStores, loadInitialState } from './api/connect';
import { webSocketClient } from './api/ws-client';
import { App } from './components/App';
import { useInventoryStore } from './stores/inventory';
import { useUiStore } from './stores/ui';
import { TerminalRegistry, setTerminalRegistry } from './terminals/registry';

async function start(): Promise<void> {
  let client: ApiClient;
  if (window.opsdeck) {
    client = bridgeClient(window.opsdeck);
  } else {
    const socket = webSocketClient(window.location, window.history);
    client = socket;
    try {
      await socket.ready;
    } catch (error) {
      useUiStore.getState().setBanner((error as Error).message);
    }
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
  const problem = await loadInitialState(client);
  if (problem) useUiStore.getState().setBanner(problem);
  // First start with no environment: the Environment screen offers the lab.
  if (useInventoryStore.getState().environments.length === 0) useUiStore.getState().navigate('environment');
}

void start();
