import { useInventoryStore, selectedEnvironment } from '../stores/inventory';
import { isRunLive, useRunsStore } from '../stores/runs';
import { useUiStore } from '../stores/ui';
import { AuditScreen } from './AuditScreen';
import { EnvironmentScreen } from './EnvironmentScreen';
import { LibraryScreen } from './LibraryScreen';
import { NavBar } from './NavBar';
import { RunScreen } from './RunScreen';
import { StartRunScreen } from './StartRunScreen';
import { TerminalsScreen } from './TerminalsScreen';

/** The console: the navigation and the screen chosen. */
export function App() {
  const screen = useUiStore((state) => state.screen);
  const banner = useUiStore((state) => state.banner);
  const navigate = useUiStore((state) => state.navigate);
  const environment = useInventoryStore(selectedEnvironment);
  const liveRuns = useRunsStore((state) => state.order.filter((runId) => isRunLive(state.runs[runId].status)).length);
  return (
    <div className="app">
      <NavBar screen={screen} liveRuns={liveRuns} environmentName={environment?.name} lab={environment?.lab ?? false} onNavigate={navigate} />
      {banner && (
        <div className="banner" role="alert">
          {banner}
        </div>
      )}
      <main>
        {screen === 'library' && <LibraryScreen />}
        {screen === 'environment' && <EnvironmentScreen />}
        {screen === 'start' && <StartRunScreen />}
        {screen === 'run' && <RunScreen />}
        {screen === 'terminals' && <TerminalsScreen />}
        {screen === 'audit' && <AuditScreen />}
      </main>
    </div>
  );
}
