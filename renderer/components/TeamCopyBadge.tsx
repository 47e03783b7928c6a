import type { TeamCopyVerification } from '../../electron/api/contract';

/** Whether the team database's copy of a run matches its journal, record for record. */
export function TeamCopyBadge({ verification }: { verification: TeamCopyVerification }) {
  const { state, database } = verification;
  return (
    <div className={`verification team-copy ${state === 'verified' ? 'ok' : state === 'tampered' ? 'tampered' : 'unknown'}`} data-team-verified={state}>
      {state === 'verified' && (
        <>
          ✓ Team database copy verified: {verification.records} events identical to the journal
          {verification.notYetReplicated ? `; ${verification.notYetReplicated} not sent yet` : ''}
        </>
      )}
      {state === 'missing' && <>The team database has no copy of this run yet (it is sent when the database can be reached, or with opsdeck audit sync).</>}
      {state === 'unavailable' && <>The team database could not be asked: {verification.message}</>}
      {state === 'tampered' && (
        <>
          ✗ Team database copy does NOT match
          <ul>
            {verification.problems.map((problem, index) => (
              <li key={index}>{problem.message}</li>
            ))}
          </ul>
        </>
      )}
      <span className="muted small"> · {database}</span>
    </div>
  );
}
