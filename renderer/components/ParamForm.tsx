import type { HostSummary, ParamField } from '../../electron/api/contract';
import type { FormValue } from '../logic/params';

/** One input per runbook parameter, typed by the parameter; problems shown next to their field. */
export function ParamForm({
  fields,
  values,
  problems,
  hosts,
  onChange,
}: {
  fields: ParamField[];
  values: Record<string, FormValue>;
  problems: Record<string, string>;
  hosts: HostSummary[];
  onChange: (name: string, value: FormValue) => void;
}) {
  if (fields.length === 0) return <p className="muted">This runbook takes no parameters.</p>;
  return (
    <div className="param-form">
      {fields.map((field) => {
        const id = `param-${field.name}`;
        const value = values[field.name];
        const problem = problems[field.name];
        const eligible = hosts.filter((host) => !field.role || host.roles.includes(field.role));
        let input;
        switch (field.type) {
          case 'bool':
            input = <input id={id} type="checkbox" checked={value === true} onChange={(event) => onChange(field.name, event.target.checked)} />;
            break;
          case 'enum':
            input = (
              <select id={id} value={String(value ?? '')} onChange={(event) => onChange(field.name, event.target.value)}>
                <option value="">–</option>
                {field.values?.map((choice) => (
                  <option key={choice} value={choice}>
                    {choice}
                  </option>
                ))}
              </select>
            );
            break;
          case 'host':
            input = (
              <select id={id} value={String(value ?? '')} onChange={(event) => onChange(field.name, event.target.value)}>
                <option value="">–</option>
                {eligible.map((host) => (
                  <option key={host.name} value={host.name}>
                    {host.name}
                  </option>
                ))}
              </select>
            );
            break;
          case 'hosts': {
            const chosen = Array.isArray(value) ? value : [];
            input = (
              <span id={id} className="host-choices" role="group" aria-label={field.name}>
                {eligible.map((host) => (
                  <label key={host.name}>
                    <input
                      type="checkbox"
                      checked={chosen.includes(host.name)}
                      onChange={(event) => onChange(field.name, event.target.checked ? [...chosen, host.name] : chosen.filter((name) => name !== host.name))}
                    />
                    {host.name}
                  </label>
                ))}
              </span>
            );
            break;
          }
          default:
            input = (
              <input
                id={id}
                type={field.secret ? 'password' : field.type === 'int' ? 'number' : 'text'}
                value={String(value ?? '')}
                aria-invalid={problem ? true : undefined}
                aria-describedby={problem ? `${id}-problem` : undefined}
                onChange={(event) => onChange(field.name, event.target.value)}
              />
            );
        }
        return (
          <div key={field.name} className={problem ? 'field invalid' : 'field'} data-param={field.name}>
            <label htmlFor={id}>
              {field.name}
              {field.required && field.default === undefined && <span className="required"> *</span>}
              <span className="muted"> {field.type}</span>
            </label>
            {input}
            {field.description && <span className="hint">{field.description}</span>}
            {problem && (
              <span id={`${id}-problem`} className="field-problem" role="alert">
                {field.name} {problem}
              </span>
            )}
          </div>
        );
      })}
    </div>
  );
}
