import type { SnapshotChange, SnapshotDiff } from '../../electron/api/contract';

/** The changes of one probe on one host, under one heading. */
function groupsOf(changes: SnapshotChange[]): Array<[string, string[]]> {
  const groups = new Map<string, string[]>();
  for (const change of changes) {
    const heading = `${change.probe} (${change.host})`;
    groups.set(heading, [...(groups.get(heading) ?? []), change.text]);
  }
  return [...groups];
}

/** What a run changed, from its first state snapshot to its last: moved instances, services, queues, units. */
export function StateChangesView({ diff }: { diff?: SnapshotDiff }) {
  if (!diff) {
    return (
      <p className="muted" role="note">
        This run has no pair of state snapshots to compare. An environment with <code>snapshots: true</code> takes one at the start and one at the end of every run.
      </p>
    );
  }
  return (
    <section className="state-changes" aria-label="What changed">
      <p className="muted">
        From the {diff.from} snapshot to the {diff.to} one:{' '}
        {diff.changes.length === 0 ? `no change seen by the ${diff.compared} probes compared.` : `${diff.changes.length} change${diff.changes.length === 1 ? '' : 's'}.`}
      </p>
      {groupsOf(diff.changes).map(([heading, lines]) => (
        <div key={heading}>
          <h3>{heading}</h3>
          <ul>
            {lines.map((line, index) => (
              <li key={index}>{line}</li>
            ))}
          </ul>
        </div>
      ))}
      {diff.notCompared.length > 0 && (
        <>
          <h3>Not compared</h3>
          <ul className="muted">
            {diff.notCompared.map((skipped, index) => (
              <li key={index}>
                {skipped.probe} ({skipped.host}): {skipped.text}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
