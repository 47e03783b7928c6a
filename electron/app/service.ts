/**
 * The console's backend: the api/ contract implemented on top of the engine. Electron's main process
 * and the browser-mode server are thin adapters around one ConsoleService: they hand every request to
 * {@link ConsoleService.dispatch} (which validates it) and forward every event to their renderer.
 *
 * Each domain of the contract is its own typed part of the handler map (service-library.ts,
 * service-environments.ts, service-lab.ts, service-runs.ts, service-terminals.ts, service-audit.ts,
 * service-team.ts) over what they share (service-context.ts); the compiler checks that together they
 * handle every command.
 */
import { COMMAND_NAMES, type ApiError, type CommandName, type Result } from '../api/contract';
import { parseRequest } from '../api/schemas';
import { OpsError, ValidationError, codeOf, formatProblem, isOpsError, userMessageOf } from '../core/errors';
import { ParamError } from '../core/run/params';
import { ApprovalHandlers } from './service-approvals';
import { AuditHandlers } from './service-audit';
import { DEFAULT_WINDOW } from './flow';
import { inventoryImportHandlers } from './inventory-import';
import { outputHandlers } from './output';
import { ServiceContext, type CallContext, type ConsoleServiceOptions, type HandlerMap, type ServiceEvent } from './service-context';
import { EnvironmentHandlers } from './service-environments';
import { LabHandlers } from './service-lab';
import { LibraryHandlers } from './service-library';
import { RunHandlers } from './service-runs';
import { TeamHandlers } from './service-team';
import { TerminalHandlers } from './service-terminals';

export type { CallContext, ConsoleServiceOptions, ServiceEvent } from './service-context';

/** The console's backend: one handler map, made of the domains' typed parts. */
export class ConsoleService {
  private readonly context: ServiceContext;
  private readonly lab: LabHandlers;
  private readonly terminals: TerminalHandlers;
  private readonly handlers: HandlerMap<CommandName>;

  constructor(options: ConsoleServiceOptions) {
    this.context = new ServiceContext(options);
    this.lab = new LabHandlers(this.context);
    this.terminals = new TerminalHandlers(this.context);
    const environments = new EnvironmentHandlers(this.context).handlers();
    this.handlers = {
      ...new LibraryHandlers(this.context).handlers(),
      ...environments,
      ...inventoryImportHandlers({
        openEnvironment: (file) => Promise.resolve(environments['environment:open']({ file }, {})),
        profileDirs: options.profileDirs,
      }),
      ...this.lab.handlers(),
      ...new RunHandlers(this.context).handlers(),
      ...this.terminals.handlers(),
      ...new AuditHandlers(this.context).handlers(),
      ...new TeamHandlers(this.context).handlers(),
      ...new ApprovalHandlers(this.context).handlers(),
      ...outputHandlers({ auditDir: options.auditDir, flushRecording: (file) => this.terminals.flushRecording(file) }),
    };
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  onEvent(listener: (event: ServiceEvent) => void): () => void {
    this.context.listeners.add(listener);
    return () => this.context.listeners.delete(listener);
  }

  /**
   * Runs one command from an untrusted caller: the name must be a command of the contract and the
   * payload must pass its schema. Never throws: every failure is an error reply a person can read.
   */
  async dispatch(name: unknown, payload: unknown, context: CallContext = {}): Promise<Result<unknown>> {
    // Never String() the name: an object whose toString is not a function throws from String(), and
    // that rejection once took browser mode down with every run in it.
    if (typeof name !== 'string') {
      return {
        ok: false,
        error: { code: 'unknown-command', userMessage: 'The request was refused: its name must be one of the console\'s commands (a string such as "run:list").' },
      };
    }
    if (!(COMMAND_NAMES as readonly string[]).includes(name)) {
      return { ok: false, error: { code: 'unknown-command', userMessage: `There is no command "${name.slice(0, 80)}".` } };
    }
    const commandName = name as CommandName;
    try {
      const parsed = parseRequest(commandName, payload);
      if (!parsed.ok) return { ok: false, error: { code: 'bad-request', userMessage: parsed.message } };
      const handler = this.handlers[commandName] as (request: unknown, context: CallContext) => unknown;
      return { ok: true, value: await handler(parsed.value, context) };
    } catch (error) {
      return { ok: false, error: toApiError(error) };
    }
  }

  /**
   * The renderer went away (window reloaded, browser tab closed): what it had not acknowledged never
   * will be, so paused shells resume and dropping views start afresh.
   */
  rendererDetached(): void {
    for (const terminal of this.context.terminals.values()) terminal.output.resetAcknowledgements();
    for (const run of this.context.runs.values()) for (const output of run.outputs.values()) output.resetAcknowledgements();
  }

  /** A window connected (browser mode: a socket); terminal output counts its acknowledgements from now on. */
  windowAttached(windowId: string): void {
    this.context.windows.add(windowId);
    // What was sent while no window was connected went nowhere: it must not keep a shell paused.
    for (const output of this.context.allOutputs()) output.forgetWindow(DEFAULT_WINDOW);
  }

  /** A window went away: it no longer holds back any terminal's output. */
  windowDetached(windowId: string): void {
    this.context.windows.delete(windowId);
    for (const output of this.context.allOutputs()) output.forgetWindow(windowId);
  }

  /** Stops runs, terminals, connections and the lab. */
  async close(): Promise<void> {
    for (const run of this.context.runs.values()) {
      if (run.active.status === 'running' || run.active.status === 'paused') run.runner.abort('the console was closed', { rollback: false });
      clearInterval(run.clockTimer);
    }
    this.terminals.closeAll();
    await Promise.all([...this.context.connectors.values()].map((connectors) => connectors.close().catch(() => undefined)));
    this.context.connectors.clear();
    await this.lab.stop();
  }
}

/** Any thrown value as an error reply: expected failures keep their words, bugs are labelled as such. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ParamError) {
    return { code: error.code, userMessage: error.userMessage, problems: error.problems.map((problem) => ({ field: problem.param, message: problem.message })) };
  }
  if (error instanceof ValidationError) {
    return { code: error.code, userMessage: error.userMessage, problems: error.problems.map((problem) => ({ field: problem.file, message: formatProblem(problem) })) };
  }
  if (isOpsError(error)) {
    const problems = (error as OpsError & { problems?: ApiError['problems'] }).problems;
    return { code: codeOf(error), userMessage: error.userMessage, ...(problems ? { problems } : {}) };
  }
  process.stderr.write(`opsdeck: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return { code: 'internal', userMessage: userMessageOf(error) };
}
