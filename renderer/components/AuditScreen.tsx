import { useEffect, useMemo, useState } from 'react';
import { api } from '../api/client';
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

  const reloadTeam = () => {
    if (!teamEnvironmentId) return useAuditStore.getState().setTeam(undefined);
    void api()
      .call('audit:teamList', { environmentId: teamEnvironmentId })
      .then((result) =>
        useAuditStore.getState().setTeam({ environmentId: teamEnvironmentId, ...(result.ok ? { listing: result.value } : { error: result.error.userMessage }) }),
      );
  };
  const reload = () => {
    void api()
      .call('audit:list', {})
      .then((result) => result.ok && useAuditStore.getState().setRuns(result.value));
    reloadTeam();
  };
  useEffect(() => {
    if (!loaded) reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- reload is made anew each render; only `loaded` says when to read
  }, [loaded]);
  useEffect(reloadTeam, [teamEnvironmentId]);

  const compare = () => {
    const [a, b] = compareIds;
    void api()
      .call('audit:compare', { a: { runId: a }, b: { runId: b } })
      .then((result) => useAuditStore.getState().setComparison(result.ok ? result.value : undefined, result.ok ? undefined : result.error.userMessage));
  };

  const shown = useMemo(() => filterRuns(runs, filters), [runs, filters]);
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
          <button type="button" className="primary" disabled={compareIds.length !== 2} onClick={compare} title="Tick two runs of one runbook">
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
      {view === 'runs' && <div className="split">
        <div className="pane">
          <h2>This machine&apos;s runs</h2>
          <AuditRunTable
            runs={shown}
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
      </div>}
    </div>
  );
}
