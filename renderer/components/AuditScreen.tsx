import { useEffect, useMemo, useState } from 'react';
import { canCompareWith, filterRuns, useAuditStore } from '../stores/audit';
import { selectedEnvironment, useInventoryStore } from '../stores/inventory';
import { AuditFilters } from './AuditFilters';
import { AuditRunDetailView } from './AuditRunDetailView';
import { AuditRunTable } from './AuditRunTable';
import { ErrorMessage } from './ErrorMessage';
import { RecordingsView } from './RecordingsView';
import { RunComparisonTable } from './RunComparisonTable';
import { TeamRunTable } from './TeamRunTable';

/** Every recorded run, filtered; the team's runs when the environment has a team database; one run read in full, or two compared. */
export function AuditScreen() {
  const runs = useAuditStore((state) => state.runs);
  const loaded = useAuditStore((state) => state.loaded);
  const filters = useAuditStore((state) => state.filters);
  const selected = useAuditStore((state) => state.selected);
  const team = useAuditStore((state) => state.team);
  const compareIds = useAuditStore((state) => state.compareIds);
  const comparison = useAuditStore((state) => state.comparison);
  const comparisonError = useAuditStore((state) => state.comparisonError);
  const environment = useInventoryStore(selectedEnvironment);
  const teamEnvironmentId = environment?.teamAudit ? environment.environmentId : undefined;
  const [view, setView] = useState<'runs' | 'recordings'>('runs');

  const listError = useAuditStore((state) => state.listError);
  const facts = useAuditStore((state) => state.facts);
  const { load, loadTeam, loadFacts, compare } = useAuditStore.getState();

  const reload = () => {
    void load();
    void loadTeam(teamEnvironmentId);
  };
  useEffect(() => {
    if (!loaded) reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- reload is made anew each render; only `loaded` says when to read
  }, [loaded]);
  useEffect(() => void loadTeam(teamEnvironmentId), [teamEnvironmentId, loadTeam]);

  const shown = useMemo(() => filterRuns(runs, filters), [runs, filters]);
  // Facts are asked once per set of runs shown, and again for a run whose status changed.
  const factsKey = shown.map((run) => `${run.runId}:${run.status}`).join(',');
  // eslint-disable-next-line react-hooks/exhaustive-deps -- asked again when the runs' ids or statuses change, not the list's identity
  useEffect(() => void loadFacts(shown.map((run) => run.runId)), [factsKey, loadFacts]);
  const teamShown = useMemo(() => filterRuns(team?.listing?.runs ?? [], filters), [team, filters]);
  const runbooks = useMemo(() => [...new Set(runs.map((run) => run.runbookId))].sort(), [runs]);
  const environments = useMemo(() => [...new Set(runs.map((run) => run.environment))].sort(), [runs]);
  return (
    <div className="screen audit-screen">
      <header className="screen-header">
        <h1>Audit history</h1>
        <span className="tabs" role="tablist" aria-label="Audit views">
          {(['runs', 'recordings'] as const).map((name) => (
            <span key={name} className={view === name ? 'tab active' : 'tab'}>
              <button type="button" role="tab" aria-selected={view === name} onClick={() => setView(name)}>
                {name === 'runs' ? 'Runs' : 'Terminal recordings'}
              </button>
            </span>
          ))}
        </span>
        <button type="button" onClick={reload}>
          Reload
        </button>
        <span className="compare-bar">
          <button type="button" className="primary" disabled={compareIds.length !== 2} onClick={() => void compare()} title="Tick two runs of one runbook">
            Compare {compareIds.length}/2
          </button>
          {compareIds.length > 0 && (
            <button type="button" className="link" onClick={() => compareIds.forEach((runId) => useAuditStore.getState().toggleCompare(runId))}>
              clear
            </button>
          )}
        </span>
      </header>
      {view === 'recordings' && <RecordingsView />}
      {view === 'runs' && <AuditFilters filters={filters} runbooks={runbooks} environments={environments} onChange={(change) => useAuditStore.getState().setFilters(change)} />}
      {view === 'runs' && (
        <div className="split">
          <div className="pane">
            <h2>This machine&apos;s runs</h2>
            <ErrorMessage message={listError} />
            <AuditRunTable
              runs={shown}
              facts={facts}
              selectedId={selected && !selected.teamEnvironmentId ? selected.runId : undefined}
              onSelect={(runId) => useAuditStore.getState().select({ runId })}
              compareIds={compareIds}
              canCompare={(run) => canCompareWith(runs, compareIds, run)}
              onToggleCompare={(runId) => useAuditStore.getState().toggleCompare(runId)}
            />
            {teamEnvironmentId && (
              <section className="team-runs" aria-label="Team runs">
                <h2>
                  Team runs <span className="muted small">{team?.listing?.database ?? environment?.teamAudit}</span>
                </h2>
                <ErrorMessage message={team?.error} />
                {team?.listing && (
                  <TeamRunTable
                    runs={teamShown}
                    selectedId={selected?.teamEnvironmentId ? selected.runId : undefined}
                    onSelect={(runId) => useAuditStore.getState().select({ runId, teamEnvironmentId })}
                  />
                )}
              </section>
            )}
          </div>
          <div className="pane">
            <ErrorMessage message={comparisonError} />
            {comparison ? (
              <>
                <div className="toolbar">
                  <h2>Side by side</h2>
                  <button type="button" onClick={() => useAuditStore.getState().setComparison(undefined)}>
                    Close comparison
                  </button>
                </div>
                <RunComparisonTable comparison={comparison} />
              </>
            ) : selected ? (
              <AuditRunDetailView key={`${selected.teamEnvironmentId ?? ''}:${selected.runId}`} reference={selected} />
            ) : (
              <p className="muted">Select a run to read its report, or tick two runs of one runbook to compare them.</p>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
