/**
 * The console's handler for taking a state snapshot during a run (`run:snapshot`): the start and end
 * ones are taken by the run session itself; this one is the operator's, at whatever step the run is
 * (electron/core/run/snapshot.ts). A snapshot is only read-only probes, so any moment is safe.
 * And what the audit view shows of a recorded run's snapshots.
 */
import type { ValidatedRequest } from '../api/contract';
import type { JournalRecord } from '../core/audit/events';
import { runSnapshotDiff, type SnapshotDiff } from '../core/audit/snapshot-diff';
import type { Runner } from '../core/run/runner';

interface SnapshotTarget {
  runner: Runner;
  snapshot?: (label: string, step?: string) => Promise<boolean>;
}

export function snapshotHandlers(runOf: (runId: string) => SnapshotTarget) {
  return {
    'run:snapshot': async (request: ValidatedRequest<'run:snapshot'>) => {
      const run = runOf(request.runId);
      // The step the run is at: the one running (or waiting for the operator) now.
      const step = Object.entries(run.runner.stepStatuses()).findLast(([, status]) => status === 'running')?.[0];
      return { taken: run.snapshot ? await run.snapshot(request.label, step) : false };
    },
  };
}

/** The audit view's `stateChanges`: the run's first snapshot against its last, when it has two. */
export function stateChangesOf(records: readonly JournalRecord[]): { stateChanges?: SnapshotDiff } {
  const diff = runSnapshotDiff(records.filter((record): record is Extract<JournalRecord, { type: 'run.snapshot' }> => record.type === 'run.snapshot'));
  return diff ? { stateChanges: diff } : {};
}
