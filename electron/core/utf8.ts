/**
 * Byte-exact text: decoding a host's output so that every byte can be recovered from the text, even
 * bytes that are not UTF-8 (a binary file cat'ed by mistake, a latin-1 log). Like Python's
 * `surrogateescape`, each byte that is not part of a valid UTF-8 sequence becomes the lone surrogate
 * U+DC80..U+DCFF (0xDC00 + byte): valid UTF-8 never decodes to a lone surrogate, so the mapping is
 * unambiguous, and JSON carries lone surrogates as `\udcXX` escapes. Terminals and asciicast players
 * show them as a replacement glyph; {@link encodeByteExact} turns the text back into the bytes.
 */
import { isUtf8 } from 'node:buffer';

const EMPTY = Buffer.alloc(0);

/** The offset of the first byte that does not belong to a valid UTF-8 sequence (bytes.length if none). */
export function firstInvalidUtf8(bytes: Uint8Array, from = 0): number {
  let index = from;
  while (index < bytes.length) {
    const length = sequenceLength(bytes, index);
    if (length === 0) return index;
    index += length;
  }
  return index;
}

/** The length of the valid UTF-8 sequence at `index`, or 0 when the byte there starts none. */
function sequenceLength(bytes: Uint8Array, index: number): number {
  const lead = bytes[index];
  const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  if (length <= 1) return length;
  if (index + length > bytes.length) return 0;
  for (let next = 1; next < length; next++) if ((bytes[index + next] & 0xc0) !== 0x80) return 0;
  // Overlong forms, surrogates and code points past U+10FFFF.
  const second = bytes[index + 1];
  if ((lead === 0xe0 && second < 0xa0) || (lead === 0xed && second > 0x9f) || (lead === 0xf0 && second < 0x90) || (lead === 0xf4 && second > 0x8f)) return 0;
  return length;
}

/** Bytes as text, with the bytes that are not UTF-8 kept as U+DC80..U+DCFF. */
export function decodeByteExact(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let text = '';
  let start = 0;
  while (start < bytes.length) {
    const bad = firstInvalidUtf8(bytes, start);
    if (bad > start) text += bytes.toString('utf8', start, bad);
    if (bad >= bytes.length) break;
    text += String.fromCharCode(0xdc00 + bytes[bad]);
    start = bad + 1;
  }
  return text;
}

/** The bytes a {@link decodeByteExact} text came from. */
export function encodeByteExact(text: string): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0xdc80 || code > 0xdcff) continue;
    const previous = index > 0 ? text.charCodeAt(index - 1) : 0;
    if (previous >= 0xd800 && previous <= 0xdbff) continue; // the second half of a real pair
    parts.push(Buffer.from(text.slice(start, index), 'utf8'), Buffer.from([code - 0xdc00]));
    start = index + 1;
  }
  parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/**
 * Streaming {@link decodeByteExact}: a character split across two chunks is decoded whole, and an
 * incomplete sequence left at the end is kept as bytes.
 */
export class ByteExactDecoder {
  private pending: Buffer = EMPTY;

  write(chunk: Buffer): string {
    const bytes = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const cut = incompleteTail(bytes);
    this.pending = cut < bytes.length ? Buffer.from(bytes.subarray(cut)) : EMPTY;
    return decodeByteExact(cut < bytes.length ? bytes.subarray(0, cut) : bytes);
  }

  end(): string {
    const rest = this.pending;
    this.pending = EMPTY;
    return rest.length > 0 ? decodeByteExact(rest) : '';
  }
}

/** Where a trailing sequence starts that is valid so far but cut short (the next chunk may finish it). */
function incompleteTail(bytes: Buffer): number {
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const index = bytes.length - back;
    const byte = bytes[index];
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const length = byte >= 0xc2 && byte <= 0xdf ? 2 : byte >= 0xe0 && byte <= 0xef ? 3 : byte >= 0xf0 && byte <= 0xf4 ? 4 : 1;
    return length > back ? index : bytes.length;
  }
  return bytes.length;
}
