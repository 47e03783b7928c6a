import { useEffect, useMemo } from 'react';
import { api } from '../api/client';
import { filterRuns, useAuditStore } from '../stores/audit';
import { AuditFilters } from './AuditFilters';
import { AuditRunDetailView } from './AuditRunDetailView';
import { AuditRunTable } from './AuditRunTable';

/** Every recorded run, filtered; the selected one read in full. */
export function AuditScreen() {
  const runs = useAuditStore((state) => state.runs);
  const loaded = useAuditStore((state) => state.loaded);
  const filters = useAuditStore((state) => state.filters);
  const selectedId = useAuditStore((state) => state.selectedRunId);
  const reload = () =>
    void api()
      .call('audit:list', {})
      .then((result) => result.ok && useAuditStore.getState().setRuns(result.value));
  useEffect(() => {
    if (!loaded) reload();
  }, [loaded]);
  const shown = useMemo(() => filterRuns(runs, filters), [runs, filters]);
  const runbooks = useMemo(() => [...new Set(runs.map((run) => run.runbookId))].sort(), [runs]);
  const environments = useMemo(() => [...new Set(runs.map((run) => run.environment))].sort(), [runs]);
  return (
    <div className="screen audit-screen">
      <header className="screen-header">
        <h1>Audit history</h1>
        <button type="button" onClick={reload}>
          Reload
        </button>
      </header>
      <AuditFilters filters={filters} runbooks={runbooks} environments={environments} onChange={(change) => useAuditStore.getState().setFilters(change)} />
      <div className="split">
        <div className="pane">
          <AuditRunTable runs={shown} selectedId={selectedId} onSelect={(runId) => useAuditStore.getState().select(runId)} />
        </div>
        <div className="pane">{selectedId ? <AuditRunDetailView runId={selectedId} /> : <p className="muted">Select a run to read its report.</p>}</div>
      </div>
    </div>
  );
}
