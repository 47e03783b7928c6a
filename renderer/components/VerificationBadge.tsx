import type { Verification } from '../../electron/api/contract';

/** Whether the journal's hash chain is intact, and if not, which lines are wrong. */
export function VerificationBadge({ verification, what = 'Journal', onLine }: { verification: Verification; what?: string; onLine?: (line: number) => void }) {
  return (
    <div className={verification.ok ? 'verification ok' : 'verification tampered'} data-verified={verification.ok ? 'yes' : 'no'}>
      {verification.ok ? (
        <>
          ✓ {what} verified: {verification.records} events, hash chain intact{verification.finished ? '' : ' (run not finished)'}
          <span className="muted small"> · last hash {verification.lastHash.slice(0, 16)}…</span>
        </>
      ) : (
        <>
          ✗ {what} verification FAILED
          <ul>
            {verification.problems.map((problem, index) => (
              <li key={index}>
                {onLine ? (
                  <button type="button" className="link" onClick={() => onLine(problem.line)}>
                    line {problem.line}
                  </button>
                ) : (
                  <>line {problem.line}</>
                )}
                : {problem.message}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
