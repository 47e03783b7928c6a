import type { RunStatus } from '../core/audit/events';

/** Exit codes of `opsdeck`, stable for scripts (documented in docs/cli.md). */
export const EXIT = {
  ok: 0,
  /** A run failed, or `validate` found problems. */
  failed: 1,
  /** Wrong arguments, unknown runbook/run, bad parameters, unreadable environment: nothing was run. */
  usage: 2,
  aborted: 3,
  interrupted: 4,
  rolledBack: 5,
  rollbackFailed: 6,
  /** `audit verify` found a changed, inserted or removed line. */
  verifyFailed: 7,
  /** A host could not be reached before the run: unreachable, authentication, host key unknown or changed. */
  hostCheckFailed: 8,
  /** A host the run would touch is leased by another run: nothing ran (the message names the holder). */
  hostLocked: 9,
  /** The team audit database could not be used (unreachable, schema too old, access refused). */
  teamUnavailable: 10,
  /** A bug in OpsDeck. */
  internal: 70,
} as const;

export function exitCodeForRun(status: RunStatus): number {
  switch (status) {
    case 'succeeded':
      return EXIT.ok;
    case 'failed':
      return EXIT.failed;
    case 'aborted':
      return EXIT.aborted;
    case 'interrupted':
    case 'running':
    case 'paused':
      return EXIT.interrupted;
    case 'rolled-back':
      return EXIT.rolledBack;
    case 'rollback-failed':
      return EXIT.rollbackFailed;
  }
}
