/**
 * Terminal output on its way to the renderer: decoded, batched, and held back when the renderer
 * falls behind. The renderer acknowledges what xterm has parsed (inside `term.write(data, callback)`),
 * so "unacknowledged" measures exactly how far the view is behind the host.
 *
 * Two sources, two ways to hold back:
 * - an interactive shell can be paused: above the high watermark the ssh2 channel stops being read
 *   (data waits in the SSH window, the remote process blocks on write) and resumes below the low one;
 * - a run's step output cannot be paused per host (the runner reads every channel to the end, and the
 *   journal must get every byte), so above the high watermark the VIEW drops output and, once the
 *   renderer catches up, says plainly how much it did not show. The journal and the transcript have
 *   it all: the audit tap sits before this class.
 */
import { StringDecoder } from 'node:string_decoder';

/** Every flow-control threshold in one place. Characters, not bytes: what xterm parses is text. */
export const FLOW_CONTROL = {
  /** Output is sent at most this long after it arrived (VS Code and Hyper use ~5–16 ms). */
  batchIntervalMs: 8,
  /** ...or as soon as this much is waiting, whichever comes first. */
  batchMaxChars: 64 * 1024,
  /**
   * Unacknowledged characters above which the source is paused (shell) or the view drops output (run).
   * ~1 MB: SSH round trips are slower than VS Code's local pty, whose 100 K would stall a fast host.
   */
  highWatermarkChars: 1_000_000,
  /** Below this, a paused source resumes. The gap keeps it from flapping every batch. */
  lowWatermarkChars: 250_000,
} as const;

export type FlowLimits = { [Key in keyof typeof FLOW_CONTROL]: number };

/** The window an acknowledgement counts for when the adapter names none (Electron's one window). */
export const DEFAULT_WINDOW = 'window';

/** Something whose reading can be stopped and restarted (an ssh2 shell channel). */
export interface PausableSource {
  pause(): void;
  resume(): void;
}

/** The line the view shows in place of output it dropped. */
export function truncationMarker(droppedChars: number): string {
  return `\r\n\x1b[33m[${droppedChars.toLocaleString('en')} characters of output not shown here: the view fell behind. Full output in the journal.]\x1b[0m\r\n`;
}

/**
 * One terminal's output stream. `source` is paused above the high watermark; without a source the
 * stream drops output while the renderer is behind and inserts {@link truncationMarker}.
 */
export class TerminalOutput {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private timer: ReturnType<typeof setTimeout> | undefined;
  /**
   * Characters sent but not acknowledged, per connected window: every window gets every batch and
   * acknowledges what its own xterm parsed, so two browser tabs must not each take the other's
   * acknowledgements off one shared count (the slower one would be flooded).
   */
  private readonly unacknowledgedBy = new Map<string, number>();
  private sourcePaused = false;
  private dropping = false;
  private droppedChars = 0;
  private disposed = false;

  constructor(
    private readonly send: (data: string) => void,
    private readonly source: PausableSource | null,
    private readonly limits: FlowLimits = FLOW_CONTROL,
    /** The windows connected now (each sent every batch); one window unless the adapter says more. */
    private readonly windows: () => Iterable<string> = () => [DEFAULT_WINDOW],
  ) {}

  /** Characters sent but not yet acknowledged by the slowest connected window. */
  get unacknowledgedChars(): number {
    let most = 0;
    for (const window of this.windows()) most = Math.max(most, this.unacknowledgedBy.get(window) ?? 0);
    return most;
  }

  get paused(): boolean {
    return this.sourcePaused;
  }

  /** Characters dropped (run output only) since the view last caught up. */
  get dropped(): number {
    return this.droppedChars;
  }

  /** Raw bytes from a channel; a UTF-8 character split across chunks is never split in the text. */
  pushBytes(chunk: Buffer): void {
    this.pushText(this.decoder.write(chunk));
  }

  pushText(text: string): void {
    if (this.disposed || text.length === 0) return;
    if (this.dropping) {
      this.droppedChars += text.length;
      return;
    }
    this.pending += text;
    if (this.pending.length >= this.limits.batchMaxChars) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.limits.batchIntervalMs);
  }

  /** Sends what is waiting now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending || this.disposed) return;
    const data = this.pending;
    this.pending = '';
    for (const window of this.windows()) this.unacknowledgedBy.set(window, (this.unacknowledgedBy.get(window) ?? 0) + data.length);
    this.send(data);
    if (this.unacknowledgedChars > this.limits.highWatermarkChars) this.holdBack();
  }

  /** A window (`windowId`) has parsed `chars` more characters. */
  acknowledge(chars: number, windowId: string = DEFAULT_WINDOW): void {
    const before = this.unacknowledgedBy.get(windowId);
    if (before === undefined) return;
    this.unacknowledgedBy.set(windowId, Math.max(0, before - chars));
    if (this.unacknowledgedChars < this.limits.lowWatermarkChars) this.release();
  }

  /** A window went away: what it had not acknowledged never will be; the others still count. */
  forgetWindow(windowId: string): void {
    this.unacknowledgedBy.delete(windowId);
    if (this.unacknowledgedChars < this.limits.lowWatermarkChars) this.release();
  }

  /**
   * The renderer went away (a closed browser tab, a reloaded window): nothing in flight will be
   * acknowledged, so start counting afresh rather than stay paused for ever.
   */
  resetAcknowledgements(): void {
    this.unacknowledgedBy.clear();
    this.release();
  }

  /** The source ended: send the decoder's remainder and what is waiting. */
  end(): void {
    this.pushText(this.decoder.end());
    this.flush();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.disposed = true;
    this.pending = '';
  }

  private holdBack(): void {
    if (this.source) {
      if (!this.sourcePaused) {
        this.sourcePaused = true;
        this.source.pause();
      }
    } else {
      this.dropping = true;
    }
  }

  private release(): void {
    if (this.sourcePaused) {
      this.sourcePaused = false;
      this.source?.resume();
    }
    if (this.dropping) {
      this.dropping = false;
      const dropped = this.droppedChars;
      this.droppedChars = 0;
      if (dropped > 0) this.pushText(truncationMarker(dropped));
    }
  }
}
