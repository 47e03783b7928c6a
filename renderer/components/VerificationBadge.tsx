import type { Verification } from '../../electron/api/contract';

/** Whether the journal's hash chain is intact, and if not, which lines are wrong. */
export function VerificationBadge({ verification, what = 'Journal' }: { verification: Verification; what?: string }) {
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
                line {problem.line}: {problem.message}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
