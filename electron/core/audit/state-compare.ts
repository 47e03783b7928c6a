/**
 * What two runs (two drills of one runbook, usually) changed in the cloud, side by side: from each
 * run's first state snapshot to its last (electron/core/audit/snapshot-diff.ts), one row per thing
 * changed, so "A moved 2 instances compute01 → compute02, B moved 4" and "nova-compute on compute01
 * changed in A only" read at a glance, with how far apart each run's snapshots were taken.
 *
 * Instance names and IDs differ from one drill to the next: a move is compared by its route and
 * count, the names kept beside the count. Plain types and functions only (the renderer uses them).
 */
import type { JournalRecord } from './events';
import { formatDuration } from './format';
import { runSnapshotDiff, type SnapshotDiff } from './snapshot-diff';

/** One run's state changes, from its first snapshot to its last. */
export interface RunStateChanges {
  diff: SnapshotDiff;
  /** From the first snapshot to the last (their journal timestamps). */
  spanMs?: number;
  /** Instances that changed host. */
  moved: number;
  /** In a sentence: `2 instances moved, 3 changes, snapshots 9 min 12 s apart`. */
  summary: string;
}

export interface StateChangesRow {
  /** What changed: `instances moved compute01 → compute02`, `nova-compute on compute01`. */
  subject: string;
  /** How, in each run: `2 (mnt1, mnt2)`, `enabled/up → disabled/down`; absent: no such change. */
  a?: string;
  b?: string;
}

export interface StateChangesComparison {
  a?: RunStateChanges;
  b?: RunStateChanges;
  rows: StateChangesRow[];
}

const MOVE = /^(\d+) instances? moved (.+?): (.*)$/;

/** The state changes of a recorded run; undefined when it took fewer than two snapshots. */
export function stateChangesOfRecords(records: readonly JournalRecord[]): RunStateChanges | undefined {
  const snapshots = records.filter((record): record is Extract<JournalRecord, { type: 'run.snapshot' }> => record.type === 'run.snapshot');
  const diff = runSnapshotDiff(snapshots);
  if (!diff) return undefined;
  const spanMs = Date.parse(snapshots[snapshots.length - 1].ts) - Date.parse(snapshots[0].ts);
  const moved = diff.changes.reduce((sum, change) => sum + Number(MOVE.exec(change.text)?.[1] ?? 0), 0);
  const span = Number.isFinite(spanMs) ? { spanMs: Math.max(spanMs, 0) } : {};
  return { diff, ...span, moved, summary: summaryOf(diff, moved, span.spanMs) };
}

/** What one run changed, in a sentence. */
function summaryOf(diff: SnapshotDiff, moved: number, spanMs: number | undefined): string {
  const count = diff.changes.length;
  const skipped = diff.notCompared.length;
  return [
    `${moved} instance${moved === 1 ? '' : 's'} moved`,
    `${count} change${count === 1 ? '' : 's'}`,
    ...(spanMs !== undefined ? [`snapshots ${formatDuration(spanMs)} apart`] : []),
    ...(skipped ? [`${skipped} probe${skipped === 1 ? '' : 's'} not compared`] : []),
  ].join(', ');
}

/** What a side of a comparison says when its run took fewer than two snapshots. */
export const NO_STATE_CHANGES = 'no pair of state snapshots';

/** A change line as subject and how: the text before its first `: `, and the rest. */
function rowOf(text: string): { subject: string; how: string } {
  const move = MOVE.exec(text);
  if (move) return { subject: `instances moved ${move[2]}`, how: `${move[1]} (${move[3]})` };
  const at = text.indexOf(': ');
  return at > 0 ? { subject: text.slice(0, at), how: text.slice(at + 2) } : { subject: text, how: 'yes' };
}

/** Two runs' state changes as rows: A's order, then what only B changed. Undefined when neither has any. */
export function compareStateChanges(a: RunStateChanges | undefined, b: RunStateChanges | undefined): StateChangesComparison | undefined {
  if (!a && !b) return undefined;
  const rows = new Map<string, StateChangesRow>();
  for (const [side, changes] of [
    ['a', a],
    ['b', b],
  ] as const) {
    for (const change of changes?.diff.changes ?? []) {
      const { subject, how } = rowOf(change.text);
      const row = rows.get(subject) ?? { subject };
      // Two lines with one subject (a queue's consumers and its messages): kept together.
      row[side] = row[side] ? `${row[side]}; ${how}` : how;
      rows.set(subject, row);
    }
  }
  return { ...(a ? { a } : {}), ...(b ? { b } : {}), rows: [...rows.values()] };
}
