import type { LibraryProblem } from '../../electron/api/contract';

/** Problems found in runbook files, as file:line:column and a sentence. */
export function LibraryProblems({ problems, title }: { problems: LibraryProblem[]; title?: string }) {
  if (problems.length === 0) return null;
  return (
    <section className="problems" aria-label="Runbook problems">
      {title && <h3>{title}</h3>}
      <ul>
        {problems.map((problem, index) => (
          <li key={index} className={`problem ${problem.severity}`}>
            <code>
              {problem.file}:{problem.line}:{problem.column}
            </code>{' '}
            <span className="severity">{problem.severity}</span> {problem.message}
          </li>
        ))}
      </ul>
    </section>
  );
}
