/**
 * Sends a run's journal to the team database, line by line, in order, each once.
 *
 * The local journal is the outbox: the replicator asks the database for the last seq it has of the
 * run, reads the journal file from the line after it, and inserts batches of lines in one transaction
 * each. While the database cannot be reached nothing is lost — the lines wait in the journal — and
 * the replicator retries with a growing delay; when it is back, it asks again where the database is
 * and goes on from there. The primary key (run_id, seq) makes a line sent twice (an acknowledgement
 * lost with the connection) impossible: the duplicate is refused and the replicator re-asks.
 */
import * as fs from 'node:fs';
import { OpsError, userMessageOf } from '../errors';
import { readLastLines } from '../audit/files';
import { parseRecord } from '../audit/journal';
import type { TeamAudit } from './audit';
import type { TeamRecord } from './journal';

export interface ReplicatorOptions {
  /** First retry delay after a failure; doubles up to retryMaxMs. Default 500 ms. */
  retryMinMs?: number;
  /** Default 5 s. */
  retryMaxMs?: number;
  /** Bytes of journal per transaction. Default 512 KiB. */
  batchBytes?: number;
}

export type ReplicationEvent = { type: 'unreachable'; message: string; pending: number } | { type: 'caught-up'; sent: number; afterOutage: boolean };

export interface ReplicationStatus {
  runId: string;
  /** The last seq the database is known to have (0 before it was asked). */
  replicatedSeq: number;
  /** The last seq seen in the local journal. */
  localSeq: number;
  /** Records sent by this replicator. */
  sent: number;
  /** Set while the database cannot be reached. */
  lastError?: string;
}

/** Replicates one run's journal file to the team database. */
export class TeamReplicator {
  /** Where to send from; null: ask the database first (at start and after any failure). */
  private remoteSeq: number | null = null;
  /** The highest seq the database is known to have (kept across failures, for counting). */
  private confirmedSeq = 0;
  /** Byte offset in the journal where the line after {@link offsetSeq} starts. */
  private offset = 0;
  private offsetSeq = 0;
  private localSeq = 0;
  private sent = 0;
  private pumping: Promise<void> | null = null;
  private again = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay: number;
  private lastError: string | undefined;
  private closed = false;
  private readonly listeners = new Set<(event: ReplicationEvent) => void>();
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly batchBytes: number;

  constructor(
    private readonly team: TeamAudit,
    readonly runId: string,
    private readonly journalFile: string,
    options: ReplicatorOptions = {},
  ) {
    this.retryMinMs = options.retryMinMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 5000;
    this.batchBytes = options.batchBytes ?? 512 * 1024;
    this.retryDelay = this.retryMinMs;
  }

  onEvent(listener: (event: ReplicationEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): ReplicationStatus {
    return { runId: this.runId, replicatedSeq: this.confirmedSeq, localSeq: this.localSeq, sent: this.sent, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** More lines were written to the journal: send them soon. Never throws, never waits. */
  notify(): void {
    if (this.closed) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    if (this.retryTimer) return;
    this.pumping = this.pump().finally(() => (this.pumping = null));
  }

  /**
   * Sends everything the journal holds now, waiting at most `timeoutMs`. Resolves with what is still
   * not in the database (0: caught up); never throws.
   */
  async drain(timeoutMs: number): Promise<{ pending: number; lastError?: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.retryTimer && !this.closed) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
      }
      this.notify();
      const pumping = this.pumping;
      if (pumping) await pumping;
      const pending = this.pending();
      if (pending === 0 && this.remoteSeq !== null) return { pending: 0 };
      const left = deadline - Date.now();
      if (left <= 0) return { pending, ...(this.lastError ? { lastError: this.lastError } : {}) };
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.retryDelay, left)));
    }
  }

  /** Stops retrying. What was not sent stays in the journal for `opsdeck audit sync`. */
  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private pending(): number {
    this.scanLocalSeq();
    return Math.max(this.localSeq - this.confirmedSeq, 0);
  }

  private emit(event: ReplicationEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private async pump(): Promise<void> {
    const wasFailing = this.lastError !== undefined;
    let sentNow = 0;
    try {
      for (;;) {
        this.again = false;
        if (this.remoteSeq === null) {
          this.remoteSeq = await this.team.lastSeq(this.runId);
          this.confirmedSeq = this.remoteSeq;
        }
        const position = { offset: this.offset, offsetSeq: this.offsetSeq };
        const batch = this.readAfter(this.remoteSeq);
        if (batch.length === 0) {
          if (this.again) continue;
          break;
        }
        try {
          await this.team.insertRecords(this.runId, batch);
        } catch (error) {
          // Read the batch again next time, without rescanning the journal from its start.
          this.offset = position.offset;
          this.offsetSeq = position.offsetSeq;
          if (error instanceof OpsError && error.code === 'team-duplicate') {
            // The database has some of them already (an earlier commit whose acknowledgement was lost).
            this.remoteSeq = null;
            continue;
          }
          throw error;
        }
        this.remoteSeq = batch[batch.length - 1].seq;
        this.confirmedSeq = this.remoteSeq;
        this.sent += batch.length;
        sentNow += batch.length;
      }
      this.retryDelay = this.retryMinMs;
      if (wasFailing) {
        this.lastError = undefined;
        this.emit({ type: 'caught-up', sent: sentNow, afterOutage: true });
      }
    } catch (error) {
      this.remoteSeq = null;
      const message = userMessageOf(error);
      if (this.lastError === undefined) this.emit({ type: 'unreachable', message, pending: this.pending() });
      this.lastError = message;
      if (!this.closed) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.notify();
        }, this.retryDelay);
        this.retryTimer.unref();
        this.retryDelay = Math.min(this.retryDelay * 2, this.retryMaxMs);
      }
    }
  }

  /** Complete journal lines with seq > `after`, up to the batch size, in file order. */
  private readAfter(after: number): TeamRecord[] {
    if (after < this.offsetSeq) {
      this.offset = 0;
      this.offsetSeq = 0;
    }
    let fd: number;
    try {
      fd = fs.openSync(this.journalFile, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const records: TeamRecord[] = [];
    try {
      let bytes = 0;
      let chunkSize = Math.max(this.batchBytes, 64 * 1024);
      while (bytes < this.batchBytes) {
        const buffer = Buffer.allocUnsafe(chunkSize);
        const read = fs.readSync(fd, buffer, 0, chunkSize, this.offset);
        if (read === 0) break;
        const chunk = buffer.subarray(0, read);
        let start = 0;
        let consumed = false;
        for (;;) {
          const newline = chunk.indexOf(0x0a, start);
          if (newline < 0) break;
          const line = chunk.toString('utf8', start, newline);
          const length = newline + 1 - start;
          start = newline + 1;
          consumed = true;
          this.offset += length;
          // A damaged line is not a record: it is not sent, and verifying the copy names the gap.
          const record = parseRecord(line);
          if (!record) continue;
          this.localSeq = Math.max(this.localSeq, record.seq);
          this.offsetSeq = record.seq;
          if (record.seq <= after) continue;
          records.push({ seq: record.seq, type: record.type, ts: record.ts, prev: record.prev, hash: record.hash, line });
          bytes += length;
          if (bytes >= this.batchBytes) break;
        }
        if (bytes >= this.batchBytes) break;
        if (!consumed) {
          // A line longer than the chunk: read a bigger one, unless this is a torn end of file.
          if (read < chunkSize) break;
          chunkSize *= 2;
        }
      }
    } finally {
      fs.closeSync(fd);
    }
    return records;
  }

  private scanLocalSeq(): void {
    try {
      const last = readLastLines(this.journalFile, 1).lines[0];
      const record = last ? parseRecord(last) : null;
      if (record) this.localSeq = Math.max(this.localSeq, record.seq);
    } catch {
      // No journal yet.
    }
  }
}

/** Sends what the database lacks of a finished or interrupted run (for `opsdeck audit sync`). */
export async function syncRun(team: TeamAudit, runId: string, journalFile: string, timeoutMs = 30_000): Promise<{ sent: number; pending: number; lastError?: string }> {
  const replicator = new TeamReplicator(team, runId, journalFile, { retryMinMs: 200, retryMaxMs: 1000 });
  try {
    const result = await replicator.drain(timeoutMs);
    return { sent: replicator.status().sent, ...result };
  } finally {
    replicator.close();
  }
}
