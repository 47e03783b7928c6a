/**
 * JSON strings for what the audit trail writes most of: command output. The journal and a transcript
 * encode each chunk of output in turn, so the last long encoding is remembered and the transcript's
 * (with its line ends turned into `\r\n`) is derived from it instead of encoding the text twice.
 */

/** Texts shorter than this are encoded again rather than remembered. */
const MEMO_MIN_LENGTH = 1024;

let lastText: string | null = null;
let lastJson = '';

/** `JSON.stringify(text)`; the last long text's encoding is remembered. */
export function jsonString(text: string): string {
  if (text === lastText) return lastJson;
  const json = JSON.stringify(text);
  if (text.length >= MEMO_MIN_LENGTH) {
    lastText = text;
    lastJson = json;
  }
  return json;
}

/**
 * `JSON.stringify(text.replace(/\r?\n/g, '\r\n'))`: command output as a terminal would show it (a
 * command's output has no terminal to turn `\n` into a new line). Without `\r` or `\` in the text,
 * every `\n` in its JSON encoding stands for a newline, and replacing those is the same thing.
 */
export function jsonStringCrlf(text: string): string {
  if (!text.includes('\r') && !text.includes('\\')) return jsonString(text).replaceAll('\\n', '\\r\\n');
  return JSON.stringify(text.replace(/\r?\n/g, '\r\n'));
}

/**
 * The UTF-8 bytes of `text`, followed by `extra` bytes of room, in `scratch` when they fit there (a
 * writer that writes them at once reuses one buffer instead of allocating one per record). ASCII text
 * (its UTF-8 length equals its length: every other character takes two bytes or more per UTF-16 unit)
 * is copied as latin1, several times faster than the encoder.
 */
export function utf8Bytes(text: string, extra = 0, scratch?: Buffer): { bytes: Buffer; length: number } {
  const length = Buffer.byteLength(text, 'utf8');
  const bytes = scratch && scratch.length >= length + extra ? scratch.subarray(0, length + extra) : Buffer.allocUnsafe(length + extra);
  bytes.write(text, 0, length, length === text.length ? 'latin1' : 'utf8');
  return { bytes, length };
}
