/**
 * Per-terminal transcripts in asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/):
 * `<runDir>/transcripts/<name>.cast`, a header line then one `[elapsedSeconds, "o"|"i", data]` per line.
 *
 * asciicast holds strings, so raw bytes are decoded byte-exactly per direction (../utf8: a UTF-8
 * character split across chunks is never split across events; a byte that is not UTF-8 is kept as a
 * lone surrogate U+DC80..U+DCFF, so every byte the host printed can be recovered) and masked with a
 * stream masker per direction. Events are buffered in memory and written in
 * batches: at 64 KiB, on {@link CastWriter.flush} (the runner calls it at step boundaries) and on close.
 * Transcripts are not hash-chained: the journal is the record; a transcript is for replay.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ByteExactDecoder } from '../utf8';
import { OpsError } from '../errors';
import { PRIVATE_FILE_MODE, TRANSCRIPTS_DIR, makePrivateDir } from './files';
import { jsonStringCrlf, utf8Bytes } from './json-text';
import type { Masker, StreamMasker } from './mask';

export interface CastHeader {
  version: 2;
  width: number;
  height: number;
  /** Unix time in seconds when the recording started. */
  timestamp: number;
  title?: string;
  env?: Record<string, string>;
}

export type CastEventType = 'o' | 'i';
export type CastEvent = [time: number, type: CastEventType, data: string];

export interface CastOptions {
  width: number;
  height: number;
  title?: string;
  env?: Record<string, string>;
  /** The clock, in milliseconds (tests). */
  now?: () => number;
}

const BATCH_BYTES = 64 * 1024;
/**
 * A batch the disk refused is held for the next attempt up to this many characters (the journal holds
 * the same output); past it the held text is replaced by one line saying how much was lost.
 */
const MAX_HELD_CHARS = 32 * 1024 * 1024;

/** A file name for a terminal: `compute-01 (root)` → `compute-01_root_`. */
export function castFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return `${safe || 'terminal'}.cast`;
}

/** The path of a terminal's transcript in a run directory. */
export function castPath(runDirectory: string, name: string): string {
  return path.join(runDirectory, TRANSCRIPTS_DIR, castFileName(name));
}

function openNew(file: string): { fd: number; file: string } {
  const base = file.replace(/\.cast$/, '');
  for (let attempt = 1; ; attempt += 1) {
    const candidate = attempt === 1 ? file : `${base}.${attempt}.cast`;
    try {
      return { fd: fs.openSync(candidate, 'wx', PRIVATE_FILE_MODE), file: candidate };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 1000) throw error;
    }
  }
}

interface Direction {
  decoder: ByteExactDecoder;
  masker: StreamMasker;
}

/** Records one terminal. Call {@link close} when the terminal closes. */
export class CastWriter {
  readonly file: string;
  private fd: number | null;
  private readonly start: number;
  private readonly now: () => number;
  private readonly directions: Record<CastEventType, Direction>;
  private batch: string[] = [];
  private batchLength = 0;
  /** The batch is written when it reaches this length (raised while the disk refuses writes). */
  private writeAtLength = BATCH_BYTES;
  /** Bytes of whole lines in the file: batches are written at this offset, a failed one cut back to it. */
  private size: number;

  private constructor(file: string, fd: number, size: number, masker: Masker, start: number, now: () => number) {
    this.file = file;
    this.fd = fd;
    this.size = size;
    this.start = start;
    this.now = now;
    this.directions = {
      o: { decoder: new ByteExactDecoder(), masker: masker.createStreamMasker() },
      i: { decoder: new ByteExactDecoder(), masker: masker.createStreamMasker() },
    };
  }

  /**
   * Starts a transcript at `file` (its directory is created); the header is written at once. If the
   * file exists (a resumed run), the transcript goes to `<name>.2.cast`, `<name>.3.cast`…: one cast
   * file holds one recording. {@link file} is the path used.
   */
  static create(file: string, masker: Masker, options: CastOptions): CastWriter {
    const now = options.now ?? Date.now;
    const start = now();
    const header: CastHeader = {
      version: 2,
      width: options.width,
      height: options.height,
      timestamp: Math.floor(start / 1000),
      ...(options.title !== undefined ? { title: masker.mask(options.title) } : {}),
      ...(options.env ? { env: options.env } : {}),
    };
    let fd: number;
    let size: number;
    try {
      makePrivateDir(path.dirname(file));
      ({ fd, file } = openNew(file));
      size = fs.writeSync(fd, JSON.stringify(header) + '\n');
    } catch (error) {
      throw new OpsError('transcript-write', `The terminal transcript ${file} could not be written: ${(error as Error).message}.`, {
        cause: error,
      });
    }
    return new CastWriter(file, fd, size, masker, start, now);
  }

  /** Records what the terminal printed. */
  output(data: Buffer | string): void {
    this.record('o', data);
  }

  /**
   * Records command output that is already masked (the runner masks every `step.output` before it
   * emits it), each lone `\n` shown as `\r\n`: a command's output has no terminal to start its new
   * lines. Whatever {@link output} still held back is written first, so the order is kept.
   */
  outputLines(masked: string): void {
    if (this.fd === null || masked.length === 0) return;
    const held = this.directions.o.masker.flush();
    if (held) this.push('o', held);
    this.pushEncoded('o', jsonStringCrlf(masked));
    if (this.batchLength >= this.writeAtLength) this.writeBatch();
  }

  /** Records what was typed. Typed secrets are masked once their line is complete. */
  input(data: Buffer | string): void {
    this.record('i', data);
  }

  /** Releases what the maskers held back and writes the batch (call at step boundaries). */
  flush(): void {
    if (this.fd === null) return;
    for (const type of ['o', 'i'] as const) {
      const text = this.directions[type].masker.flush();
      if (text) this.push(type, text);
    }
    this.writeBatch();
  }

  /** Flushes, ends the decoders (a dangling partial character is kept as its bytes) and closes the file. */
  close(): void {
    if (this.fd === null) return;
    for (const type of ['o', 'i'] as const) {
      const direction = this.directions[type];
      const rest = direction.decoder.end();
      const text = direction.masker.push(rest) + direction.masker.flush();
      if (text) this.push(type, text);
    }
    try {
      this.writeBatch();
    } finally {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }

  private record(type: CastEventType, data: Buffer | string): void {
    if (this.fd === null) return;
    const direction = this.directions[type];
    const text = typeof data === 'string' ? data : direction.decoder.write(data);
    const masked = direction.masker.push(text);
    if (masked) this.push(type, masked);
    if (this.batchLength >= this.writeAtLength) this.writeBatch();
  }

  private push(type: CastEventType, data: string): void {
    this.pushEncoded(type, JSON.stringify(data));
  }

  /** Adds an event whose data is already a JSON string. */
  private pushEncoded(type: CastEventType, json: string): void {
    const elapsed = Math.max(this.now() - this.start, 0) / 1000;
    const line = `[${elapsed.toFixed(6)},"${type}",${json}]\n`;
    this.batch.push(line);
    this.batchLength += line.length;
  }

  /**
   * Writes the batch at the end of the whole lines. A write the disk refuses (ENOSPC…) may have put
   * part of the batch in the file: that part is cut off again, so no torn line is left for the next
   * batch to follow, and the batch is held and written with the next one (at the next flush, or when
   * another batch's worth has come).
   */
  private writeBatch(): void {
    if (this.fd === null || this.batch.length === 0) return;
    const text = this.batch.join('');
    const { bytes, length } = utf8Bytes(text);
    let written = 0;
    try {
      while (written < length) written += fs.writeSync(this.fd, bytes, written, length - written, this.size + written);
    } catch (error) {
      this.hold(text);
      throw new OpsError('transcript-write', `The terminal transcript ${this.file} could not be written: ${(error as Error).message}. What it has not written is held and written once the disk takes it.`, {
        cause: error,
      });
    }
    this.size += length;
    this.batch = [];
    this.batchLength = 0;
    this.writeAtLength = BATCH_BYTES;
  }

  private hold(text: string): void {
    try {
      fs.ftruncateSync(this.fd as number, this.size);
    } catch {
      // The next write starts at the same offset and overwrites the part; the truncate is tried again then.
    }
    if (text.length > MAX_HELD_CHARS) {
      this.batch = [];
      this.batchLength = 0;
      this.push('o', `\r\n[OpsDeck: ${text.length} characters of this transcript were lost: the disk refused them for too long; the run's journal has the output]\r\n`);
    } else {
      this.batch = [text];
      this.batchLength = text.length;
    }
    this.writeAtLength = this.batchLength + BATCH_BYTES;
  }
}

export interface Cast {
  header: CastHeader;
  events: CastEvent[];
  /** The file ended in a line cut short (a crash while writing): it was left out. */
  truncated: boolean;
}

/** Reads a transcript for replay. */
export function readCast(file: string): Cast {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const last = lines.pop();
  let truncated = last !== undefined && last !== '';
  const header = JSON.parse(lines[0] ?? (last as string)) as CastHeader;
  if (header.version !== 2) {
    throw new OpsError('transcript-format', `${file} is not an asciicast v2 transcript (version ${String(header.version)}).`);
  }
  const events: CastEvent[] = [];
  for (let index = 1; index < lines.length; index += 1) {
    const line = lines[index];
    if (!line) continue;
    try {
      events.push(JSON.parse(line) as CastEvent);
    } catch {
      truncated = true;
    }
  }
  return { header, events, truncated };
}
