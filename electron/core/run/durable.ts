/**
 * The durable-emit protocol: the journal is written first, before any listener sees an event, so
 * nothing is shown that is not recorded. Some events announce something about to happen (a step
 * starting, a command being sent): {@link DurableEmitter.emitDurable} resolves only once such an
 * event is on disk. While the journal cannot be written (disk full), the run is held before its next
 * action and tries again by itself every {@link JOURNAL_RETRY_MS}, or when the operator resumes.
 */
import type { RunEvent } from '../audit/events';
import { CancelledError, OpsError, isOpsError, userMessageOf } from '../errors';
import { sleep } from './concurrency';

/** Where every event goes first. A throw here (disk full) pauses the run. */
export interface EventRecorder {
  /** Records the event; may throw (the event is then lost) or hold it (see `healthy`). */
  append(event: RunEvent): unknown;
  /** A recorder that holds events while its journal fails: false while some wait to be written. */
  healthy?(): boolean;
  /** Tries to write what waits; true when nothing waits any more. */
  recover?(): boolean;
  /** Why it cannot write, while it cannot. */
  problem?(): OpsError | undefined;
}

/** How often a run held by a journal that cannot be written tries again by itself. */
export const JOURNAL_RETRY_MS = 2_000;

/** The run's pause, as the journal uses it to hold the run. */
export interface RunHold {
  /** Holds the run before its next action (nothing when it is already held or over). */
  hold(): void;
  /** While the run is held: resolves when the hold is released. */
  held(): Promise<void> | undefined;
  /** Releases the hold and lets the run go on. */
  release(): void;
  /** True once the operator asked to abort. */
  aborting(): boolean;
}

export class DurableEmitter {
  private readonly listeners = new Set<(event: RunEvent) => void>();
  private broken: OpsError | undefined;

  /** @param mask masks an event as people may see it (the journal masks again). */
  constructor(
    private readonly recorder: EventRecorder,
    private readonly mask: (event: RunEvent) => RunEvent,
    private readonly run: RunHold,
  ) {}

  /** Subscribes to every event after it is recorded; returns the unsubscribe function. */
  onEvent(listener: (event: RunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Why the journal cannot be written, while it cannot. */
  get problem(): OpsError | undefined {
    return this.broken;
  }

  /** The operator resumed: the next write tries again and reports anew if it fails. */
  forgetProblem(): void {
    this.broken = undefined;
  }

  /** Records an event, then shows it; a journal that fails holds the run before its next action. */
  emit(written: RunEvent): void {
    const event = this.mask(written);
    this.record(event);
    this.notify(event);
  }

  /**
   * Emits an event that must be on disk before what it announces happens (a step starting, a command
   * being sent). While the journal cannot be written, the run waits held and tries again.
   */
  async emitDurable(written: RunEvent): Promise<void> {
    const event = this.mask(written);
    let recorded = this.record(event);
    while (!recorded) {
      // Held: retry on the operator's resume, or by itself every few seconds (space may come back).
      const held = this.run.held();
      await (held ? Promise.race([held, sleep(JOURNAL_RETRY_MS)]) : sleep(JOURNAL_RETRY_MS));
      if (this.run.aborting()) throw new CancelledError('The run');
      if (this.recorder.recover) {
        recorded = this.retry();
      } else {
        recorded = this.record(event);
        if (recorded && (this.broken || this.run.held())) this.writableAgain();
      }
    }
    this.notify(event);
  }

  /** Tries to write what the journal holds; true (and the hold released) when it took everything. */
  retry(): boolean {
    // A recorder that loses events instead of holding them can only be tried with the next event.
    if (!this.recorder.recover) return false;
    if (!this.recorder.recover()) {
      this.failed(this.recorder.problem?.() ?? new OpsError('journal-write', 'The audit journal could not be written.'));
      return false;
    }
    if (this.broken || this.run.held()) this.writableAgain();
    return true;
  }

  /**
   * Writes an event to the journal. When it cannot (a recorder that throws loses the event; one that
   * holds keeps it to write later), the run is held before its next action and the listeners are told.
   */
  private record(event: RunEvent): boolean {
    let problem: OpsError | undefined;
    try {
      this.recorder.append(event);
      if (!this.recorder.healthy || this.recorder.healthy()) return true;
      problem = this.recorder.problem?.() ?? new OpsError('journal-write', 'The audit journal could not be written.');
    } catch (error) {
      problem = isOpsError(error) ? error : new OpsError('journal-write', `The audit journal could not be written: ${userMessageOf(error)}`, { cause: error });
    }
    this.failed(problem);
    return false;
  }

  /** Holds the run because of the journal, telling the listeners once (not on every retry). */
  private failed(problem: OpsError): void {
    if (this.broken) return;
    this.broken = problem;
    this.run.hold();
    this.notify({
      type: 'run.note',
      level: 'error',
      message: `${problem.userMessage} The run is held before its next action; what happens meanwhile is kept and written first. Free space (or fix the cause): OpsDeck tries again every ${JOURNAL_RETRY_MS / 1000} s, or resume to try now.`,
    });
  }

  /** The journal took everything that waited: release the hold the failure put on the run. */
  private writableAgain(): void {
    this.broken = undefined;
    this.run.release();
    this.emit({ type: 'run.note', level: 'info', message: 'The audit journal can be written again; the run goes on.' });
  }

  private notify(event: RunEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
