/** One domain of the console's api/ contract: a typed part of ConsoleService's handler map (service.ts). */
import path from 'node:path';
import type { TerminalInfo } from '../api/contract';
import { CastWriter, castFileName } from '../core/audit/asciicast';
import { newRunId } from '../core/audit/files';
import { Masker } from '../core/audit/mask';
import { OpsError, userMessageOf } from '../core/errors';
import { environmentSecrets } from '../core/usecases/launch';
import type { TerminalOutput } from './flow';
import { terminalReplayHandlers } from './restore';
import { ServiceContext, type HandlerMap, type LiveTerminal } from './service-context';

/** Terminals (`terminal:*`): host shells the operator types in, recorded (masked) to a transcript, and the flow control of every terminal, run output included. */
export class TerminalHandlers {
  private terminalCounter = 0;

  constructor(private readonly context: ServiceContext) {}

  handlers(): HandlerMap<'terminal:open' | 'terminal:write' | 'terminal:resize' | 'terminal:ack' | 'terminal:close' | 'terminal:list'> {
    return {
      'terminal:open': (request) => this.openTerminal(request.environmentId, request.host, request.cols, request.rows),
      'terminal:write': (request) => {
        const terminal = this.terminalOf(request.terminalId);
        if (!terminal.shell) throw new OpsError('terminal-read-only', 'This terminal shows a run’s output; it takes no input. Open a host terminal to type commands.');
        this.recordTerminal(terminal, (cast) => cast.input(request.data));
        terminal.shell.write(request.data);
        return null;
      },
      'terminal:resize': (request) => {
        this.terminalOf(request.terminalId).shell?.resize(request.cols, request.rows);
        return null;
      },
      'terminal:ack': (request, context) => {
        this.outputOf(request.terminalId)?.acknowledge(request.chars, context.windowId);
        return null;
      },
      'terminal:close': (request) => {
        const terminal = this.context.terminals.get(request.terminalId);
        terminal?.shell?.close();
        return null;
      },
      ...terminalReplayHandlers(this.context.replays),
    };
  }

  /** Writes what a still-open host terminal holds of its recording `file`, so a replay shows its latest output. */
  flushRecording(file: string): void {
    for (const terminal of this.context.terminals.values()) {
      if (terminal.cast && path.resolve(terminal.cast.file) === path.resolve(file)) this.recordTerminal(terminal, (recording) => recording.flush(), true);
    }
  }

  private terminalOf(terminalId: string): LiveTerminal {
    const terminal = this.context.terminals.get(terminalId);
    if (!terminal) throw new OpsError('terminal-not-found', 'That terminal is closed.');
    return terminal;
  }

  private outputOf(terminalId: string): TerminalOutput | undefined {
    const terminal = this.context.terminals.get(terminalId);
    if (terminal) return terminal.output;
    for (const run of this.context.runs.values()) {
      const output = run.outputs.get(terminalId);
      if (output) return output;
    }
    return undefined;
  }

  private async openTerminal(environmentId: string, hostName: string, cols: number, rows: number): Promise<TerminalInfo> {
    const environment = await this.context.environmentOf(environmentId);
    const host = this.context.hostOf(environment, hostName);
    const shell = await this.context.poolOf(environmentId, environment).shell(host, { cols, rows });
    this.terminalCounter += 1;
    const terminalId = `shell:${this.terminalCounter}:${host.name}`;
    const masker = new Masker(environmentSecrets(environment));
    let cast: CastWriter | undefined;
    try {
      cast = CastWriter.create(path.join(this.context.options.auditDir, 'terminals', `${newRunId()}-${castFileName(host.name)}`), masker, {
        width: cols,
        height: rows,
        title: `${host.name} (${environment.name}) by ${this.context.operator}`,
        // A person types here: a password typed at a prompt (echo off) must not reach the recording.
        hideUnechoedInput: true,
      });
    } catch (error) {
      shell.close();
      throw error;
    }
    const info: TerminalInfo = {
      terminalId,
      kind: 'shell',
      host: host.name,
      title: host.name,
      environmentId,
      transcript: cast.file,
    };
    const output = this.context.terminalOutput(terminalId, shell);
    const terminal: LiveTerminal = { info, output, shell, cast };
    this.context.terminals.set(terminalId, terminal);
    // Announced before any output can be sent, so the renderer has a terminal to write it into.
    this.context.emit({ name: 'terminal:opened', payload: info });
    shell.onData((chunk) => {
      // The audit tap comes first: the transcript has every byte whatever the view keeps up with.
      this.recordTerminal(terminal, (recording) => recording.output(chunk));
      output.pushBytes(chunk);
    });
    // The transcript is written in batches; a terminal can sit idle for hours, so write what it has
    // every second rather than lose it to a crash.
    terminal.flushTimer = setInterval(() => this.recordTerminal(terminal, (recording) => recording.flush(), true), TRANSCRIPT_FLUSH_MS);
    shell.onClose(({ exitCode }) => {
      clearInterval(terminal.flushTimer);
      this.recordTerminal(terminal, (recording) => recording.close());
      output.end();
      output.dispose();
      this.context.terminals.delete(terminalId);
      this.context.emit({ name: 'terminal:closed', payload: { terminalId, exitCode } });
    });
    return info;
  }

  /**
   * Writes to a host terminal's recording. A recording the disk refuses must not take the terminal
   * (or the process: these run in ssh2's data handler and a timer) down with it: the writer holds
   * what it could not write, and the terminal says so once, and again when a flush has written it.
   */
  private recordTerminal(terminal: LiveTerminal, write: (cast: CastWriter) => void, writesHeld = false): void {
    if (!terminal.cast) return;
    try {
      write(terminal.cast);
      if (writesHeld && terminal.recordingFailed) {
        terminal.recordingFailed = false;
        terminal.output.pushText('\r\n\x1b[33m[OpsDeck: the recording of this terminal is written again; nothing was lost]\x1b[0m\r\n');
      }
    } catch (error) {
      if (!terminal.recordingFailed) {
        terminal.output.pushText(`\r\n\x1b[33m[OpsDeck: the recording of this terminal cannot be written (${userMessageOf(error)}); the terminal works on]\x1b[0m\r\n`);
      }
      terminal.recordingFailed = true;
    }
  }

  /** Closes every host terminal and its recording (the console is closing). */
  closeAll(): void {
    for (const terminal of this.context.terminals.values()) {
      clearInterval(terminal.flushTimer);
      terminal.shell?.close();
      this.recordTerminal(terminal, (cast) => cast.close());
      terminal.output.dispose();
    }
    this.context.terminals.clear();
  }
}

/** How often an open host terminal's transcript is written to disk. */
const TRANSCRIPT_FLUSH_MS = 1000;
