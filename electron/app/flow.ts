/**
 * Terminal output on its way to the renderer: decoded, batched, and held back when the renderer
 * falls behind. The renderer acknowledges what xterm has parsed (inside `term.write(data, callback)`),
 * so "unacknowledged" measures exactly how far the view is behind the host.
 *
 * Two sources, two ways to hold back:
 * - an interactive shell can be paused: above the high watermark the ssh2 channel stops being read
 *   (data waits in the SSH window, the remote process blocks on write) and resumes below the low one;
 * - a run's step output cannot be paused per host (the runner reads every channel to the end, and the
 *   journal must get every byte), so above the high watermark the VIEW keeps only the newest lines
 *   (a bounded tail) and, once the renderer catches up, sends them after a line saying plainly how
 *   much it did not show. The journal and the transcript have it all: the audit tap sits before this
 *   class.
 *
 * Two bounds: each terminal's watermarks, and the window's budget across all its terminals
 * ({@link WindowBudget}): a run on 300 hosts is 300 terminals, and per-terminal limits alone let 300
 * of them reach one page. Terminals the budget holds back are sent to again in turn (shells first),
 * each its tail. And {@link WindowSender} writes run events ahead of any terminal output waiting for
 * the socket, so the page learns that a step ended without parsing the output sent before it.
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
  /**
   * Unacknowledged characters one window may have across ALL its terminals (the window budget). The
   * watermarks above are per terminal, so 300 hosts let ~300 MB reach one page: it showed a 300-host
   * step's end 59 s after the run finished and the server held the socket's backlog (1.5 GiB). 2 MB is
   * twice one terminal's high watermark (one busy shell still runs at full speed) and about a second
   * of xterm parsing on a loaded 2-core machine: what a page can be behind, whatever the host count.
   */
  windowHighChars: 2_000_000,
  /** Terminals held back by the window budget are sent to again, in turn, once it is below this. */
  windowLowChars: 1_000_000,
  /**
   * What a run's terminal keeps of its newest output while it is held back (~300 lines of 100
   * columns), sent when its turn comes: the page shows each host's last lines, never all 300 hosts'
   * output. The rest is only counted; the journal has every byte (Audit, `run:output`).
   */
  heldTailChars: 32 * 1024,
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
 * What one window (a browser tab, Electron's window) has not acknowledged across every terminal, and
 * the terminals waiting for room in it. Every terminal of a console shares one budget; a terminal
 * sends only while its window has room and nobody waits before it, so what is in flight to a page
 * stays near {@link FLOW_CONTROL.windowHighChars} however many hosts print at once (and so does what
 * the server holds for it: nothing is queued for a page beyond what it is allowed to be behind).
 */
export class WindowBudget {
  private readonly unacknowledgedBy = new Map<string, number>();
  /** Held-back shells (a person waits for their echo) and run terminals, each in the order they began to wait. */
  private readonly waitingShells = new Set<TerminalOutput>();
  private readonly waitingRuns = new Set<TerminalOutput>();
  private waking = false;

  constructor(
    readonly limits: FlowLimits = FLOW_CONTROL,
    /** The windows connected now; the slowest one's count is the budget's. */
    readonly windows: () => Iterable<string> = () => [DEFAULT_WINDOW],
  ) {}

  /** Characters sent to every terminal and not yet acknowledged by the slowest connected window. */
  get unacknowledgedChars(): number {
    let most = 0;
    for (const window of this.windows()) most = Math.max(most, this.unacknowledgedBy.get(window) ?? 0);
    return most;
  }

  /** Terminals waiting for room. */
  get waiting(): number {
    return this.waitingShells.size + this.waitingRuns.size;
  }

  /** Whether the window can take more now. */
  hasRoom(): boolean {
    return this.unacknowledgedChars < this.limits.windowHighChars;
  }

  /** A terminal's count for `window` changed by `chars` (sent: positive, acknowledged or forgotten: negative). */
  count(window: string, chars: number): void {
    const total = Math.max(0, (this.unacknowledgedBy.get(window) ?? 0) + chars);
    if (total === 0) this.unacknowledgedBy.delete(window);
    else this.unacknowledgedBy.set(window, total);
  }

  /** `output` holds back until {@link wake} gives it its turn. */
  wait(output: TerminalOutput): void {
    (output.interactive ? this.waitingShells : this.waitingRuns).add(output);
  }

  stopWaiting(output: TerminalOutput): void {
    this.waitingShells.delete(output);
    this.waitingRuns.delete(output);
  }

  /**
   * Once the window is below its low mark, lets waiting terminals send, shells first, then run
   * terminals in the order they began to wait, until it is full again. One that fills it goes back to
   * the end of the line (round robin: 300 hosts each get their turn).
   */
  wake(): void {
    if (this.waking || this.unacknowledgedChars >= this.limits.windowLowChars) return;
    this.waking = true;
    try {
      for (const output of [...this.waitingShells, ...this.waitingRuns]) {
        if (!this.hasRoom()) break;
        output.takeTurn();
      }
    } finally {
      this.waking = false;
    }
  }
}

/**
 * One terminal's output stream. `source` is paused above the high watermark; without a source the
 * stream keeps only the newest output while the renderer is behind and sends it after
 * {@link truncationMarker}. Shares `budget` with every other terminal of the console.
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
  /**
   * Holding back (the source paused, or a run's newest output kept in `tail`), and why: this
   * terminal's own backlog (it goes on once that is acknowledged), or the window's budget (it waits
   * its turn in the budget's line).
   */
  private heldFor: 'own' | 'window' | undefined;
  private tail = '';
  private droppedChars = 0;
  private disposed = false;
  private readonly budget: WindowBudget;

  constructor(
    private readonly send: (data: string) => void,
    private readonly source: PausableSource | null,
    private readonly limits: FlowLimits = FLOW_CONTROL,
    /** The windows connected now (each sent every batch); one window unless the adapter says more. */
    private readonly windows: () => Iterable<string> = () => [DEFAULT_WINDOW],
    /** The console's budget across its terminals; by default this terminal's own. */
    budget?: WindowBudget,
  ) {
    this.budget = budget ?? new WindowBudget(limits, windows);
  }

  /** A shell a person types in (its source can be paused), as opposed to a run's output. */
  get interactive(): boolean {
    return this.source !== null;
  }

  /** Characters sent but not yet acknowledged by the slowest connected window. */
  get unacknowledgedChars(): number {
    let most = 0;
    for (const window of this.windows()) most = Math.max(most, this.unacknowledgedBy.get(window) ?? 0);
    return most;
  }

  get paused(): boolean {
    return this.heldFor !== undefined && this.source !== null;
  }

  /** Characters not sent and no longer kept (run output only) since the view last caught up. */
  get dropped(): number {
    return this.droppedChars;
  }

  /** Raw bytes from a channel; a UTF-8 character split across chunks is never split in the text. */
  pushBytes(chunk: Buffer): void {
    this.pushText(this.decoder.write(chunk));
  }

  pushText(text: string): void {
    if (this.disposed || text.length === 0) return;
    if (this.heldFor && !this.source) {
      this.keep(text);
      return;
    }
    this.pending += text;
    // A paused shell's last chunks (in flight before the pause) wait for its turn.
    if (this.heldFor) return;
    if (this.pending.length >= this.limits.batchMaxChars) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.limits.batchIntervalMs);
  }

  /** Sends what is waiting now, if this terminal and its window have room and no other terminal waits first. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending || this.disposed || this.heldFor) return;
    // Others waiting for the window go first: a terminal that just has output does not jump the line.
    if (!this.budget.hasRoom() || this.budget.waiting > 0) {
      this.holdBack('window');
      return;
    }
    this.sendPending();
  }

  /** A window (`windowId`) has parsed `chars` more characters. */
  acknowledge(chars: number, windowId: string = DEFAULT_WINDOW): void {
    const before = this.unacknowledgedBy.get(windowId);
    if (before === undefined) return;
    this.setCount(windowId, Math.max(0, before - chars));
    this.caughtUp();
  }

  /** A window went away: what it had not acknowledged never will be; the others still count. */
  forgetWindow(windowId: string): void {
    this.setCount(windowId, undefined);
    this.caughtUp();
  }

  /**
   * The renderer went away (a closed browser tab, a reloaded window): nothing in flight will be
   * acknowledged, so start counting afresh rather than stay paused for ever.
   */
  resetAcknowledgements(): void {
    for (const window of [...this.unacknowledgedBy.keys()]) this.setCount(window, undefined);
    this.caughtUp();
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
    this.tail = '';
    this.budget.stopWaiting(this);
    // What it had in flight no longer holds the window back.
    for (const window of [...this.unacknowledgedBy.keys()]) this.setCount(window, undefined);
    this.budget.wake();
  }

  /**
   * Its turn in the window (from {@link WindowBudget.wake}): unless its own watermark still holds it,
   * a shell resumes, a run's terminal sends the line about what it did not show and its tail.
   */
  takeTurn(): void {
    if (!this.heldFor || this.disposed) return;
    this.heldFor = undefined;
    this.budget.stopWaiting(this);
    if (this.source) this.source.resume();
    else {
      const marker = this.droppedChars > 0 ? truncationMarker(this.droppedChars) : '';
      this.pending = marker + this.tail + this.pending;
      this.tail = '';
      this.droppedChars = 0;
    }
    if (this.pending) this.sendPending();
  }

  private sendPending(): void {
    const data = this.pending;
    this.pending = '';
    for (const window of this.windows()) this.setCount(window, (this.unacknowledgedBy.get(window) ?? 0) + data.length);
    this.send(data);
    if (this.unacknowledgedChars > this.limits.highWatermarkChars) this.holdBack('own');
    else if (!this.budget.hasRoom()) this.holdBack('window');
  }

  /**
   * Some of its output was acknowledged (or will never be): below its low watermark, a terminal held
   * back by its own backlog goes on, at once if the window has room and nobody waits, else in the
   * window's line; then the window lets whoever waits go.
   */
  private caughtUp(): void {
    if (this.heldFor === 'own' && this.unacknowledgedChars < this.limits.lowWatermarkChars) {
      if (this.budget.hasRoom() && this.budget.waiting === 0) this.takeTurn();
      else {
        this.heldFor = 'window';
        this.budget.wait(this);
      }
    }
    this.budget.wake();
  }

  private setCount(window: string, chars: number | undefined): void {
    const before = this.unacknowledgedBy.get(window) ?? 0;
    if (chars === undefined) this.unacknowledgedBy.delete(window);
    else this.unacknowledgedBy.set(window, chars);
    this.budget.count(window, (chars ?? 0) - before);
  }

  private holdBack(reason: 'own' | 'window'): void {
    if (this.heldFor) return;
    this.heldFor = reason;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.source) this.source.pause();
    else {
      const waiting = this.pending;
      this.pending = '';
      this.keep(waiting);
    }
    if (reason === 'window') this.budget.wait(this);
  }

  /** Keeps the newest {@link FLOW_CONTROL.heldTailChars} of a held-back run's output, from a line start; counts the rest. */
  private keep(text: string): void {
    this.tail += text;
    const limit = this.limits.heldTailChars;
    if (this.tail.length <= limit) return;
    let cut = this.tail.length - limit;
    const lineStart = this.tail.indexOf('\n', cut);
    // From a line start, so no escape sequence is cut in two (unless the line is very long).
    if (lineStart >= 0 && lineStart - cut < 4096) cut = lineStart + 1;
    this.droppedChars += cut;
    this.tail = this.tail.slice(cut);
  }
}

/** Which way a message goes to a window: at once, or in order with terminal output. */
export type SendLane = 'control' | 'output';

/**
 * The lane of an event: terminal events keep their order with terminal output (a terminal is opened
 * before its output and closed after it); run events, prompts, notices and the rest go at once.
 */
export function laneOfEvent(name: string): SendLane {
  return name.startsWith('terminal:') ? 'output' : 'control';
}

/**
 * The lane of a reply: `terminal:list`'s must come after the output sent before it (the page drops
 * the output it gets before that reply, which has it already); every other reply goes at once.
 */
export function laneOfReply(command: unknown): SendLane {
  return command === 'terminal:list' ? 'output' : 'control';
}

/** What a socket may hold of terminal output before the rest waits in its {@link WindowSender}. */
export const SOCKET_OUTPUT_BYTES = 256 * 1024;

/**
 * One window's messages over a socket that reports what it has not sent yet (browser mode's
 * WebSocket): terminal output is written only while the socket holds less than `maxBuffered`, the
 * rest waits here in its order; everything else is written at once, so a run event is never behind
 * more than `maxBuffered` of output. What waits here is bounded by the window budget (output counts
 * as unacknowledged from the moment it is handed over). Electron's IPC reports nothing of the kind:
 * there the window budget alone bounds what a run event can be behind.
 */
export class WindowSender {
  private readonly queue: string[] = [];
  private queued = 0;

  constructor(
    /** Writes a message; `written` once the socket has taken it. */
    private readonly write: (text: string, written: () => void) => void,
    /** What the socket holds, not yet sent. */
    private readonly buffered: () => number,
    private readonly maxBuffered: number = SOCKET_OUTPUT_BYTES,
  ) {}

  /** Characters of output waiting here for the socket. */
  get queuedChars(): number {
    return this.queued;
  }

  send(text: string, lane: SendLane): void {
    if (lane === 'control') {
      this.write(text, this.drain);
      return;
    }
    this.queue.push(text);
    this.queued += text.length;
    this.drain();
  }

  /** Drops what waits (the socket closed). */
  clear(): void {
    this.queue.length = 0;
    this.queued = 0;
  }

  private readonly drain = (): void => {
    while (this.queue.length > 0 && this.buffered() < this.maxBuffered) {
      const text = this.queue.shift()!;
      this.queued -= text.length;
      this.write(text, this.drain);
    }
  };
}
