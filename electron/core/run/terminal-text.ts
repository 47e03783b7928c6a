/**
 * Run events as terminal text: one rendering for everything that shows a run in a terminal. The
 * console's run-output terminal of a host and that host's transcript both take
 * {@link HostTerminalText} (so replaying a transcript shows what the operator saw), and the CLI's log
 * ({@link RunLog}) is built from the same step heading, command echo and result lines.
 *
 * Text from hosts or rendered from captures (titles, keys, commands, reasons) goes through
 * {@link forTerminal}: shown, never obeyed. A command's own output is passed through as it came in
 * the console and the transcripts (a terminal emulator shows its colours); the CLI writes to the
 * operator's own terminal and sanitises it too.
 *
 * Node-free: nothing here touches a stream or a file.
 */
import { describeApprovalEvent } from '../approval/words';
import type { RunEvent, StepFinishedEvent, StepStartedEvent } from '../audit/events';
import { formatMs } from './format';

/** Colours, or none (NO_COLOR, not a terminal). */
export interface Style {
  bold: (text: string) => string;
  dim: (text: string) => string;
  green: (text: string) => string;
  red: (text: string) => string;
  yellow: (text: string) => string;
  cyan: (text: string) => string;
}

export function makeStyle(enabled: boolean): Style {
  const wrap = (code: string) => (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { bold: wrap('1'), dim: wrap('2'), green: wrap('32'), red: wrap('31'), yellow: wrap('33'), cyan: wrap('36') };
}

/**
 * Text made safe for a terminal: escape sequences (set the title, write the clipboard with OSC 52,
 * DCS, queries that make the terminal answer as if typed) and other control characters are shown, not
 * obeyed — `^[` for ESC, `^X` for the rest. The journal and the transcript keep output as it was.
 */
export function forTerminal(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/g, (character) => {
    const code = character.charCodeAt(0);
    if (code === 0x7f) return '^?';
    if (code >= 0x80) return `\\x${code.toString(16)}`;
    return `^${String.fromCharCode(code + 64)}`;
  });
}

/** Terminal text as a terminal needs it: every new line `\r\n` (the texts here use `\n`). */
export function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

const STATUS_MARK: Record<string, string> = {
  succeeded: 'ok',
  failed: 'FAILED',
  skipped: 'skipped',
  interrupted: 'INTERRUPTED',
};

/** The line that opens a step: its title, key and hosts. */
export function stepHeading(event: StepStartedEvent, style: Style): string {
  // Titles render captures, which came from a host: shown, never obeyed.
  return `\n${style.cyan('==>')} ${style.bold(forTerminal(event.title))} ${style.dim(`[${forTerminal(event.step)}]`)}${event.hosts.length ? style.dim(` on ${forTerminal(event.hosts.join(', '))}`) : ''}\n`;
}

/** The command as it was sent (secrets masked), continuation lines indented under it. */
export function commandEcho(command: string, style: Style, indent = ''): string {
  return `${style.dim(`${indent}$ ${forTerminal(command).replace(/\n/g, `\n${indent}  `)}`)}\n`;
}

/** How a step ended: its mark, key, duration and reason, each failed check, each capture. */
export function stepResult(event: StepFinishedEvent, style: Style): string {
  const mark = STATUS_MARK[event.status] ?? event.status;
  const colour = event.status === 'succeeded' ? style.green : event.status === 'skipped' ? style.dim : style.red;
  // Reasons and check details quote the host's output: shown, never obeyed.
  const lines = [`${colour(`<== ${mark}`)} ${style.dim(`[${forTerminal(event.step)}] ${formatMs(event.durationMs)}`)}${event.reason ? ` ${forTerminal(event.reason)}` : ''}`];
  for (const check of event.checks.filter((check) => !check.ok)) {
    lines.push(style.red(`    check failed: ${forTerminal(check.name)}${check.detail ? ` — found: ${forTerminal(check.detail)}` : ''}`));
  }
  for (const [name, value] of Object.entries(event.captures)) lines.push(style.dim(`    captured ${forTerminal(name)} = ${forTerminal(preview(value))}`));
  return `${lines.join('\n')}\n`;
}

/**
 * The terminal of each host of a run: what the console's run-output terminal shows and what the
 * host's transcript records, from the same events. Newlines are `\n`; see {@link crlf}.
 */
export class HostTerminalText {
  private readonly hostsOfStep = new Map<string, Set<string>>();
  /** Hosts whose terminal is in the middle of a line (output that did not end its last line). */
  private readonly midLine = new Set<string>();

  constructor(private readonly style: Style = makeStyle(true)) {}

  /** The text each host's terminal gets for this event (none for most events). */
  render(event: RunEvent): Array<{ host: string; text: string }> {
    const pieces = this.pieces(event);
    for (const piece of pieces) {
      // A colour reset after the last new line does not leave the line open.
      if (piece.text.replace(/\x1b\[0m$/, '').endsWith('\n')) this.midLine.delete(piece.host);
      else if (piece.text !== '') this.midLine.add(piece.host);
    }
    return pieces;
  }

  private pieces(event: RunEvent): Array<{ host: string; text: string }> {
    switch (event.type) {
      case 'step.started': {
        this.hostsOfStep.set(event.step, new Set(event.hosts));
        const heading = stepHeading(event, this.style);
        return event.hosts.map((host) => ({ host, text: heading }));
      }
      case 'step.command':
        this.hostsOfStep.get(event.step)?.add(event.host);
        return [{ host: event.host, text: this.lineStart(event.host) + commandEcho(event.command, this.style) }];
      case 'step.output':
        return [{ host: event.host, text: event.stream === 'stderr' ? this.style.red(event.data) : event.data }];
      case 'step.finished': {
        const hosts = this.hostsOfStep.get(event.step);
        this.hostsOfStep.delete(event.step);
        if (!hosts) return [];
        const result = stepResult(event, this.style);
        return [...hosts].map((host) => ({ host, text: this.lineStart(host) + result }));
      }
      default:
        return [];
    }
  }

  /** A new line first when the host's last output did not end its line: a result must not run into it. */
  private lineStart(host: string): string {
    return this.midLine.has(host) ? '\n' : '';
  }
}

/**
 * The one log of a run for a terminal (the CLI): every step's heading, each host's output, prefixed
 * by the host when several run at once, and a result per step, with operator actions and notes.
 */
export class RunLog {
  private readonly hostsOfStep = new Map<string, string[]>();
  private readonly partialLines = new Map<string, string>();

  constructor(private readonly style: Style) {}

  render(event: RunEvent): string {
    const s = this.style;
    switch (event.type) {
      case 'run.started':
        return (
          `${s.bold(`Run ${event.runId}`)}: ${forTerminal(event.runbook.title)} (${event.runbook.id} ${forTerminal(event.runbook.version)})\n` +
          `  environment ${event.environment.name}${event.environment.lab ? ' [LAB]' : ''}, profile ${event.environment.profile}, operator ${event.operator}\n`
        );
      case 'step.started':
        this.hostsOfStep.set(event.step, event.hosts);
        return stepHeading(event, s);
      case 'step.command':
        return commandEcho(event.command, s, this.prefix(event.step, event.host));
      case 'step.output':
        return this.output(event.step, event.host, event.stream, event.data);
      case 'step.awaiting':
        return '';
      case 'step.finished':
        return this.flushPartials(event.step) + stepResult(event, s);
      case 'operator.action':
        return s.dim(
          `${forTerminal(`    ${event.operator}: ${event.action}${event.step ? ` ${event.step}` : ''}${event.choice ? ` -> ${event.choice}` : ''}${event.reason ? ` (${event.reason})` : ''}${event.note ? ` (${event.note})` : ''}`)}\n`,
        );
      case 'run.note': {
        const colour = event.level === 'error' ? s.red : event.level === 'warning' ? s.yellow : s.dim;
        return colour(`    ${event.level === 'info' ? '' : `${event.level}: `}${forTerminal(event.message)}\n`);
      }
      case 'run.finished': {
        const colour = event.status === 'succeeded' ? s.green : s.red;
        return `\n${colour(s.bold(`Run ${event.status}`))} after ${formatMs(event.durationMs)}${event.reason ? `: ${forTerminal(event.reason)}` : ''}\n`;
      }
      case 'step.remote':
        return '';
      case 'run.snapshot':
        return s.dim(`    state snapshot (${forTerminal(event.label)}): ${event.probes.length} probes\n`);
      case 'approval.requested':
      case 'approval.granted':
      case 'approval.refused':
      case 'approval.not-counted':
        return s.yellow(`    ${forTerminal(describeApprovalEvent(event))}\n`);
      case 'approval.overridden':
        return s.red(s.bold(`    ${forTerminal(describeApprovalEvent(event))}\n`));
    }
  }

  private prefix(step: string, host: string): string {
    const hosts = this.hostsOfStep.get(step) ?? [];
    return hosts.length > 1 ? `${host} | ` : '    ';
  }

  private output(step: string, host: string, stream: 'stdout' | 'stderr', data: string): string {
    const key = `${step}\0${host}\0${stream}`;
    const text = (this.partialLines.get(key) ?? '') + forTerminal(data);
    const lines = text.split('\n');
    this.partialLines.set(key, lines.pop() ?? '');
    const prefix = this.prefix(step, host);
    return lines.map((line) => `${prefix}${stream === 'stderr' ? this.style.yellow(line) : line}\n`).join('');
  }

  private flushPartials(step: string): string {
    let text = '';
    for (const [key, rest] of this.partialLines) {
      const [keyStep, host, stream] = key.split('\0');
      if (keyStep !== step || rest === '') continue;
      text += `${this.prefix(step, host)}${stream === 'stderr' ? this.style.yellow(rest) : rest}\n`;
      this.partialLines.delete(key);
    }
    return text;
  }
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
