import { useEffect, useMemo, useRef } from 'react';
import { attentionTitle, notifyWaiting, waitingKey } from '../logic/attention';
import { focusIsFree, focusNextAction, pressShortcut } from '../logic/keyboard';
import { useInventoryStore, selectedEnvironment } from '../stores/inventory';
import { isRunLive, useRunsStore, waitingPrompts, type Waiting } from '../stores/runs';
import { isConnected, useUiStore } from '../stores/ui';
import { AttentionBar } from './AttentionBar';
import { AuditScreen } from './AuditScreen';
import { ConnectionBanner } from './ConnectionBanner';
import { EnvironmentScreen } from './EnvironmentScreen';
import { LibraryScreen } from './LibraryScreen';
import { NavBar } from './NavBar';
import { RunScreen } from './RunScreen';
import { StartRunScreen } from './StartRunScreen';
import { TerminalsScreen } from './TerminalsScreen';

/** Shows a waiting prompt: its run on the Runs screen, the focus on its first control. */
function goToPrompt(waiting: Pick<Waiting, 'runId'>): void {
  useRunsStore.getState().selectRun(waiting.runId);
  useUiStore.getState().navigate('run');
  useUiStore.getState().requestFocus();
}

/**
 * The console: the navigation, the connection banner, the "needs you" bar and the screen chosen.
 * While the backend cannot be reached every control of the screen is disabled (one disabled
 * fieldset around it); the navigation still works.
 */
export function App() {
  const screen = useUiStore((state) => state.screen);
  const banner = useUiStore((state) => state.banner);
  const connection = useUiStore((state) => state.connection);
  const connected = useUiStore(isConnected);
  const focusRequest = useUiStore((state) => state.focusRequest);
  const navigate = useUiStore((state) => state.navigate);
  const environment = useInventoryStore(selectedEnvironment);
  const liveRuns = useRunsStore((state) => state.order.filter((runId) => isRunLive(state.runs[runId].status) && !state.runs[runId].gone).length);
  const runs = useRunsStore((state) => state.runs);
  const order = useRunsStore((state) => state.order);
  const shownRunId = useRunsStore((state) => state.selectedRunId ?? state.order[0]);
  const waiting = useMemo(() => (connected ? waitingPrompts({ runs, order }) : []), [connected, runs, order]);
  const shownPrompts = screen === 'run' && shownRunId ? Object.keys(runs[shownRunId]?.pending ?? {}).join(',') : '';

  useEffect(() => {
    document.title = attentionTitle(waiting.length);
  }, [waiting.length]);

  // A desktop notification for each prompt, once.
  const notified = useRef(new Set<string>());
  useEffect(() => {
    for (const entry of waiting) {
      const key = waitingKey(entry);
      if (notified.current.has(key)) continue;
      notified.current.add(key);
      if (document.hidden || !document.hasFocus()) notifyWaiting(entry, () => goToPrompt(entry));
    }
  }, [waiting]);

  // The focus goes to the next thing to do when asked (Start, "go to the prompt") and when the
  // shown run's prompts change while the focus is nowhere (the answered control went away).
  const handledRequest = useRef(focusRequest);
  useEffect(() => {
    const asked = handledRequest.current !== focusRequest;
    handledRequest.current = focusRequest;
    if (!asked && (screen !== 'run' || !focusIsFree())) return;
    const frame = requestAnimationFrame(() => focusNextAction());
    return () => cancelAnimationFrame(frame);
  }, [focusRequest, screen, shownPrompts]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (pressShortcut(event)) event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const visibleWaiting = waiting.filter((entry) => !(screen === 'run' && entry.runId === shownRunId));
  return (
    <div className="app" data-connection={connection}>
      <NavBar screen={screen} liveRuns={liveRuns} waiting={waiting.length} environmentName={environment?.name} lab={environment?.lab ?? false} onNavigate={navigate} />
      <ConnectionBanner />
      {banner && (
        <div className="banner" role="alert">
          {banner}
        </div>
      )}
      <AttentionBar waiting={visibleWaiting} onGo={goToPrompt} />
      <main>
        <fieldset className="screen-controls" disabled={!connected} aria-disabled={!connected}>
          {screen === 'library' && <LibraryScreen />}
          {screen === 'environment' && <EnvironmentScreen />}
          {screen === 'start' && <StartRunScreen />}
          {screen === 'run' && <RunScreen />}
          {screen === 'terminals' && <TerminalsScreen />}
          {screen === 'audit' && <AuditScreen />}
        </fieldset>
      </main>
    </div>
  );
}
