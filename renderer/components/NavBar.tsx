import type { Screen } from '../stores/ui';

const ITEMS: Array<{ screen: Screen; label: string }> = [
  { screen: 'library', label: 'Runbooks' },
  { screen: 'environment', label: 'Environment' },
  { screen: 'start', label: 'New run' },
  { screen: 'run', label: 'Runs' },
  { screen: 'terminals', label: 'Terminals' },
  { screen: 'audit', label: 'Audit' },
];

/**
 * The screens. Next to Runs: "needs you" while a run waits for the operator, else the count of live
 * runs (its description; the button is named "Runs" either way).
 */
export function NavBar({
  screen,
  liveRuns,
  waiting = 0,
  environmentName,
  lab,
  onNavigate,
}: {
  screen: Screen;
  liveRuns: number;
  /** Prompts waiting for the operator across the live runs. */
  waiting?: number;
  environmentName?: string;
  lab: boolean;
  onNavigate: (screen: Screen) => void;
}) {
  return (
    <nav className="navbar" aria-label="Screens">
      <span className="brand">OpsDeck</span>
      {ITEMS.map((item) => {
        const needsYou = item.screen === 'run' && waiting > 0;
        const count = item.screen === 'run' && liveRuns > 0 && !needsYou;
        const description = needsYou ? (waiting === 1 ? 'a run needs you' : `${waiting} prompts need you`) : liveRuns === 1 ? '1 live run' : `${liveRuns} live runs`;
        // The badge is a description, not part of the name: a screen's button must be found by the
        // same name ("Runs") whatever runs do (screen readers, find-by-name, tests).
        return (
          <button
            key={item.screen}
            type="button"
            className={item.screen === screen ? 'nav-item active' : 'nav-item'}
            aria-current={item.screen === screen ? 'page' : undefined}
            aria-describedby={count || needsYou ? 'nav-live-runs' : undefined}
            onClick={() => onNavigate(item.screen)}
          >
            {item.label}
            {(count || needsYou) && (
              <>
                <span className={needsYou ? 'count needs-you' : 'count'} aria-hidden="true" data-needs-you={needsYou ? 'yes' : undefined}>
                  {needsYou ? 'needs you' : liveRuns}
                </span>
                {/* Hidden, so not in the name; aria-describedby still reads it. */}
                <span id="nav-live-runs" hidden>
                  {description}
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
