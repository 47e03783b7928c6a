import { ByteExactDecoder, decodeByteExact } from '../utf8';

/**
 * How much of one stream's output a step keeps in memory for its checks and captures. Output beyond
 * this still flows to the journal, the transcript and the screen; only the checks see a cut copy, and
 * they say so.
 */
export const RETAINED_OUTPUT_BYTES = 8 * 1024 * 1024;

/**
 * Keeps the first {@link RETAINED_OUTPUT_BYTES} of a stream for checks and captures. The decoder is
 * streaming, so a UTF-8 character split across two SSH packets is never mangled.
 */
export class RetainedOutput {
  private readonly chunks: Buffer[] = [];
  private retainedBytes = 0;
  totalBytes = 0;

  push(chunk: Buffer): void {
    this.totalBytes += chunk.length;
    const room = RETAINED_OUTPUT_BYTES - this.retainedBytes;
    if (room <= 0) return;
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(kept);
    this.retainedBytes += kept.length;
  }

  get truncated(): boolean {
    return this.totalBytes > this.retainedBytes;
  }

  text(): string {
    return decodeByteExact(Buffer.concat(this.chunks));
  }
}

/**
 * Decodes a byte stream into text without splitting characters, chunk by chunk, keeping bytes that
 * are not UTF-8 recoverable (see ../utf8).
 */
export class StreamText {
  private readonly decoder = new ByteExactDecoder();

  push(chunk: Buffer): string {
    return this.decoder.write(chunk);
  }

  end(): string {
    return this.decoder.end();
  }
}
