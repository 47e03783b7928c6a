/**
 * The append-only, hash-chained journal of one run: `<auditDir>/runs/<runId>/journal.jsonl`.
 *
 * Each line is one {@link JournalRecord}, written by `JSON.stringify` with the keys in this order:
 * `seq`, `ts`, `prev`, `type`, the event's other keys as the runner built them, and `hash` last.
 * The canonical form that `hash` covers is exactly that line without its `,"hash":"…"` member (and
 * without the newline): `hash = sha256hex(utf8(line.slice(0, -75) + "}"))`. A verifier therefore
 * never re-serialises anything: it hashes the bytes that are on disk. See docs/audit-trail.md.
 *
 * Durability: every line goes to the file in one `write` call as soon as it is appended (a killed
 * process loses nothing already appended); the file is fsynced after every event whose type is in
 * {@link DURABLE_EVENT_TYPES}, at most {@link JournalOptions.syncIntervalMs} after any other write, and
 * on close. After each fsync, head.json records the last seq and hash: rewritten in place (one
 * `pwrite` of a fixed-size, space-padded line, so a step boundary costs no second fsync and no rename)
 * and itself fsynced by the timer and on close. It is written after the journal's fsync, so it is
 * never ahead of what is on disk; after a power cut it may be up to a timer interval behind.
 *
 * The API is synchronous on purpose: the order of lines is the order of calls, and an fsync at a step
 * boundary must be done before the runner starts the next step.
 */
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OpsError } from '../errors';
import { DURABLE_EVENT_TYPES, type JournalRecord, type RunEvent, type StepOutputEvent } from './events';
import {
  HEAD_FILE,
  JOURNAL_FILE,
  TORN_FILE,
  checkRunId,
  findLineStart,
  fsyncDirectory,
  isLockLive,
  makePrivateDir,
  PRIVATE_FILE_MODE,
  readLock,
  readRange,
  removeLock,
  runDir,
  writeFully,
  writeLock,
  type JournalHead,
} from './files';
import { jsonString, utf8Bytes } from './json-text';
import type { Masker, StreamMasker } from './mask';

/** `crypto.hash` (Node ≥ 20.12): one-shot hashing, much cheaper than createHash for small inputs. */
const oneShotHash = typeof crypto.hash === 'function' ? crypto.hash : null;

/** `prev` of the first record: sha256 of the empty string. */
export const GENESIS_HASH = createHash('sha256').update('').digest('hex');

/** Length of the `,"hash":"<64 hex>"}` suffix of every line (without the newline). */
export const HASH_SUFFIX_LENGTH = 75;

export interface JournalOptions {
  /** Longest time output may sit written but not fsynced. Default 1000 ms; 0 disables the timer. */
  syncIntervalMs?: number;
  /** Larger `step.output` data is split across several records. Default 64 Ki characters. */
  maxOutputChars?: number;
  /** The clock (tests). */
  now?: () => Date;
}

/** What {@link Journal.open} found and repaired at the end of the file. */
export interface JournalRecovery {
  /** Bytes moved to journal.torn. */
  tornBytes: number;
  /** The seq of the last intact record kept. */
  keptSeq: number;
}

const DEFAULT_MAX_OUTPUT = 64 * 1024;
const SCRATCH_BYTES = 128 * 1024;
/** head.json is padded to a multiple of this: one write inside a 512-byte disk sector, not torn by a power cut. */
const HEAD_BLOCK = 256;

/** The canonical line of a record, and its hash. */
export function sealRecord(body: Record<string, unknown>): { line: string; hash: string } {
  const canonical = JSON.stringify(body);
  const hash = oneShotHash ? oneShotHash('sha256', canonical, 'hex') : createHash('sha256').update(canonical).digest('hex');
  return { line: `${canonical.slice(0, -1)},"hash":"${hash}"}`, hash };
}

/**
 * {@link sealRecord} as the bytes written: the canonical form is UTF-8-encoded once, hashed in place,
 * and its closing `}` overwritten by the hash suffix and the newline. Output records are up to 64 Ki
 * characters, so encoding and copying the line once instead of three times matters at 200 MiB.
 */
function encodeRecord(body: Record<string, unknown>, scratch?: Buffer): { bytes: Buffer; hash: string } {
  const { bytes, length } = utf8Bytes(canonicalOf(body), HASH_SUFFIX_LENGTH, scratch);
  const signed = bytes.subarray(0, length);
  const hash = oneShotHash ? oneShotHash('sha256', signed, 'hex') : createHash('sha256').update(signed).digest('hex');
  bytes.write(`,"hash":"${hash}"}\n`, length - 1, HASH_SUFFIX_LENGTH + 1, 'latin1');
  return { bytes, hash };
}

/**
 * `JSON.stringify(body)`. An output record's `data` (its last key, as the runner builds the event) goes
 * through {@link jsonString}, which the transcript then finds already encoded.
 */
function canonicalOf(body: Record<string, unknown>): string {
  if (body.type !== 'step.output' || typeof body.data !== 'string') return JSON.stringify(body);
  const { data, ...head } = body;
  return `${JSON.stringify(head).slice(0, -1)},"data":${jsonString(data)}}`;
}

function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC') return 'disk full (ENOSPC)';
  if (code === 'EDQUOT') return 'disk quota exceeded (EDQUOT)';
  if (code === 'EIO') return 'input/output error on the disk (EIO)';
  if (code === 'EROFS') return 'the file system is read-only (EROFS)';
  return error instanceof Error ? error.message : String(error);
}

function journalWriteError(file: string, error: unknown): OpsError {
  return new OpsError(
    'journal-write',
    `The audit journal could not be written (disk full?): ${describeWriteError(error)} at ${file}; ` + 'the run is paused so nothing happens unrecorded.',
    { cause: error },
  );
}

/** Splits at most `max` UTF-16 units per piece, never between the two halves of a surrogate pair. */
function splitText(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + max, text.length);
    const code = text.charCodeAt(end - 1);
    if (end < text.length && code >= 0xd800 && code <= 0xdbff) end -= 1;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** One run's journal, open for appending. Close it (or the process exit loses the lock only). */
export class Journal {
  readonly runId: string;
  readonly directory: string;
  readonly file: string;
  /** Set when {@link Journal.open} repaired a torn end. */
  readonly recovery: JournalRecovery | null;

  private fd: number | null;
  private seq: number;
  private hash: string;
  private syncedSeq: number;
  private dirty = false;
  /** head.json, open for rewriting in place; null until the first sync. */
  private headFd: number | null = null;
  /** head.json was written since its last fsync. */
  private headDirty = false;
  private failure: OpsError | null = null;
  private readonly timer: NodeJS.Timeout | null;
  private readonly outputMaskers = new Map<string, { masker: StreamMasker; event: StepOutputEvent }>();
  private readonly maxOutput: number;
  /** Where records are encoded before their one write (output records fit: 64 Ki characters, ASCII). */
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  private readonly now: () => Date;

  private constructor(
    init: { runId: string; directory: string; fd: number; seq: number; hash: string; recovery: JournalRecovery | null },
    private readonly masker: Masker,
    options: JournalOptions,
  ) {
    this.runId = init.runId;
    this.directory = init.directory;
    this.file = path.join(init.directory, JOURNAL_FILE);
    this.fd = init.fd;
    this.seq = init.seq;
    this.hash = init.hash;
    this.syncedSeq = init.seq;
    this.recovery = init.recovery;
    this.maxOutput = Math.max(options.maxOutputChars ?? DEFAULT_MAX_OUTPUT, 16);
    this.now = options.now ?? (() => new Date());
    const interval = options.syncIntervalMs ?? 1000;
    this.timer = interval > 0 ? setInterval(() => this.syncQuietly(), interval) : null;
    this.timer?.unref();
  }

  /** Starts the journal of a new run. Fails if the run already has one. */
  static create(auditDir: string, runId: string, masker: Masker, options: JournalOptions = {}): Journal {
    checkRunId(runId);
    const directory = runDir(auditDir, runId);
    const file = path.join(directory, JOURNAL_FILE);
    let fd: number;
    try {
      makePrivateDir(directory);
      fd = fs.openSync(file, 'ax', PRIVATE_FILE_MODE);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new OpsError('journal-exists', `Run ${runId} already has a journal (${file}); a run id is used once.`, {
          cause: error,
        });
      }
      throw journalWriteError(file, error);
    }
    fsyncDirectory(directory);
    fsyncDirectory(path.dirname(directory));
    try {
      writeLock(directory);
    } catch (error) {
      fs.closeSync(fd);
      throw journalWriteError(file, error);
    }
    return new Journal({ runId, directory, fd, seq: 0, hash: GENESIS_HASH, recovery: null }, masker, options);
  }

  /**
   * Opens an existing run's journal to append more (after a crash, to reopen the run). A torn end —
   * bytes after the last newline, or trailing lines that are not JSON, left by a write cut short — is
   * moved to journal.torn, the journal is truncated to its last intact line, and a `run.note` warning
   * saying so is appended. Fails while another live process holds the run.
   */
  static open(auditDir: string, runId: string, masker: Masker, options: JournalOptions = {}): Journal {
    checkRunId(runId);
    const directory = runDir(auditDir, runId);
    const file = path.join(directory, JOURNAL_FILE);
    if (!fs.existsSync(file)) {
      throw new OpsError('audit-run-not-found', `Run ${runId} has no journal at ${file}.`);
    }
    const lock = readLock(directory);
    if (lock && lock.pid !== process.pid && isLockLive(lock)) {
      throw new OpsError('run-in-use', `Run ${runId} is still open in another OpsDeck process (pid ${lock.pid} since ${lock.since}); close it there first.`);
    }
    let recovery: JournalRecovery | null = null;
    let seq = 0;
    let hash = GENESIS_HASH;
    let fd: number;
    try {
      const readFd = fs.openSync(file, 'r+');
      try {
        const size = fs.fstatSync(readFd).size;
        let goodEnd = findLineStart(readFd, size);
        for (;;) {
          if (goodEnd === 0) break;
          const start = findLineStart(readFd, goodEnd - 1);
          const text = readRange(readFd, start, goodEnd - 1).toString('utf8');
          const record = parseRecord(text);
          if (record) {
            seq = record.seq;
            hash = record.hash;
            break;
          }
          goodEnd = start;
        }
        if (goodEnd < size) {
          const torn = readRange(readFd, goodEnd, size);
          fs.appendFileSync(path.join(directory, TORN_FILE), Buffer.concat([torn, Buffer.from('\n')]), { mode: PRIVATE_FILE_MODE });
          fs.ftruncateSync(readFd, goodEnd);
          fs.fsyncSync(readFd);
          recovery = { tornBytes: size - goodEnd, keptSeq: seq };
        }
      } finally {
        fs.closeSync(readFd);
      }
      fd = fs.openSync(file, 'a');
      writeLock(directory);
    } catch (error) {
      throw journalWriteError(file, error);
    }
    const journal = new Journal({ runId, directory, fd, seq, hash, recovery }, masker, options);
    if (recovery) {
      journal.append({
        type: 'run.note',
        level: 'warning',
        message:
          `The journal's last line was incomplete (${recovery.tornBytes} bytes; OpsDeck stopped while writing it). ` +
          `It was moved to ${TORN_FILE} and the journal continues after seq ${recovery.keptSeq}.`,
      });
    }
    return journal;
  }

  /** The seq of the last record written (0 before the first). */
  get lastSeq(): number {
    return this.seq;
  }

  /** The hash of the last record written ({@link GENESIS_HASH} before the first). */
  get lastHash(): string {
    return this.hash;
  }

  get closed(): boolean {
    return this.fd === null;
  }

  /**
   * Masks, seals and writes an event; returns its record. Events in {@link DURABLE_EVENT_TYPES} are
   * fsynced before this returns.
   *
   * `step.output` data goes through a stream masker per step/host/stream, so a secret split across
   * two chunks is still masked: the incomplete last line is held back and written with the next chunk
   * of the same stream, or before the next non-output event. Such a call may write nothing (returns
   * undefined) or several records (data over 64 KiB is split; the last is returned).
   *
   * @throws OpsError `journal-write` when the disk refuses the write; every later call throws it too.
   */
  append(event: Exclude<RunEvent, StepOutputEvent>): JournalRecord;
  append(event: RunEvent): JournalRecord | undefined;
  append(event: RunEvent): JournalRecord | undefined {
    this.checkWritable();
    if (event.type === 'step.output') return this.appendOutput(event);
    this.flushOutput();
    const record = this.write(this.masker.maskValue(event));
    if (DURABLE_EVENT_TYPES.has(event.type)) this.sync();
    return record;
  }

  /** Writes the output held back by the stream maskers (done before every non-output event). */
  flushOutput(): void {
    for (const [key, { masker, event }] of this.outputMaskers) {
      this.outputMaskers.delete(key);
      const data = masker.flush();
      if (data) this.writeOutput(event, data);
    }
  }

  /** fsyncs what was written and records it in head.json. */
  sync(): void {
    this.checkWritable();
    if (!this.dirty && this.syncedSeq === this.seq) return;
    const fd = this.fd as number;
    try {
      fs.fsyncSync(fd);
      this.writeHead();
    } catch (error) {
      throw this.fail(error);
    }
    this.dirty = false;
    this.syncedSeq = this.seq;
  }

  /**
   * Rewrites head.json in place with the last seq and hash: one write at offset 0 of a line padded
   * with spaces to a fixed size, so readers see whole JSON (readHead retries a read that raced it).
   */
  private writeHead(): void {
    const head: JournalHead = { runId: this.runId, seq: this.seq, hash: this.hash, ts: this.now().toISOString() };
    const text = JSON.stringify(head);
    const file = path.join(this.directory, HEAD_FILE);
    if (this.headFd === null) {
      const existed = fs.existsSync(file);
      this.headFd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, PRIVATE_FILE_MODE);
      // A new directory entry: durable once, so head.json survives a power cut with the journal.
      if (!existed) fsyncDirectory(this.directory);
    }
    // Never shorter than the file is now (something else may have written it): every old byte is covered.
    const longest = Math.max(fs.fstatSync(this.headFd).size, text.length + 1);
    const size = Math.ceil(longest / HEAD_BLOCK) * HEAD_BLOCK;
    const line = Buffer.from(`${text.padEnd(size - 1)}\n`, 'utf8');
    fs.writeSync(this.headFd, line, 0, line.length, 0);
    this.headDirty = true;
  }

  /** fsyncs head.json (by the timer and on close: between them it may lag a power cut by that much). */
  private syncHead(): void {
    if (this.headFd === null || !this.headDirty) return;
    try {
      fs.fsyncSync(this.headFd);
    } catch (error) {
      throw this.fail(error);
    }
    this.headDirty = false;
  }

  /** Writes held output, fsyncs, updates head.json, releases the run lock. Safe to call twice. */
  close(): void {
    if (this.fd === null) return;
    if (this.timer) clearInterval(this.timer);
    try {
      if (!this.failure) {
        this.flushOutput();
        this.sync();
        this.syncHead();
      }
    } finally {
      if (this.headFd !== null) {
        try {
          fs.closeSync(this.headFd);
        } catch {
          // head.json was written and fsynced above, or the run failed before: nothing more to keep.
        }
        this.headFd = null;
      }
      try {
        fs.closeSync(this.fd);
      } catch {
        // The fd is gone either way; a failed close after a successful fsync loses nothing.
      }
      this.fd = null;
      removeLock(this.directory);
    }
  }

  private appendOutput(event: StepOutputEvent): JournalRecord | undefined {
    const key = `${event.step}\u0000${event.host}\u0000${event.stream}`;
    let entry = this.outputMaskers.get(key);
    if (!entry) {
      entry = { masker: this.masker.createStreamMasker(), event };
      this.outputMaskers.set(key, entry);
    }
    const data = entry.masker.push(event.data);
    return data ? this.writeOutput(event, data) : undefined;
  }

  private writeOutput(event: StepOutputEvent, data: string): JournalRecord | undefined {
    let record: JournalRecord | undefined;
    const step = this.masker.mask(event.step);
    const host = this.masker.mask(event.host);
    for (const piece of splitText(data, this.maxOutput)) {
      record = this.write({ ...event, step, host, data: piece });
    }
    return record;
  }

  private write(event: RunEvent): JournalRecord {
    // `type` right after the chain fields keeps it at a fixed place for the verifier's fast path.
    const { seq: _seq, ts: _ts, prev: _prev, hash: _hash, type, ...rest } = event as RunEvent & Partial<JournalRecord>;
    const seq = this.seq + 1;
    const body = { seq, ts: this.now().toISOString(), prev: this.hash, type, ...rest };
    const { bytes, hash } = encodeRecord(body, this.scratch);
    try {
      writeFully(this.fd as number, bytes);
    } catch (error) {
      throw this.fail(error);
    }
    this.seq = seq;
    this.hash = hash;
    this.dirty = true;
    return { ...body, hash } as JournalRecord;
  }

  private syncQuietly(): void {
    if (this.fd === null || this.failure) return;
    try {
      if (this.dirty) this.sync();
      this.syncHead();
    } catch {
      // Recorded in `failure`: the next append throws it to the runner, which pauses the run.
    }
  }

  private checkWritable(): void {
    if (this.failure) throw this.failure;
    if (this.fd === null) throw new OpsError('journal-closed', `The journal of run ${this.runId} is closed.`);
  }

  private fail(error: unknown): OpsError {
    this.failure = journalWriteError(this.file, error);
    return this.failure;
  }
}

/** Parses one journal line; null when it is not a complete record. */
export function parseRecord(line: string): JournalRecord | null {
  try {
    const record = JSON.parse(line) as JournalRecord;
    if (!record || typeof record.seq !== 'number' || typeof record.hash !== 'string') return null;
    return record;
  } catch {
    return null;
  }
}
