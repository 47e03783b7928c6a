import type { RunEvent, StepFinishedEvent } from '../core/audit/events';
import { formatMs } from '../core/run/runner';

/** Colours only for a terminal that asked for none of NO_COLOR. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

export function makeStyle(enabled: boolean): Style {
  const wrap = (code: string) => (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { bold: wrap('1'), dim: wrap('2'), green: wrap('32'), red: wrap('31'), yellow: wrap('33'), cyan: wrap('36') };
}

const STATUS_MARK: Record<string, string> = {
  succeeded: 'ok',
  failed: 'FAILED',
  skipped: 'skipped',
  interrupted: 'INTERRUPTED',
};

/**
 * Turns run events into the live log an operator reads in a terminal: step headers, each host's
 * output prefixed by the host when several hosts run at once, and a result line per step.
 */
export class RunPrinter {
  private readonly hostsOfStep = new Map<string, string[]>();
  private readonly partialLines = new Map<string, string>();
  private stepCount = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly style: Style,
  ) {}

  handle(event: RunEvent): void {
    const s = this.style;
    switch (event.type) {
      case 'run.started':
        this.write(
          `${s.bold(`Run ${event.runId}`)}: ${forTerminal(event.runbook.title)} (${event.runbook.id} ${forTerminal(event.runbook.version)})\n` +
            `  environment ${event.environment.name}${event.environment.lab ? ' [LAB]' : ''}, profile ${event.environment.profile}, operator ${event.operator}\n`,
        );
        return;
      case 'step.started':
        this.stepCount += 1;
        this.hostsOfStep.set(event.step, event.hosts);
        // Titles render captures, which came from a host: shown, never obeyed (as below).
        this.write(`\n${s.cyan('==>')} ${s.bold(forTerminal(event.title))} ${s.dim(`[${forTerminal(event.step)}]`)}${event.hosts.length ? s.dim(` on ${event.hosts.join(', ')}`) : ''}\n`);
        return;
      case 'step.command':
        this.write(s.dim(`${this.prefix(event.step, event.host)}$ ${forTerminal(event.command)}\n`));
        return;
      case 'step.output':
        this.output(event.step, event.host, event.stream, event.data);
        return;
      case 'step.awaiting':
        return;
      case 'step.finished':
        this.flushPartials(event.step);
        this.write(this.finished(event));
        return;
      case 'operator.action':
        this.write(s.dim(`${forTerminal(`    ${event.operator}: ${event.action}${event.step ? ` ${event.step}` : ''}${event.choice ? ` -> ${event.choice}` : ''}${event.reason ? ` (${event.reason})` : ''}${event.note ? ` (${event.note})` : ''}`)}\n`));
        return;
      case 'run.note': {
        const colour = event.level === 'error' ? s.red : event.level === 'warning' ? s.yellow : s.dim;
        this.write(colour(`    ${event.level === 'info' ? '' : `${event.level}: `}${forTerminal(event.message)}\n`));
        return;
      }
      case 'run.finished': {
        const colour = event.status === 'succeeded' ? s.green : s.red;
        this.write(`\n${colour(s.bold(`Run ${event.status}`))} after ${formatMs(event.durationMs)}${event.reason ? `: ${forTerminal(event.reason)}` : ''}\n`);
        return;
      }
    }
  }

  private prefix(step: string, host: string): string {
    const hosts = this.hostsOfStep.get(step) ?? [];
    return hosts.length > 1 ? `${host} | ` : '    ';
  }

  private output(step: string, host: string, stream: 'stdout' | 'stderr', data: string): void {
    const key = `${step}\0${host}\0${stream}`;
    const text = (this.partialLines.get(key) ?? '') + forTerminal(data);
    const lines = text.split('\n');
    this.partialLines.set(key, lines.pop() ?? '');
    const prefix = this.prefix(step, host);
    for (const line of lines) this.write(`${prefix}${stream === 'stderr' ? this.style.yellow(line) : line}\n`);
  }

  private flushPartials(step: string): void {
    for (const [key, rest] of this.partialLines) {
      const [keyStep, host, stream] = key.split('\0');
      if (keyStep !== step || rest === '') continue;
      this.write(`${this.prefix(step, host)}${stream === 'stderr' ? this.style.yellow(rest) : rest}\n`);
      this.partialLines.delete(key);
    }
  }

  private finished(event: StepFinishedEvent): string {
    const s = this.style;
    const mark = STATUS_MARK[event.status] ?? event.status;
    const colour = event.status === 'succeeded' ? s.green : event.status === 'skipped' ? s.dim : s.red;
    // Reasons and check details quote the host's output: shown, never obeyed.
    const lines = [`${colour(`<== ${mark}`)} ${s.dim(`[${event.step}] ${formatMs(event.durationMs)}`)}${event.reason ? ` ${forTerminal(event.reason)}` : ''}`];
    for (const check of event.checks.filter((check) => !check.ok)) {
      lines.push(s.red(`    check failed: ${forTerminal(check.name)}${check.detail ? ` — found: ${forTerminal(check.detail)}` : ''}`));
    }
    const captures = Object.entries(event.captures);
    for (const [name, value] of captures) lines.push(s.dim(`    captured ${name} = ${preview(value)}`));
    return `${lines.join('\n')}\n`;
  }
}

/**
 * A host's output made safe for the operator's own terminal: escape sequences (set the title, write
 * the clipboard with OSC 52, DCS, queries that make the terminal answer as if typed) and other control
 * characters are shown, not obeyed — `^[` for ESC, `^X` for the rest. The journal and the transcript
 * keep the output as it was.
 */
export function forTerminal(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/g, (character) => {
    const code = character.charCodeAt(0);
    if (code === 0x7f) return '^?';
    if (code >= 0x80) return `\\x${code.toString(16)}`;
    return `^${String.fromCharCode(code + 64)}`;
  });
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
