/**
 * `audit verify`: checks a journal's hash chain and names the line of every problem.
 *
 * The file is read in blocks and each line is hashed as bytes (see journal.ts for the canonical form):
 * an intact line is never decoded or JSON-parsed, only its fixed prefix (`{"seq":N,"ts":"…","prev":"…",
 * "type":"…"`) is read. Lines that do not match the fast form are parsed to say what is wrong with them.
 * After the pass, links that do not point at the line before are explained: removed, inserted, swapped.
 */
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { HEAD_FILE, JOURNAL_FILE, forEachLine, readHead, type JournalHead } from './files';
import { GENESIS_HASH, HASH_SUFFIX_LENGTH } from './journal';

export interface VerifyProblem {
  /** 1-based line of the journal file (0 for problems of the file as a whole). */
  line: number;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Lines that hold a record (valid or not). */
  records: number;
  problems: VerifyProblem[];
  /** The journal holds a `run.finished` record. */
  finished: boolean;
  /** seq and hash of the last record: print or store them elsewhere to anchor the journal. */
  lastSeq: number;
  lastHash: string;
}

export interface VerifyOptions {
  /** head.json to compare the end against; default: head.json next to the journal. null: skip. */
  headFile?: string | null;
  /**
   * The run the journal must belong to (its `run.started` and head.json must name it); default: the
   * name of the directory holding `journal.jsonl`. null: skip.
   */
  runId?: string | null;
}

interface Entry {
  line: number;
  seq: number;
  prev: string;
  /** The hash stored in the line. */
  hash: string;
  /** The stored hash matches the content. */
  intact: boolean;
}

/** `crypto.hash` (Node ≥ 20.12) is several times faster than createHash for one small input. */
const oneShotHash = typeof crypto.hash === 'function' ? crypto.hash : null;

const HEX64 = /^[0-9a-f]{64}$/;
const SUFFIX_START = Buffer.from(',"hash":"');
const PREFIX_SEQ = '{"seq":';

/** Reads the fixed prefix and suffix of a line written by the journal; null if it has another form. */
function fastParse(line: Buffer): { seq: number; prev: string; hash: string; type: string } | null {
  const length = line.length;
  if (length < 120 || line[length - 1] !== 0x7d || line[length - 2] !== 0x22) return null;
  if (line.compare(SUFFIX_START, 0, SUFFIX_START.length, length - HASH_SUFFIX_LENGTH, length - 66) !== 0) return null;
  const hash = line.toString('latin1', length - 66, length - 2);
  const head = line.toString('latin1', 0, Math.min(length, 220));
  if (!head.startsWith(PREFIX_SEQ)) return null;
  const comma = head.indexOf(',', PREFIX_SEQ.length);
  const seq = Number(head.slice(PREFIX_SEQ.length, comma));
  const prevAt = head.indexOf('"prev":"', comma);
  if (!Number.isInteger(seq) || prevAt < 0) return null;
  const prev = head.slice(prevAt + 8, prevAt + 72);
  const typeAt = prevAt + 73;
  if (head.slice(typeAt, typeAt + 9) !== ',"type":"') return null;
  const typeEnd = head.indexOf('"', typeAt + 9);
  if (typeEnd < 0) return null;
  return { seq, prev, hash, type: head.slice(typeAt + 9, typeEnd) };
}

const CLOSE_BRACE = 0x7d;

/**
 * sha256 of the line without its hash member. The `,` that starts `,"hash":` is swapped for the `}`
 * that ends the canonical form, so one-shot hashing needs no copy; the byte is put back after.
 */
function sha256Canonical(line: Buffer): string {
  const at = line.length - HASH_SUFFIX_LENGTH;
  const saved = line[at];
  line[at] = CLOSE_BRACE;
  try {
    return oneShotHash
      ? oneShotHash('sha256', line.subarray(0, at + 1), 'hex')
      : createHash('sha256')
          .update(line.subarray(0, at + 1))
          .digest('hex');
  } finally {
    line[at] = saved;
  }
}

/** Verifies the journal at `file`. Never throws for a damaged journal; only for an unreadable file. */
export function verifyJournal(file: string, options: VerifyOptions = {}): VerifyResult {
  const problems: VerifyProblem[] = [];
  const entries: Array<Entry | null> = [];
  let finished = false;
  let lineNumber = 0;
  const startedRunIds: Array<{ line: number; runId: unknown }> = [];
  const runStartedRunId = (line: Buffer): unknown => {
    try {
      return (JSON.parse(line.toString('utf8')) as { runId?: unknown }).runId;
    } catch {
      return undefined;
    }
  };

  const handleLine = (line: Buffer): void => {
    lineNumber += 1;
    if (line.length === 0) {
      problems.push({ line: lineNumber, message: 'empty line (a line was blanked or a newline inserted)' });
      return;
    }
    const fast = fastParse(line);
    if (fast) {
      if (fast.type === 'run.finished') finished = true;
      if (fast.type === 'run.started') startedRunIds.push({ line: lineNumber, runId: runStartedRunId(line) });
      entries.push({ line: lineNumber, seq: fast.seq, prev: fast.prev, hash: fast.hash, intact: sha256Canonical(line) === fast.hash });
      return;
    }
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
    } catch {
      problems.push({ line: lineNumber, message: 'not valid JSON (the line was changed or cut short)' });
      entries.push(null);
      return;
    }
    const { seq, prev, hash } = record;
    if (typeof seq !== 'number' || typeof prev !== 'string' || typeof hash !== 'string') {
      problems.push({ line: lineNumber, message: 'not a journal record (seq, prev or hash missing)' });
      entries.push(null);
      return;
    }
    if (record.type === 'run.finished') finished = true;
    if (record.type === 'run.started') startedRunIds.push({ line: lineNumber, runId: record.runId });
    // Valid JSON but not in the form the journal writes (re-serialised or edited): the hash covers the
    // bytes as written, so this can only match if the writer's form is restored.
    const { hash: _stored, ...body } = record;
    const canonical = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const reserialised = JSON.stringify(record) !== line.toString('utf8');
    entries.push({ line: lineNumber, seq, prev, hash, intact: !reserialised && canonical === hash && HEX64.test(hash) });
  };

  const { tornBytes } = forEachLine(file, handleLine);
  if (tornBytes > 0) {
    lineNumber += 1;
    problems.push({
      line: lineNumber,
      message: 'the last line is incomplete (no newline): OpsDeck stopped while writing it; reopening the run moves it aside',
    });
  }

  checkChain(entries, problems);
  const last = lastEntry(entries);
  const runId = options.runId === undefined ? (path.basename(file) === JOURNAL_FILE ? path.basename(path.dirname(file)) : null) : options.runId;
  // Without this a journal moved (with its head.json) into another run's directory verifies clean.
  if (runId !== null) {
    for (const started of startedRunIds) {
      if (started.runId !== runId) {
        problems.push({
          line: started.line,
          message: `run.started names run ${String(started.runId)}, not ${runId} (the directory it is in): the journal was swapped or copied from another run`,
        });
      }
    }
  }
  const headFile = options.headFile === undefined ? path.join(path.dirname(file), HEAD_FILE) : options.headFile;
  if (headFile !== null) checkHead(headFile, entries, last, problems, runId);

  problems.sort((a, b) => a.line - b.line);
  return {
    ok: problems.length === 0,
    records: entries.length,
    problems,
    finished,
    lastSeq: last?.seq ?? 0,
    lastHash: last?.hash ?? GENESIS_HASH,
  };
}

function lastEntry(entries: Array<Entry | null>): Entry | null {
  for (let index = entries.length - 1; index >= 0; index -= 1) {
    const entry = entries[index];
    if (entry) return entry;
  }
  return null;
}

function checkChain(entries: Array<Entry | null>, problems: VerifyProblem[]): void {
  // Fast path: an intact chain needs no index.
  let intact = true;
  let expectedPrev = GENESIS_HASH;
  let expectedSeq = 1;
  for (const entry of entries) {
    if (!entry || !entry.intact || entry.prev !== expectedPrev || entry.seq !== expectedSeq) {
      intact = false;
      break;
    }
    expectedPrev = entry.hash;
    expectedSeq += 1;
  }
  if (intact) return;

  // Where several lines carry one hash, the original is the intact one in its place (linked to by
  // the line before it), wherever it is: a copy inserted before the original is the copy.
  const byHash = new Map<string, number>();
  const referenced = new Set<string>();
  const rank = (index: number): number => {
    const entry = entries[index] as Entry;
    if (!entry.intact) return 0;
    const before = index > 0 ? entries[index - 1] : undefined;
    const inPlace = index === 0 ? entry.prev === GENESIS_HASH : before?.hash === entry.prev;
    return inPlace ? 2 : 1;
  };
  entries.forEach((entry, index) => {
    if (!entry) return;
    const known = byHash.get(entry.hash);
    if (known === undefined || rank(index) > rank(known)) byHash.set(entry.hash, index);
    referenced.add(entry.prev);
  });
  const describe = (index: number): string => {
    if (index < 0) return 'the start of the journal';
    const entry = entries[index];
    return entry ? `line ${entry.line} (seq ${entry.seq})` : 'an unreadable line';
  };

  let skipLinks = 0;
  // The record the next one should link to: the last readable, non-duplicate line (-1: the start).
  let previousIndex = -1;
  let beforePreviousIndex = -2;
  let afterUnreadable = false;
  for (let index = 0; index < entries.length; index += 1) {
    const entry = entries[index];
    if (!entry) {
      afterUnreadable = true;
      continue;
    }
    const original = byHash.get(entry.hash) as number;
    const originalEntry = entries[original];
    if (original !== index && originalEntry?.intact && originalEntry.prev === entry.prev) {
      problems.push({
        line: entry.line,
        message: entry.intact
          ? `inserted line: a copy of line ${originalEntry.line}`
          : `forged line: it carries the seq, previous-hash link and hash of line ${originalEntry.line} but its content does not match that hash`,
      });
      continue;
    }
    if (!entry.intact) problems.push({ line: entry.line, message: 'content changed (hash mismatch)' });
    const previous = previousIndex >= 0 ? entries[previousIndex] : undefined;
    const beforePrevious = beforePreviousIndex;
    beforePreviousIndex = previousIndex;
    previousIndex = index;
    if (skipLinks > 0) {
      skipLinks -= 1;
      continue;
    }
    if (afterUnreadable) {
      // The unreadable line before was reported; its hash is unknown, so this link cannot be checked.
      afterUnreadable = false;
      continue;
    }
    const expected = previous ? previous.hash : GENESIS_HASH;
    if (entry.prev === expected) {
      const expectedSeq = previous ? previous.seq + 1 : 1;
      if (entry.seq !== expectedSeq && entry.intact && (!previous || previous.intact)) {
        problems.push({ line: entry.line, message: `seq ${entry.seq} where seq ${expectedSeq} was expected` });
      }
      continue;
    }
    const next = entries[index + 1];
    const afterNext = entries[index + 2];
    if (previous && next && entry.prev === next.hash && next.prev === previous.hash && (!afterNext || afterNext.prev === entry.hash)) {
      problems.push({
        line: entry.line,
        message: `lines ${entry.line} and ${next.line} are swapped (seq ${entry.seq} comes before seq ${next.seq})`,
      });
      skipLinks = afterNext ? 2 : 1;
      continue;
    }
    const target = entry.prev === GENESIS_HASH ? -1 : byHash.get(entry.prev);
    if (target !== undefined) {
      if (previous && target === beforePrevious && !referenced.has(previous.hash)) {
        problems.push({
          line: previous.line,
          message: `inserted line: no record links to it (the record after it links to ${describe(target)})`,
        });
      } else if (target === -1) {
        problems.push({ line: entry.line, message: 'out of order: this record claims to be the first of the journal' });
      } else {
        problems.push({
          line: entry.line,
          message: `out of order (lines reordered): its previous-hash link points at ${describe(target)}, not at the line before it`,
        });
      }
      continue;
    }
    const previousSeq = previous ? previous.seq : 0;
    const missing = entry.seq - previousSeq - 1;
    if (missing > 0) {
      problems.push({
        line: entry.line,
        message:
          `previous-hash link broken: a line before it was removed ` + `(seq jumps from ${previousSeq} to ${entry.seq}: ${missing} record${missing === 1 ? '' : 's'} missing)`,
      });
    } else {
      problems.push({
        line: entry.line,
        message: 'previous-hash link broken: a line before it was removed or inserted, or rewritten with a new hash',
      });
    }
  }
}

function checkHead(headFile: string, entries: Array<Entry | null>, last: Entry | null, problems: VerifyProblem[], runId: string | null): void {
  let head: JournalHead | null;
  try {
    head = readHead(headFile);
  } catch (error) {
    problems.push({ line: 0, message: `head.json is unreadable (${(error as Error).message}): the end of the journal cannot be checked` });
    return;
  }
  if (!head) {
    problems.push({ line: 0, message: 'head.json is missing: removal of the last lines cannot be detected' });
    return;
  }
  if (runId !== null && head.runId !== runId) {
    problems.push({
      line: 0,
      message: `head.json names run ${String(head.runId)}, not ${runId} (the directory it is in): it was swapped or copied from another run`,
    });
    return;
  }
  const lastSeq = last?.seq ?? 0;
  if (head.seq > lastSeq) {
    const missing = head.seq - lastSeq;
    problems.push({
      line: (last?.line ?? 0) + 1,
      message: `the journal ends at seq ${lastSeq} but head.json recorded seq ${head.seq}: ` + `the last ${missing} line${missing === 1 ? ' was' : 's were'} removed`,
    });
    return;
  }
  const match = entries.find((entry) => entry?.seq === head.seq);
  if (!match) {
    problems.push({ line: 0, message: `head.json records seq ${head.seq}, which is not in the journal` });
  } else if (match.hash !== head.hash) {
    problems.push({
      line: match.line,
      message: `seq ${head.seq} differs from the record head.json saved: the line was replaced`,
    });
  }
}
