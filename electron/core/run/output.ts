import { ByteExactDecoder, decodeByteExact } from '../utf8';

/**
 * How much of one stream's output a step keeps in memory for its checks and captures. Output beyond
 * this still flows to the journal, the transcript and the screen; only the checks see a cut copy, and
 * they say so.
 */
export const RETAINED_OUTPUT_BYTES = 8 * 1024 * 1024;

/**
 * Keeps the first {@link RETAINED_OUTPUT_BYTES} of a stream for checks and captures, or nothing when
 * the step has none that read it (`retain` false: only counted). The decoder is streaming, so a UTF-8
 * character split across two SSH packets is never mangled.
 *
 * Kept only when read: a step on 300 hosts each printing 1 MiB, with no output check, held all 300 MiB
 * until the step's end (engine peak RSS 648 MiB, bench/ case 2) though nothing would ever look at it.
 */
export class RetainedOutput {
  private readonly chunks: Buffer[] = [];
  private retainedBytes = 0;
  private readonly limit: number;
  totalBytes = 0;

  constructor(readonly retain = true) {
    this.limit = retain ? RETAINED_OUTPUT_BYTES : 0;
  }

  push(chunk: Buffer): void {
    this.totalBytes += chunk.length;
    const room = this.limit - this.retainedBytes;
    if (room <= 0) return;
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(kept);
    this.retainedBytes += kept.length;
  }

  /** Bytes held in memory now. */
  get heldBytes(): number {
    return this.retainedBytes;
  }

  /** Output was cut for the checks (never for a stream kept for none). */
  get truncated(): boolean {
    return this.retain && this.totalBytes > this.retainedBytes;
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
