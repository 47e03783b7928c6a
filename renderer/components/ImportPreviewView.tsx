import type { ImportPreview } from '../../electron/api/contract';

/** What an import would save: profile and why, the hosts with their roles, the guesses and warnings, the file. */
export function ImportPreviewView({ preview }: { preview: ImportPreview }) {
  const { result, text } = preview;
  const where = (note: { source?: { file: string; line?: number } }) => (note.source ? `${note.source.file}${note.source.line ? `:${note.source.line}` : ''}: ` : '');
  return (
    <section aria-label="Import preview" className="import-preview">
      <h3>
        {result.name}{' '}
        <span className="muted">
          from {result.sourceFile} ({result.format}
          {result.kind !== result.format ? `, ${result.kind}` : ''})
        </span>
      </h3>
      <p aria-label="Profile">
        Profile <strong>{result.profile}</strong>: {result.profileReason}.
      </p>
      <table className="dense" aria-label="Imported hosts">
        <thead>
          <tr>
            <th>Host</th>
            <th>Address</th>
            <th>User</th>
            <th>Roles</th>
            <th>Jump</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {result.hosts.map((host) => (
            <tr key={host.name}>
              <td>{host.name}</td>
              <td>
                {host.address}
                {host.port ? `:${host.port}` : ''}
              </td>
              <td>{host.user}</td>
              <td>{host.roles.join(', ') || <span className="muted">none</span>}</td>
              <td>{host.jump ?? ''}</td>
              <td title={host.reachability}>{host.state === 'inventory' ? '' : <span className={`badge ${host.state === 'discovered' ? 'waiting' : ''}`}>{host.state}</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {result.guesses.length > 0 && (
        <section aria-label="Guessed">
          <h4>Guessed (check these)</h4>
          <ul>
            {result.guesses.map((guess, index) => (
              <li key={index}>
                <span className="muted">{where(guess)}</span>
                {guess.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      {result.warnings.length > 0 && (
        <section aria-label="Warnings">
          <h4>Warnings</h4>
          <ul>
            {result.warnings.map((warning, index) => (
              <li key={index} className="field-problem">
                <span className="muted">{where(warning)}</span>
                {warning.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      <details>
        <summary>The environment file</summary>
        <pre aria-label="Environment file text">{text}</pre>
      </details>
    </section>
  );
}
