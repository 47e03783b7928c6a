import type { ParamField, RunbookSummary } from '../../electron/api/contract';
import { LibraryProblems } from './LibraryProblems';
import { Markdown } from './Markdown';

/** What a runbook is for, its parameters and where it comes from. */
export function RunbookDetail({ runbook }: { runbook: RunbookSummary }) {
  return (
    <section className="runbook-detail" aria-label={`Runbook ${runbook.id}`}>
      <h2 className="truncate" title={runbook.title}>
        {runbook.title}
      </h2>
      <p className="muted">
        <code>{runbook.file}</code>
      </p>
      <Markdown className="description" text={runbook.description} />
      {runbook.requires.length > 0 && <p>Needs hosts with the roles: {runbook.requires.join(', ')}</p>}
      {runbook.params.length > 0 && (
        <table className="dense">
          <thead>
            <tr>
              <th>Parameter</th>
              <th>Type</th>
              <th>Default</th>
              <th>Allowed</th>
              <th>Description</th>
            </tr>
          </thead>
          <tbody>
            {runbook.params.map((param) => (
              <tr key={param.name}>
                <td>
                  <code>{param.name}</code>
                  {param.required && param.default === undefined && <span className="required"> *</span>}
                </td>
                <td>{param.type}</td>
                <td>{param.secret ? '••••' : param.default === undefined ? '' : String(param.default)}</td>
                <td className="small">{allowedValues(param)}</td>
                <td>{param.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LibraryProblems problems={runbook.problems} />
    </section>
  );
}

/** What a parameter accepts beyond its type: enum values, a pattern, bounds. */
function allowedValues(param: ParamField): string {
  const parts: string[] = [];
  if (param.values && param.values.length > 0) parts.push(`one of ${param.values.join(', ')}`);
  if (param.pattern) parts.push(`matches /${param.pattern}/`);
  if (param.min !== undefined && param.max !== undefined) parts.push(`${param.min} to ${param.max}`);
  else if (param.min !== undefined) parts.push(`at least ${param.min}`);
  else if (param.max !== undefined) parts.push(`at most ${param.max}`);
  if (param.role) parts.push(`hosts with role ${param.role}`);
  return parts.join('; ');
}
