import { RUN_OBJECTIVE, type DrillFormValue } from '../logic/drill';

/**
 * Marks the run as a drill and sets its objectives: the whole run (RTO) and each phase, every one
 * counted from the start of the run.
 */
export function DrillObjectivesForm({
  phases,
  value,
  problems,
  onChange,
}: {
  phases: Array<{ key: string; title: string }>;
  value: DrillFormValue;
  problems: Record<string, string>;
  onChange: (value: DrillFormValue) => void;
}) {
  const field = (key: string, label: string) => (
    <div key={key} className={problems[key] ? 'field invalid' : 'field'} data-objective={key}>
      <label htmlFor={`objective-${key}`}>{label}</label>
      <input
        id={`objective-${key}`}
        placeholder="e.g. 30m, 90s, 1h30m"
        value={value.objectives[key] ?? ''}
        onChange={(event) => onChange({ ...value, objectives: { ...value.objectives, [key]: event.target.value } })}
      />
      {problems[key] && <span className="field-problem">{problems[key]}</span>}
    </div>
  );
  return (
    <fieldset className="drill-form" aria-label="Drill">
      <label>
        <input type="checkbox" checked={value.enabled} onChange={(event) => onChange({ ...value, enabled: event.target.checked })} /> This run is a drill
      </label>
      {value.enabled && (
        <div className="param-form">
          <p className="muted small">Each objective counts from the start of the run to the end of what it names. Leave one empty for none.</p>
          {field(RUN_OBJECTIVE, 'Whole run (RTO)')}
          {phases.map((phase) => field(phase.key, `${phase.title} (${phase.key})`))}
          {phases.length === 0 && <p className="muted small">This runbook has no phases: only the whole run can have an objective.</p>}
        </div>
      )}
    </fieldset>
  );
}
