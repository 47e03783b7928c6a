import type { RunbookSummary } from '../../electron/api/contract';
import { LibraryProblems } from './LibraryProblems';

/** What a runbook is for, its parameters and where it comes from. */
export function RunbookDetail({ runbook }: { runbook: RunbookSummary }) {
  return (
    <section className="runbook-detail" aria-label={`Runbook ${runbook.id}`}>
      <h2>{runbook.title}</h2>
      <p className="muted">
        <code>{runbook.file}</code>
      </p>
      <pre className="description">{runbook.description}</pre>
      {runbook.requires.length > 0 && <p>Needs hosts with the roles: {runbook.requires.join(', ')}</p>}
      {runbook.params.length > 0 && (
        <table className="dense">
          <thead>
            <tr>
              <th>Parameter</th>
              <th>Type</th>
              <th>Default</th>
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
