/**
 * What a window that reloads or reconnects needs to show the terminals as they are: every terminal
 * the console holds (open host shells, every run's output per host) and the newest part of what each
 * showed, kept from the service's own `terminal:*` events. The same text the live view got, markers
 * included, so a reloaded window shows what the operator saw; bounded per terminal (the transcript
 * and the journal keep everything).
 *
 * A reply and the events of one connection arrive in the order they were sent, so a window that asks
 * for `terminal:list` drops the `terminal:data` it gets before the reply (the reply has it) and
 * writes everything after: nothing is shown twice, nothing is missed.
 */
import type { TerminalInfo, TerminalReplay } from '../api/contract';
import type { ServiceEvent } from './service-event';

/** The most characters kept per terminal for a replay (~3,000 lines of 80 columns). */
export const REPLAY_CHARS_PER_TERMINAL = 256 * 1024;

interface Kept {
  info: TerminalInfo;
  closed: boolean;
  exitCode?: number | null;
  chunks: string[];
  chars: number;
  omittedChars: number;
}

export class TerminalReplayBook {
  private readonly terminals = new Map<string, Kept>();

  constructor(private readonly maxChars: number = REPLAY_CHARS_PER_TERMINAL) {}

  /** Feeds one service event (subscribe it with `service.onEvent`). */
  observe(event: ServiceEvent): void {
    switch (event.name) {
      case 'terminal:opened':
        if (!this.terminals.has(event.payload.terminalId)) {
          this.terminals.set(event.payload.terminalId, { info: event.payload, closed: false, chunks: [], chars: 0, omittedChars: 0 });
        }
        return;
      case 'terminal:data': {
        const kept = this.terminals.get(event.payload.terminalId);
        if (!kept) return;
        kept.chunks.push(event.payload.data);
        kept.chars += event.payload.data.length;
        this.trim(kept);
        return;
      }
      case 'terminal:closed': {
        const kept = this.terminals.get(event.payload.terminalId);
        // A closed host shell is gone from the server: a reloaded window does not get it back.
        if (kept?.info.kind === 'shell') this.terminals.delete(event.payload.terminalId);
        else if (kept) Object.assign(kept, { closed: true, exitCode: event.payload.exitCode });
        return;
      }
      default:
        return;
    }
  }

  list(): TerminalReplay[] {
    return [...this.terminals.values()].map((kept) => ({
      info: kept.info,
      closed: kept.closed,
      ...(kept.closed ? { exitCode: kept.exitCode ?? null } : {}),
      recent: kept.chunks.join(''),
      omittedChars: kept.omittedChars,
    }));
  }

  /** Drops the oldest output past the bound, from a line start so no escape sequence is cut in two. */
  private trim(kept: Kept): void {
    if (kept.chars <= this.maxChars) return;
    let text = kept.chunks.join('');
    let cut = text.length - this.maxChars;
    const lineStart = text.indexOf('\n', cut);
    if (lineStart >= 0 && lineStart - cut < 4096) cut = lineStart + 1;
    text = text.slice(cut);
    kept.omittedChars += cut;
    kept.chunks = [text];
    kept.chars = text.length;
  }
}

/** The `terminal:list` command over a book. */
export function terminalReplayHandlers(book: TerminalReplayBook): { 'terminal:list': () => TerminalReplay[] } {
  return { 'terminal:list': () => book.list() };
}
