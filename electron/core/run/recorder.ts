/**
 * Writes a run's events to its journal, and holds them when the journal cannot be written (disk full,
 * I/O error) instead of losing them: they wait in memory, in order, and are written first once the
 * journal can be reopened. The runner asks {@link JournalRecorder.healthy} and holds the run before its
 * next action while it is not, so nothing happens that is not recorded — and nothing recorded is lost
 * or written twice.
 */
import type { RunEvent } from '../audit/events';
import { Journal } from '../audit/journal';
import type { Masker } from '../audit/mask';
import { OpsError, isOpsError, userMessageOf } from '../errors';

/** Output kept in memory while the journal is failing; beyond it output is counted, not kept. */
export const HELD_OUTPUT_CHARS = 16 * 1024 * 1024;

export class JournalRecorder {
  private journal: Journal;
  private readonly held: RunEvent[] = [];
  private heldOutputChars = 0;
  private droppedOutputChars = 0;
  private failure: OpsError | undefined;

  constructor(
    journal: Journal,
    private readonly reopen: () => Journal,
  ) {
    this.journal = journal;
  }

  /** The journal as it is now (it changes when it is reopened after a failure). */
  get current(): Journal {
    return this.journal;
  }

  /**
   * Writes the event, or holds it (in order) while the journal is failing: only {@link recover} tries
   * the disk again, so a flood of output during the failure costs no reopen per chunk. Never throws.
   */
  append(event: RunEvent): void {
    if (this.failure) {
      this.hold(event);
      return;
    }
    try {
      this.journal.append(event);
    } catch (error) {
      this.failure = asJournalError(error);
      this.hold(event);
    }
  }

  /** False while events wait to be written. */
  healthy(): boolean {
    return this.failure === undefined;
  }

  /** Why the journal cannot be written, while it cannot. */
  problem(): OpsError | undefined {
    return this.failure;
  }

  /**
   * Tries to write again: reopens the journal (which repairs a torn last line) and writes what was held,
   * in order. True when nothing waits any more.
   */
  recover(): boolean {
    if (!this.failure) return true;
    try {
      try {
        this.journal.close();
      } catch {
        // The old file handle is the broken one; the reopened journal takes over.
      }
      this.journal = this.reopen();
      if (this.droppedOutputChars > 0) {
        this.journal.append({
          type: 'run.note',
          level: 'warning',
          message: `${this.droppedOutputChars} characters of command output could not be kept while the journal could not be written.`,
        });
        this.droppedOutputChars = 0;
      }
      while (this.held.length > 0) {
        this.journal.append(this.held[0]);
        const written = this.held.shift()!;
        if (written.type === 'step.output') this.heldOutputChars -= written.data.length;
      }
      this.failure = undefined;
      return true;
    } catch (error) {
      this.failure = asJournalError(error);
      return false;
    }
  }

  close(): void {
    this.journal.close();
  }

  private hold(event: RunEvent): void {
    if (event.type === 'step.output') {
      if (this.heldOutputChars + event.data.length > HELD_OUTPUT_CHARS) {
        this.droppedOutputChars += event.data.length;
        return;
      }
      this.heldOutputChars += event.data.length;
    }
    this.held.push(event);
  }
}

function asJournalError(error: unknown): OpsError {
  return isOpsError(error) ? error : new OpsError('journal-write', `The audit journal could not be written: ${userMessageOf(error)}`, { cause: error });
}

/** Opens a run's journal again after a failure (repairing a torn last line). */
export function reopenJournal(auditDir: string, runId: string, masker: Masker): () => Journal {
  return () => Journal.open(auditDir, runId, masker);
}
