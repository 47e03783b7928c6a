/**
 * Every xterm.js terminal of the console, kept outside React: a terminal outlives the component
 * showing it (switching tabs or screens must not lose its screen and scrollback), and its bytes go
 * from the API straight into xterm, never into React or zustand state.
 *
 * Flow control: each batch is acknowledged inside `term.write(data, callback)`, i.e. once xterm has
 * parsed it, so main (electron/app/flow.ts) knows exactly how far the view is behind.
 *
 * A terminal is opened (given its DOM and renderer) only when first shown. Until then xterm parses
 * into its buffer alone: a run on 300 hosts keeps 300 buffers but renders only the tabs looked at,
 * instead of 300 off-screen renderers (the page's DOM and its input delay grew with every host).
 */
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Terminal, type ITheme } from '@xterm/xterm';
import type { TerminalInfo } from '../../electron/api/contract';
import type { ApiClient } from '../api/client';

const THEME: ITheme = {
  background: '#0f1419',
  foreground: '#d6dde6',
  cursor: '#9ccfd8',
  selectionBackground: '#3a4a5c',
};

interface Entry {
  info: TerminalInfo;
  terminal: Terminal;
  fit: FitAddon;
  search: SearchAddon;
  element: HTMLDivElement;
  /** Whether `terminal.open(element)` ran: a terminal is opened the first time it is shown. */
  opened: boolean;
  disposers: Array<() => void>;
  /** Lines written so far (line feeds), to tell when the oldest have left the scrollback. */
  lines: number;
}

/** Lines a terminal keeps above its screen. */
export const SCROLLBACK_LINES = 10_000;

export class TerminalRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly client: ApiClient,
    /** Off-screen home of terminals that are not shown, so xterm can measure and keep rendering. */
    private readonly parking: HTMLElement,
  ) {}

  has(terminalId: string): boolean {
    return this.entries.has(terminalId);
  }

  /** Creates the terminal for `info` unless it exists. */
  ensure(info: TerminalInfo): void {
    if (this.entries.has(info.terminalId)) return;
    const element = document.createElement('div');
    element.className = 'xterm-host';
    element.dataset.terminalId = info.terminalId;
    const readOnly = info.kind === 'run-output';
    const terminal = new Terminal({
      scrollback: SCROLLBACK_LINES,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace',
      fontSize: 13,
      theme: THEME,
      disableStdin: readOnly,
      cursorBlink: !readOnly,
      cursorStyle: readOnly ? 'underline' : 'block',
      allowProposedApi: true,
    });
    const fit = new FitAddon();
    const search = new SearchAddon();
    terminal.loadAddon(fit);
    terminal.loadAddon(search);
    const disposers: Array<() => void> = [];
    if (!readOnly) {
      const input = terminal.onData((data) => void this.client.call('terminal:write', { terminalId: info.terminalId, data }));
      const resize = terminal.onResize(({ cols, rows }) => void this.client.call('terminal:resize', { terminalId: info.terminalId, cols, rows }));
      disposers.push(
        () => input.dispose(),
        () => resize.dispose(),
      );
    }
    this.entries.set(info.terminalId, { info, terminal, fit, search, element, opened: false, disposers, lines: 0 });
  }

  /** Whether the terminal has been shown at least once (and so has a renderer). */
  isOpened(terminalId: string): boolean {
    return this.entries.get(terminalId)?.opened ?? false;
  }

  /** Writes a batch from main; acknowledged once xterm has parsed it. */
  write(terminalId: string, data: string): void {
    const ack = () => void this.client.call('terminal:ack', { terminalId, chars: data.length });
    const entry = this.entries.get(terminalId);
    if (!entry) {
      // Nobody will ever parse it: acknowledge so the source is not held back for nothing.
      ack();
      return;
    }
    for (let index = data.indexOf('\n'); index >= 0; index = data.indexOf('\n', index + 1)) entry.lines += 1;
    entry.terminal.write(data, ack);
  }

  /** Acknowledges a batch without showing it (a replay that follows has it already). */
  skip(terminalId: string, data: string): void {
    void this.client.call('terminal:ack', { terminalId, chars: data.length });
  }

  /**
   * A terminal as a reloaded or reconnected window gets it back: its screen replaced by the newest
   * part of what it showed (not acknowledged: the server never counted it), with a line saying how
   * much older output is not shown.
   */
  replay(info: TerminalInfo, recent: string, omittedChars: number): void {
    this.ensure(info);
    const entry = this.entries.get(info.terminalId)!;
    entry.terminal.reset();
    entry.lines = 0;
    for (let index = recent.indexOf('\n'); index >= 0; index = recent.indexOf('\n', index + 1)) entry.lines += 1;
    if (omittedChars > 0) {
      const where = info.kind === 'shell' ? 'the terminal’s recording' : 'the journal (Audit)';
      entry.terminal.write(`\x1b[2m[${omittedChars.toLocaleString('en')} earlier characters not shown here; all of it is in ${where}]\x1b[0m\r\n`);
    }
    entry.terminal.write(recent);
  }

  /** How many of the lines written are no longer in the terminal (past its scrollback). */
  linesDropped(terminalId: string): number {
    const entry = this.entries.get(terminalId);
    if (!entry) return 0;
    return Math.max(0, entry.lines - (SCROLLBACK_LINES + entry.terminal.rows - 1));
  }

  /** Shows the terminal in `container`; returns the function that takes it back off screen. */
  attach(terminalId: string, container: HTMLElement): () => void {
    const entry = this.entries.get(terminalId);
    if (!entry) return () => undefined;
    container.appendChild(entry.element);
    if (!entry.opened) {
      // In the container, so xterm measures its real size from the start.
      entry.terminal.open(entry.element);
      entry.opened = true;
    }
    const fitNow = () => {
      try {
        if (container.clientWidth > 0 && container.clientHeight > 0) entry.fit.fit();
      } catch {
        // A container being removed has no size; the next attach fits again.
      }
    };
    fitNow();
    const observer = new ResizeObserver(() => fitNow());
    observer.observe(container);
    if (!entry.terminal.options.disableStdin) entry.terminal.focus();
    return () => {
      observer.disconnect();
      if (entry.element.parentElement === container) this.parking.appendChild(entry.element);
    };
  }

  /** Highlights the next (or previous) match in the scrollback; false when there is none. */
  find(terminalId: string, text: string, direction: 'next' | 'previous'): boolean {
    const entry = this.entries.get(terminalId);
    if (!entry?.opened || !text) return false;
    const options = {
      caseSensitive: false,
      decorations: { matchOverviewRuler: '#d7a94b', activeMatchColorOverviewRuler: '#f2c14e', matchBackground: '#5a4a1f', activeMatchBackground: '#a07f22' },
    };
    return direction === 'next' ? entry.search.findNext(text, options) : entry.search.findPrevious(text, options);
  }

  clearSearch(terminalId: string): void {
    const entry = this.entries.get(terminalId);
    if (entry?.opened) entry.search.clearDecorations();
  }

  /** The selected text, or the whole visible screen when nothing is selected. */
  selection(terminalId: string): string {
    const entry = this.entries.get(terminalId);
    if (!entry) return '';
    if (!entry.opened) return this.text(terminalId);
    if (entry.terminal.hasSelection()) return entry.terminal.getSelection();
    entry.terminal.selectAll();
    const text = entry.terminal.getSelection();
    entry.terminal.clearSelection();
    return text;
  }

  /** The text in the terminal's buffer (tests and copy-all). */
  text(terminalId: string): string {
    const entry = this.entries.get(terminalId);
    if (!entry) return '';
    const buffer = entry.terminal.buffer.active;
    const lines: string[] = [];
    for (let index = 0; index < buffer.length; index++) lines.push(buffer.getLine(index)?.translateToString(true) ?? '');
    return lines.join('\n');
  }

  /** Writes a line of the console's own (not from the host), e.g. that the connection closed. */
  notice(terminalId: string, text: string): void {
    this.entries.get(terminalId)?.terminal.write(`\r\n\x1b[2m[${text}]\x1b[0m\r\n`);
  }

  dispose(terminalId: string): void {
    const entry = this.entries.get(terminalId);
    if (!entry) return;
    for (const dispose of entry.disposers) dispose();
    entry.terminal.dispose();
    entry.element.remove();
    this.entries.delete(terminalId);
  }

  disposeAll(): void {
    for (const terminalId of [...this.entries.keys()]) this.dispose(terminalId);
  }
}

let registry: TerminalRegistry | undefined;

export function terminals(): TerminalRegistry {
  if (!registry) throw new Error('The terminal registry is not set up yet.');
  return registry;
}

export function setTerminalRegistry(value: TerminalRegistry | undefined): void {
  registry = value;
}
