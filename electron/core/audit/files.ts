/**
 * Where the audit trail lives on disk, and the small file operations the journal, the verifier and the
 * store share (reading a file's last line without reading the file, atomic replacement, run locks).
 *
 * ```
 * <auditDir>/runs/<runId>/journal.jsonl      the hash-chained journal, one record per line
 * <auditDir>/runs/<runId>/head.json          last fsynced seq + hash (truncation detection)
 * <auditDir>/runs/<runId>/journal.torn       bytes of torn last lines moved aside on reopen
 * <auditDir>/runs/<runId>/journal.lock       pid + machine of the process appending (while open)
 * <auditDir>/runs/<runId>/transcripts/*.cast asciicast v2 transcripts, one per terminal
 * ```
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OpsError } from '../errors';

export const JOURNAL_FILE = 'journal.jsonl';
export const HEAD_FILE = 'head.json';
export const TORN_FILE = 'journal.torn';
export const LOCK_FILE = 'journal.lock';
export const TRANSCRIPTS_DIR = 'transcripts';

/**
 * Audit data is the operator's alone: directories 0700, files 0600. Passed as the mode when they are
 * created, so the umask can only narrow it (a umask of 000 still gives 0600, not 0666).
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `directory` (and missing parents) private to the user. */
export function makePrivateDir(directory: string): void {
  fs.mkdirSync(directory, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** A run id is a directory name: letters, digits, `.`, `_`, `-`; it never starts with `.`. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Throws unless `runId` can safely name a directory. */
export function checkRunId(runId: string): void {
  if (!RUN_ID.test(runId)) {
    throw new OpsError('audit-bad-run-id', `"${runId}" is not a valid run id: use letters, digits, ".", "_" and "-" only.`);
  }
}

/** The default audit directory: `$OPSDECK_HOME/audit`, else `~/.opsdeck/audit`. */
export function defaultAuditDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.OPSDECK_HOME?.trim();
  return home ? path.join(home, 'audit') : path.join(os.homedir(), '.opsdeck', 'audit');
}

export function runsDir(auditDir: string): string {
  return path.join(auditDir, 'runs');
}

export function runDir(auditDir: string, runId: string): string {
  checkRunId(runId);
  return path.join(runsDir(auditDir), runId);
}

export function journalFile(auditDir: string, runId: string): string {
  return path.join(runDir(auditDir, runId), JOURNAL_FILE);
}

/** A new run id: UTC time to the second, then 6 random hex digits (`20250314T021500Z-3fa9c1`). */
export function newRunId(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const random = Math.floor(Math.random() * 0x1000000)
    .toString(16)
    .padStart(6, '0');
  return `${stamp}-${random}`;
}

/** What head.json holds: the last record known to be on disk (fsynced). */
export interface JournalHead {
  runId: string;
  seq: number;
  hash: string;
  ts: string;
}

/**
 * Reads head.json (a JSON line padded with spaces, rewritten in place by the journal). A read that
 * raced the rewrite of a live run is tried once more before it counts as unreadable.
 */
export function readHead(file: string): JournalHead | null {
  let head: JournalHead;
  for (let attempt = 1; ; attempt++) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      head = JSON.parse(text) as JournalHead;
      break;
    } catch (error) {
      if (attempt >= 2) throw error;
    }
  }
  if (typeof head.seq !== 'number' || typeof head.hash !== 'string') throw new Error('head.json has no seq/hash');
  return head;
}

/** Writes the first `length` bytes of `bytes` (default all) to `fd`, however many writes it takes. */
export function writeFully(fd: number, bytes: Buffer, length = bytes.length): void {
  let written = 0;
  while (written < length) written += fs.writeSync(fd, bytes, written, length - written);
}

/** Replaces `file` atomically: readers see the old content or the new, never a mix. */
export function writeFileAtomic(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temporary, 'w', PRIVATE_FILE_MODE);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
}

/** Best effort: makes a new directory entry durable (a created journal survives a power cut). */
export function fsyncDirectory(directory: string): void {
  try {
    const fd = fs.openSync(directory, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a directory (Windows); the journal's own fsyncs still hold.
  }
}

const BLOCK = 64 * 1024;

/** The offset where the line that ends just before `end` starts (0 when it is the first line). */
export function findLineStart(fd: number, end: number): number {
  const buffer = Buffer.allocUnsafe(BLOCK);
  let position = end;
  while (position > 0) {
    const length = Math.min(BLOCK, position);
    position -= length;
    fs.readSync(fd, buffer, 0, length, position);
    const newline = buffer.subarray(0, length).lastIndexOf(0x0a);
    if (newline >= 0) return position + newline + 1;
  }
  return 0;
}

export function readRange(fd: number, start: number, end: number): Buffer {
  const buffer = Buffer.allocUnsafe(end - start);
  let done = 0;
  while (done < buffer.length) {
    const read = fs.readSync(fd, buffer, done, buffer.length - done, start + done);
    if (read === 0) break;
    done += read;
  }
  return buffer.subarray(0, done);
}

/** The first line of a file (without its newline), reading only as much as needed. */
export function readFirstLine(file: string): string | null {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(BLOCK);
    const parts: Buffer[] = [];
    let position = 0;
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, BLOCK, position);
      if (read === 0) break;
      const chunk = buffer.subarray(0, read);
      const newline = chunk.indexOf(0x0a);
      if (newline >= 0) {
        parts.push(Buffer.from(chunk.subarray(0, newline)));
        return Buffer.concat(parts).toString('utf8');
      }
      parts.push(Buffer.from(chunk));
      position += read;
    }
    return parts.length ? Buffer.concat(parts).toString('utf8') : null;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The last complete lines of a file, last first, up to `count`, reading from the end. A torn last line
 * (no newline) is skipped and reported as `tornBytes`.
 */
export function readLastLines(file: string, count: number): { lines: string[]; tornBytes: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    let end = findLineStart(fd, size);
    const tornBytes = size - end;
    const lines: string[] = [];
    while (end > 0 && lines.length < count) {
      const lineEnd = end - 1;
      const start = findLineStart(fd, lineEnd);
      lines.push(readRange(fd, start, lineEnd).toString('utf8'));
      end = start;
    }
    return { lines, tornBytes };
  } finally {
    fs.closeSync(fd);
  }
}

/** Who holds a run's journal open for appending. */
export interface JournalLock {
  pid: number;
  machine: string;
  since: string;
}

export function readLock(directory: string): JournalLock | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(directory, LOCK_FILE), 'utf8')) as JournalLock;
  } catch {
    return null;
  }
}

/**
 * True while a live process on this machine holds the run open. A lock left by a killed process (or a
 * process on another machine sharing the directory, which we cannot check) does not count as live
 * unless it is ours to check.
 */
export function isLockLive(lock: JournalLock | null): boolean {
  if (!lock || lock.machine !== os.hostname()) return false;
  if (lock.pid === process.pid) return true;
  try {
    process.kill(lock.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function writeLock(directory: string): void {
  const lock: JournalLock = { pid: process.pid, machine: os.hostname(), since: new Date().toISOString() };
  writeFileAtomic(path.join(directory, LOCK_FILE), JSON.stringify(lock) + '\n');
}

export function removeLock(directory: string): void {
  try {
    const lock = readLock(directory);
    if (lock && lock.pid === process.pid && lock.machine === os.hostname()) {
      fs.unlinkSync(path.join(directory, LOCK_FILE));
    }
  } catch {
    // A lock we cannot remove is reported as stale by the next reader (its pid is gone).
  }
}

/**
 * Calls `onLine` with every complete line of `file` (without its newline), reading in 1 MiB blocks.
 * The buffer passed may be reused after the call returns. Returns the size of a torn last line.
 */
export function forEachLine(file: string, onLine: (line: Buffer) => void): { tornBytes: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const block = Buffer.allocUnsafe(1024 * 1024);
    let carry: Buffer | null = null;
    for (;;) {
      const read = fs.readSync(fd, block, 0, block.length, null);
      if (read === 0) break;
      const chunk = block.subarray(0, read);
      let start = 0;
      for (;;) {
        const newline = chunk.indexOf(0x0a, start);
        if (newline < 0) break;
        if (carry) {
          onLine(Buffer.concat([carry, chunk.subarray(start, newline)]));
          carry = null;
        } else {
          onLine(chunk.subarray(start, newline));
        }
        start = newline + 1;
      }
      if (start < read) carry = carry ? Buffer.concat([carry, chunk.subarray(start)]) : Buffer.from(chunk.subarray(start));
    }
    return { tornBytes: carry?.length ?? 0 };
  } finally {
    fs.closeSync(fd);
  }
}
