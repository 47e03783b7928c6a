import { useEffect, useMemo, useState } from 'react';
import type { ApiError, RunPlan } from '../../electron/api/contract';
import { askNotificationPermission } from '../logic/attention';
import { drillObjectives, NO_DRILL, type DrillFormValue } from '../logic/drill';
import { checkParams, initialValues, toRequestParams, type FormValue } from '../logic/params';
import { selectedEnvironment, useInventoryStore } from '../stores/inventory';
import { useLibraryStore } from '../stores/library';
import { useRunsStore } from '../stores/runs';
import { useUiStore } from '../stores/ui';
import { DrillObjectivesForm } from './DrillObjectivesForm';
import { ErrorMessage } from './ErrorMessage';
import { ParamForm } from './ParamForm';
import { PlanPreview } from './PlanPreview';
import { RiskSummary } from './RiskSummary';

/**
 * Parameters, then the resolved plan, then start: the Start button exists only for a plan the
 * operator has seen, with exactly the values shown.
 */
export function StartRunScreen() {
  const runbookId = useLibraryStore((state) => state.selectedRunbookId);
  const runbook = useLibraryStore((state) => state.listing?.runbooks.find((candidate) => candidate.id === runbookId));
  const environment = useInventoryStore(selectedEnvironment);
  const navigate = useUiStore((state) => state.navigate);
  const [values, setValues] = useState<Record<string, FormValue>>({});
  const [serverProblems, setServerProblems] = useState<Record<string, string>>({});
  const [touched, setTouched] = useState(false);
  const [plan, setPlan] = useState<RunPlan>();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [drill, setDrill] = useState<DrillFormValue>(NO_DRILL);
  const [drillProblems, setDrillProblems] = useState<Record<string, string>>({});
  const [localLocks, setLocalLocks] = useState(false);

  useEffect(() => {
    setValues(runbook ? initialValues(runbook.params) : {});
    setDrill(NO_DRILL);
    setDrillProblems({});
    setPlan(undefined);
    setServerProblems({});
    setTouched(false);
    setError(undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- a new listing brings a new runbook object; only another runbook resets the form
  }, [runbook?.id]);

  const hosts = environment?.hosts ?? [];
  const localProblems = useMemo(() => (runbook ? checkParams(runbook.params, values, environment?.hosts ?? []) : {}), [runbook, values, environment?.hosts]);
  const problems = { ...(touched ? localProblems : {}), ...serverProblems };

  if (!runbook) {
    return (
      <div className="screen">
        <h1>Start a run</h1>
        <p className="muted">Choose a runbook in the library first.</p>
        <button type="button" onClick={() => navigate('library')}>
          Open the library
        </button>
      </div>
    );
  }

  const failed = (result: { ok: false; error: ApiError }) => {
    setError(result.error);
    const fields: Record<string, string> = {};
    for (const problem of result.error.problems ?? []) fields[problem.field] = problem.message;
    setServerProblems(fields);
  };

  const preview = async () => {
    setTouched(true);
    setPlan(undefined);
    setError(undefined);
    setServerProblems({});
    if (!environment) return setError({ code: 'no-environment', userMessage: 'Choose an environment first (Environment screen).' });
    if (Object.keys(localProblems).length > 0) return;
    setBusy(true);
    const result = await useRunsStore.getState().plan({ runbookId: runbook.id, environmentId: environment.environmentId, params: toRequestParams(runbook.params, values) });
    setBusy(false);
    if (result.ok) setPlan(result.value);
    else failed(result);
  };

  const start = async () => {
    if (!environment || !plan) return;
    const { objectives, problems: unreadable } = drillObjectives(drill);
    setDrillProblems(unreadable);
    if (Object.keys(unreadable).length > 0) return;
    setError(undefined);
    setBusy(true);
    // Asked on the operator's click (browsers ask only then): a run that waits can say so from the background.
    askNotificationPermission();
    const refused = await useRunsStore.getState().start({
      runbookId: runbook.id,
      environmentId: environment.environmentId,
      params: toRequestParams(runbook.params, values),
      ...(drill.enabled ? { drill: { objectives } } : {}),
      ...(localLocks ? { localLocks } : {}),
    });
    setBusy(false);
    if (refused) return failed({ ok: false, error: refused });
    navigate('run');
    // Focus goes to the next thing to do: the run's first prompt, else the run itself.
    useUiStore.getState().requestFocus();
  };

  return (
    <div className="screen start-screen">
      <header className="screen-header">
        <h1>Start: {runbook.title}</h1>
        <span className="muted">
          on {environment ? environment.name : 'no environment'} {environment?.lab && <span className="badge lab">LAB</span>}
        </span>
      </header>
      <div className="split">
        <form
          className="pane"
          aria-label="Parameters"
          onSubmit={(event) => {
            event.preventDefault();
            void preview();
          }}
        >
          <h2>Parameters</h2>
          <ParamForm
            fields={runbook.params}
            values={values}
            problems={problems}
            hosts={hosts}
            onChange={(name, value) => {
              setValues((current) => ({ ...current, [name]: value }));
              setPlan(undefined);
              setServerProblems((current) => {
                const next = { ...current };
                delete next[name];
                return next;
              });
            }}
          />
          <DrillObjectivesForm
            phases={plan ? plan.steps.filter((step) => step.kind === 'phase').map((step) => ({ key: step.key, title: step.title })) : []}
            value={drill}
            problems={drillProblems}
            onChange={(next) => {
              setDrill(next);
              setDrillProblems({});
            }}
          />
          {environment?.teamAudit && (
            <label className="small">
              <input type="checkbox" checked={localLocks} onChange={(event) => setLocalLocks(event.target.checked)} /> If the team database ({environment.teamAudit}) cannot be
              reached, lease the hosts on this machine only
            </label>
          )}
          {plan && <RiskSummary plan={plan} />}
          <div className="actions">
            <button type="submit" disabled={busy}>
              Preview plan
            </button>
            <button type="button" className="primary" disabled={!plan || busy} onClick={() => void start()} title={plan ? '' : 'Preview the plan first'}>
              Start run
            </button>
          </div>
          <ErrorMessage message={error?.userMessage} problems={error?.code === 'params' ? undefined : error?.problems} />
          {error?.code === 'host-locked' && (
            <button type="button" className="link" onClick={() => navigate('environment')}>
              See the host leases
            </button>
          )}
        </form>
        <div className="pane">{plan ? <PlanPreview plan={plan} /> : <p className="muted">Preview the plan to see every command and its host before anything runs.</p>}</div>
      </div>
    </div>
  );
}
