import type { Screen } from '../stores/ui';

const ITEMS: Array<{ screen: Screen; label: string }> = [
  { screen: 'library', label: 'Runbooks' },
  { screen: 'environment', label: 'Environment' },
  { screen: 'start', label: 'New run' },
  { screen: 'run', label: 'Runs' },
  { screen: 'terminals', label: 'Terminals' },
  { screen: 'audit', label: 'Audit' },
];

/** The screens, with a count of live runs next to Runs. */
export function NavBar({ screen, liveRuns, environmentName, lab, onNavigate }: {
  screen: Screen;
  liveRuns: number;
  environmentName?: string;
  lab: boolean;
  onNavigate: (screen: Screen) => void;
}) {
  return (
    <nav className="navbar" aria-label="Screens">
      <span className="brand">OpsDeck</span>
      {ITEMS.map((item) => (
        <button
          key={item.screen}
          type="button"
          className={item.screen === screen ? 'nav-item active' : 'nav-item'}
          aria-current={item.screen === screen ? 'page' : undefined}
          onClick={() => onNavigate(item.screen)}
        >
          {item.label}
          {item.screen === 'run' && liveRuns > 0 && <span className="count">{liveRuns}</span>}
        </button>
      ))}
      <span className="nav-environment">
        {environmentName ? (
          <>
            Environment: <strong>{environmentName}</strong> {lab && <span className="badge lab">LAB</span>}
          </>
        ) : (
          'No environment chosen'
        )}
      </span>
    </nav>
  );
}
