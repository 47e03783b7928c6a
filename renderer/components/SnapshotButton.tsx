import { useState } from 'react';

/** What the backend answered to `run:snapshot`: taken or not, or the refusal in words. */
export type SnapshotReply = { taken: boolean } | { error: string };

/**
 * "Take a state snapshot now" on a live run: read-only probes of the cloud, journaled, so the report
 * can show what changed up to this moment (electron/core/run/snapshot.ts). Safe at any step; one at
 * a time (a snapshot may take minutes on a busy controller).
 */
export function SnapshotButton({ live, onSnapshot }: { live: boolean; onSnapshot: (label: string) => Promise<SnapshotReply> }) {
  const [taking, setTaking] = useState(false);
  const [said, setSaid] = useState<{ text: string; problem: boolean }>();
  if (!live) return null;
  const take = async () => {
    setTaking(true);
    setSaid(undefined);
    const at = new Date().toISOString().slice(11, 19);
    try {
      const reply = await onSnapshot(`operator ${at} UTC`);
      if ('error' in reply) setSaid({ text: `No snapshot: ${reply.error}`, problem: true });
      else if (reply.taken) setSaid({ text: `State snapshot taken (asked at ${at} UTC) and journaled; the run's report compares it.`, problem: false });
      else setSaid({ text: 'No snapshot: this environment does not take state snapshots (add "snapshots: true" to its file), or the run is over.', problem: true });
    } finally {
      setTaking(false);
    }
  };
  return (
    <div className="snapshot-now">
      <button type="button" disabled={taking} onClick={() => void take()}>
        {taking ? 'Taking a state snapshot…' : 'Take a state snapshot now'}
      </button>
      {said && (
        <span role="status" className={said.problem ? 'muted small warning' : 'muted small'}>
          {said.text}
        </span>
      )}
    </div>
  );
}
