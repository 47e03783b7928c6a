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
import { MASK, type Masker, type StreamMasker } from './mask';

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
  /**
   * Records typed input only once the terminal has echoed it (see {@link CastWriter.input}): what was
   * typed while echo was off (a password at a prompt) is recorded as `********`. For terminals a
   * person types into.
   */
  hideUnechoedInput?: boolean;
}

/** How long typed input may wait for its echo before it counts as typed with echo off. */
export const ECHO_WAIT_MS = 1000;
/** Output kept to look for the echo of typed input; past it, what still waits is decided at once. */
const MAX_ECHO_WINDOW = 256 * 1024;

/** Escape sequences (cursor keys, function keys…) and control characters: never echoed as typed. */
const NOT_ECHOED = /\x1b\[[0-?]*[ -/]*[@-~]|\x1bO.|\x1b.?|[\x00-\x1f\x7f]/g;

/** A line of typed input waiting to be recorded: its text, and where its echo would start in the output. */
interface TypedLine {
  text: string;
  /** Offset in the output stream (characters) when its first key was typed. */
  from: number;
  lastKeyAt: number;
  /** When its Enter was typed; null while the line is open. */
  endedAt: number | null;
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
  private readonly hideUnechoedInput: boolean;
  /** Typed lines not yet recorded, oldest first (hideUnechoedInput). */
  private typed: TypedLine[] = [];
  /** Output since the oldest typed line waiting, where its echo is looked for; starts at offset echoStart. */
  private echo = '';
  private echoStart = 0;

  private constructor(file: string, fd: number, size: number, masker: Masker, start: number, now: () => number, hideUnechoedInput: boolean) {
    this.file = file;
    this.fd = fd;
    this.size = size;
    this.hideUnechoedInput = hideUnechoedInput;
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
    return new CastWriter(file, fd, size, masker, start, now, options.hideUnechoedInput ?? false);
  }

  /** Records what the terminal printed. */
  output(data: Buffer | string): void {
    const text = this.record('o', data);
    if (this.typed.length > 0 && text) {
      this.echo += text;
      this.settleTyped(this.echo.length > MAX_ECHO_WINDOW);
    }
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

  /**
   * Records what was typed. Typed secrets are masked once their line is complete.
   *
   * With `hideUnechoedInput`, a line typed is recorded only once the terminal has printed what was
   * typed on it (the printable parts, in order, in the output since its first key): typed while echo
   * was off, it never is, and after {@link ECHO_WAIT_MS} it is recorded as `********` instead (a
   * line left unfinished that long is judged the same way). Over SSH the terminal's ECHO flag lives on
   * the remote host; its echo is what reaches us. Known limit: a typed text that the output happens to
   * contain anyway (very short ones) counts as echoed.
   */
  input(data: Buffer | string): void {
    if (!this.hideUnechoedInput) {
      this.record('i', data);
      return;
    }
    if (this.fd === null) return;
    const direction = this.directions.i;
    const text = typeof data === 'string' ? data : direction.decoder.write(data);
    const now = this.now();
    for (const piece of text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+/g) ?? []) {
      let line = this.typed[this.typed.length - 1];
      if (!line || line.endedAt !== null) {
        if (this.typed.length === 0) {
          this.echoStart += this.echo.length;
          this.echo = '';
        }
        line = { text: '', from: this.echoStart + this.echo.length, lastKeyAt: now, endedAt: null };
        this.typed.push(line);
      }
      line.text += piece;
      line.lastKeyAt = now;
      if (/[\r\n]$/.test(piece)) line.endedAt = now;
    }
    this.settleTyped(false);
  }

  /** Records the typed lines whose fate is known, in order: echoed in clear, the others masked. */
  private settleTyped(force: boolean): void {
    const now = this.now();
    while (this.typed.length > 0) {
      const line = this.typed[0];
      const echoed = this.wasEchoed(line);
      const waited = now - (line.endedAt ?? line.lastKeyAt) >= ECHO_WAIT_MS;
      // An open line is never judged early: stray output could contain the first keys of a password.
      if (line.endedAt !== null ? !echoed && !waited && !force : !waited && !force) break;
      this.typed.shift();
      const masked = echoed ? line.text : `${MASK}${/(\r\n|\r|\n)$/.exec(line.text)?.[0] ?? ''}`;
      const text = this.directions.i.masker.push(masked);
      if (text) this.push('i', text);
    }
    if (this.typed.length === 0) {
      this.echoStart += this.echo.length;
      this.echo = '';
    } else if (this.typed[0].from > this.echoStart) {
      this.echo = this.echo.slice(this.typed[0].from - this.echoStart);
      this.echoStart = this.typed[0].from;
    }
    if (this.batchLength >= this.writeAtLength) this.writeBatch();
  }

  private wasEchoed(line: TypedLine): boolean {
    const parts = line.text.split(NOT_ECHOED).filter(Boolean);
    let at = line.from - this.echoStart;
    for (const part of parts) {
      const found = this.echo.indexOf(part, at);
      if (found < 0) return false;
      at = found + part.length;
    }
    return true;
  }

  /** Releases what the maskers held back and writes the batch (call at step boundaries). */
  flush(): void {
    if (this.fd === null) return;
    this.settleTyped(false);
    for (const type of ['o', 'i'] as const) {
      const text = this.directions[type].masker.flush();
      if (text) this.push(type, text);
    }
    this.writeBatch();
  }

  /** Flushes, ends the decoders (a dangling partial character is kept as its bytes) and closes the file. */
  close(): void {
    if (this.fd === null) return;
    this.settleTyped(true);
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

  /** Returns the decoded text (before masking). */
  private record(type: CastEventType, data: Buffer | string): string {
    if (this.fd === null) return '';
    const direction = this.directions[type];
    const text = typeof data === 'string' ? data : direction.decoder.write(data);
    const masked = direction.masker.push(text);
    if (masked) this.push(type, masked);
    if (this.batchLength >= this.writeAtLength) this.writeBatch();
    return text;
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
      throw new OpsError(
        'transcript-write',
        `The terminal transcript ${this.file} could not be written: ${(error as Error).message}. What it has not written is held and written once the disk takes it.`,
        {
          cause: error,
        },
      );
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
