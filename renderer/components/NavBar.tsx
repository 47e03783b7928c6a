import type { Screen } from '../stores/ui';

const ITEMS: Array<{ screen: Screen; label: string }> = [
  { screen: 'library', label: 'Runbooks' },
  { screen: 'environment', label: 'Environment' },
  { screen: 'start', label: 'New run' },
  { screen: 'run', label: 'Runs' },
  { screen: 'terminals', label: 'Terminals' },
  { screen: 'audit', label: 'Audit' },
];

/** The screens, with a count of live runs next to Runs (its description; the button is named "Runs"). */
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
      {ITEMS.map((item) => {
        const count = item.screen === 'run' && liveRuns > 0;
        // The count is a description, not part of the name: a screen's button must be found by the
        // same name ("Runs") whether runs are live or not (screen readers, find-by-name, tests).
        return (
          <button
            key={item.screen}
            type="button"
            className={item.screen === screen ? 'nav-item active' : 'nav-item'}
            aria-current={item.screen === screen ? 'page' : undefined}
            aria-describedby={count ? 'nav-live-runs' : undefined}
            onClick={() => onNavigate(item.screen)}
          >
            {item.label}
            {count && (
              <>
                <span className="count" aria-hidden="true">
                  {liveRuns}
                </span>
                {/* Hidden, so not in the name; aria-describedby still reads it. */}
                <span id="nav-live-runs" hidden>
                  {liveRuns === 1 ? '1 live run' : `${liveRuns} live runs`}
                </span>
              </>
            )}
          </button>
        );
      })}
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
