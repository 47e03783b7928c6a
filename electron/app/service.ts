/**
 * The console's backend: the api/ contract implemented on top of the engine. Electron's main process
 * and the browser-mode server are thin adapters around one ConsoleService: they hand every request to
 * {@link ConsoleService.dispatch} (which validates it) and forward every event to their renderer.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  COMMAND_NAMES,
  type ActiveRun,
  type ApiError,
  type AuditRunDetail,
  type AuditRunSummary,
  type CommandName,
  type CommandReply,
  type EnvironmentSummary,
  type EventName,
  type EventPayload,
  type HostCheckResult,
  type LabStatus,
  type LibraryListing,
  type Result,
  type RunEventEnvelope,
  type TerminalInfo,
  type TimelineEntry,
  type Transcript,
  type ValidatedRequest,
} from '../api/contract';
import { parseRequest } from '../api/schemas';
import { CastWriter, castFileName, castPath, readCast } from '../core/audit/asciicast';
import type { JournalRecord, RunEvent, RunStatus } from '../core/audit/events';
import { exportRun } from '../core/audit/export';
import { TRANSCRIPTS_DIR, newRunId } from '../core/audit/files';
import { Masker } from '../core/audit/mask';
import { AuditStore, type RunSummary } from '../core/audit/store';
import { OpsError, ValidationError, codeOf, formatProblem, isOpsError, userMessageOf } from '../core/errors';
import { BUNDLED_PROFILES_DIR, loadEnvironment } from '../core/inventory/environment';
import type { Environment, HostSpec } from '../core/inventory/model';
import { RunbookLibrary } from '../core/runbook/library';
import type { Runbook } from '../core/runbook/model';
import { ParamError, resolveParams } from '../core/run/params';
import type { Runner } from '../core/run/runner';
import { acquireRunLeases, createRunSession, maskerFor } from '../core/run/session';
import {
  HostKeyChangedError,
  HostKeyRevokedError,
  HostKeyUnknownError,
  SshAuthError,
  SshDnsError,
  SshKeyError,
  SshRefusedError,
  SshTimeoutError,
  SshUnreachableError,
} from '../core/ssh/errors';
import { SshPool } from '../core/ssh/pool';
import type { PresentedHostKey, ShellSession } from '../core/ssh/types';
import { TerminalOutput, type FlowLimits, FLOW_CONTROL } from './flow';
import { sshdLabProvider, type LabProvider, type RunningLab } from './lab';
import { buildPlan } from './plan';

export interface ConsoleServiceOptions {
  /** Where journals and terminal transcripts go. */
  auditDir: string;
  bundledRunbooksDir: string;
  /** The operator's own runbooks (created on demand, listed as `user`). */
  userRunbooksDir: string;
  /** Environment files found here are offered (`$OPSDECK_HOME/environments`). */
  environmentsDir?: string;
  /** Environment files given on the command line. */
  environmentFiles?: string[];
  profileDirs?: string[];
  operator?: string;
  lab?: LabProvider;
  flowLimits?: FlowLimits;
}

/** One event as the adapters forward it. */
export type ServiceEvent = { [Name in EventName]: { name: Name; payload: EventPayload<Name> } }[EventName];

type Handlers = { [Name in CommandName]: (request: ValidatedRequest<Name>) => Promise<CommandReply<Name>> | CommandReply<Name> };

interface LiveRun {
  runId: string;
  runner: Runner;
  active: ActiveRun;
  environmentId: string;
  outputs: Map<string, TerminalOutput>;
}

interface LiveTerminal {
  info: TerminalInfo;
  output: TerminalOutput;
  shell?: ShellSession;
  cast?: CastWriter;
  flushTimer?: ReturnType<typeof setInterval>;
}

/** Events kept per run for a renderer that (re)attaches; output is never kept here. */
const MAX_EVENTS_PER_RUN = 20_000;
/** The most transcript text a replay sends; the file keeps everything. */
const MAX_TRANSCRIPT_CHARS = 8 * 1024 * 1024;
/** How often an open host terminal's transcript is written to disk. */
const TRANSCRIPT_FLUSH_MS = 1000;

export class ConsoleService {
  private readonly options: ConsoleServiceOptions;
  private readonly listeners = new Set<(event: ServiceEvent) => void>();
  private readonly environments = new Map<string, Environment>();
  private readonly extraEnvironmentFiles = new Set<string>();
  private readonly pools = new Map<string, SshPool>();
  private readonly presentedKeys = new Map<string, PresentedHostKey>();
  private readonly runs = new Map<string, LiveRun>();
  private readonly terminals = new Map<string, LiveTerminal>();
  private readonly lab: LabProvider;
  private labState: LabStatus['state'] = 'stopped';
  private labMessage: string | undefined;
  private runningLab: RunningLab | undefined;
  private labEnvironmentId: string | undefined;
  private terminalCounter = 0;
  private readonly operator: string;
  private readonly handlers: Handlers;

  constructor(options: ConsoleServiceOptions) {
    this.options = options;
    this.lab = options.lab ?? sshdLabProvider();
    this.operator = options.operator ?? os.userInfo().username;
    for (const file of options.environmentFiles ?? []) this.extraEnvironmentFiles.add(path.resolve(file));
    this.handlers = {
      'library:list': () => this.listLibrary(),
      'environment:list': () => this.listEnvironments(),
      'environment:open': async (request) => {
        const file = path.resolve(request.file);
        const environment = await this.loadEnvironmentFile(file);
        this.extraEnvironmentFiles.add(file);
        this.emit({ name: 'environment:changed', payload: await this.listEnvironments() });
        return summariseEnvironment(file, environment);
      },
      'lab:status': () => this.labStatus(),
      'lab:start': () => this.startLab(),
      'hosts:check': (request) => this.checkHosts(request.environmentId, request.hosts),
      'hosts:acceptKey': (request) => this.acceptHostKey(request.environmentId, request.host, request.fingerprint),
      'run:plan': async (request) => (await this.prepareRun(request.runbookId, request.environmentId, request.params)).plan,
      'run:start': (request) => this.startRun(request),
      'run:list': () => [...this.runs.values()].map((run) => run.active),
      'run:confirm': (request) => ({ matched: this.runOf(request.runId).runner.confirm(request.step, request.text) }),
      'run:completeManual': (request) => {
        this.runOf(request.runId).runner.completeManual(request.step, request.outcome, request.note);
        return null;
      },
      'run:decide': (request) => {
        this.runOf(request.runId).runner.decide(request.step, request.choice);
        return null;
      },
      'run:resolveFailure': (request) => {
        this.runOf(request.runId).runner.resolveFailure(request.step, request.action, request.reason);
        return null;
      },
      'run:pause': (request) => {
        this.runOf(request.runId).runner.pause();
        return null;
      },
      'run:resume': (request) => {
        this.runOf(request.runId).runner.resume();
        return null;
      },
      'run:abort': (request) => {
        this.runOf(request.runId).runner.abort(request.reason, { rollback: request.rollback });
        return null;
      },
      'terminal:open': (request) => this.openTerminal(request.environmentId, request.host, request.cols, request.rows),
      'terminal:write': (request) => {
        const terminal = this.terminalOf(request.terminalId);
        if (!terminal.shell) throw new OpsError('terminal-read-only', 'This terminal shows a run’s output; it takes no input. Open a host terminal to type commands.');
        terminal.cast?.input(request.data);
        terminal.shell.write(request.data);
        return null;
      },
      'terminal:resize': (request) => {
        this.terminalOf(request.terminalId).shell?.resize(request.cols, request.rows);
        return null;
      },
      'terminal:ack': (request) => {
        this.outputOf(request.terminalId)?.acknowledge(request.chars);
        return null;
      },
      'terminal:close': (request) => {
        const terminal = this.terminals.get(request.terminalId);
        terminal?.shell?.close();
        return null;
      },
      'audit:list': () => this.auditStore().list().map(summariseAuditRun),
      'audit:show': (request) => this.auditDetail(request.runId),
      'audit:transcript': (request) => this.transcript(request.runId, request.name),
    };
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  onEvent(listener: (event: ServiceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs one command from an untrusted caller: the name must be a command of the contract and the
   * payload must pass its schema. Never throws: every failure is an error reply a person can read.
   */
  async dispatch(name: unknown, payload: unknown): Promise<Result<unknown>> {
    if (typeof name !== 'string' || !(COMMAND_NAMES as readonly string[]).includes(name)) {
      return { ok: false, error: { code: 'unknown-command', userMessage: `There is no command "${String(name).slice(0, 80)}".` } };
    }
    const commandName = name as CommandName;
    const parsed = parseRequest(commandName, payload);
    if (!parsed.ok) return { ok: false, error: { code: 'bad-request', userMessage: parsed.message } };
    try {
      const handler = this.handlers[commandName] as (request: unknown) => unknown;
      return { ok: true, value: await handler(parsed.value) };
    } catch (error) {
      return { ok: false, error: toApiError(error) };
    }
  }

  /**
   * The renderer went away (window reloaded, browser tab closed): what it had not acknowledged never
   * will be, so paused shells resume and dropping views start afresh.
   */
  rendererDetached(): void {
    for (const terminal of this.terminals.values()) terminal.output.resetAcknowledgements();
    for (const run of this.runs.values()) for (const output of run.outputs.values()) output.resetAcknowledgements();
  }

  /** Stops runs, terminals, connections and the lab. */
  async close(): Promise<void> {
    for (const run of this.runs.values()) {
      if (run.active.status === 'running' || run.active.status === 'paused') run.runner.abort('the console was closed', { rollback: false });
    }
    for (const terminal of this.terminals.values()) {
      clearInterval(terminal.flushTimer);
      terminal.shell?.close();
      terminal.cast?.close();
      terminal.output.dispose();
    }
    this.terminals.clear();
    await Promise.all([...this.pools.values()].map((pool) => pool.close().catch(() => undefined)));
    this.pools.clear();
    if (this.runningLab) await this.runningLab.stop().catch(() => undefined);
    this.runningLab = undefined;
  }

  private emit(event: ServiceEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        process.stderr.write(`opsdeck: an event listener failed: ${userMessageOf(error)}\n`);
      }
    }
  }

  // ---- library -----------------------------------------------------------------------------

  private async loadLibrary(): Promise<RunbookLibrary> {
    const dirs = [this.options.bundledRunbooksDir];
    if (existsSync(this.options.userRunbooksDir)) dirs.push(this.options.userRunbooksDir);
    return RunbookLibrary.load(dirs);
  }

  private async listLibrary(): Promise<LibraryListing> {
    const library = await this.loadLibrary();
    const user = path.resolve(this.options.userRunbooksDir);
    return {
      runbooks: library.list().map((runbook) => ({
        id: runbook.id,
        title: runbook.title,
        version: runbook.version,
        description: runbook.description,
        tags: runbook.tags,
        origin: path.resolve(runbook.file).startsWith(user + path.sep) ? 'user' : 'bundled',
        file: runbook.file,
        params: runbook.params.map(({ source: _source, ...field }) => field),
        requires: runbook.requires,
        stepCount: runbook.steps.length,
        problems: library.problemsOf(runbook.file),
      })),
      problems: library.problems,
      directories: { bundled: this.options.bundledRunbooksDir, user: this.options.userRunbooksDir },
    };
  }

  // ---- environments and hosts --------------------------------------------------------------

  private environmentFiles(): string[] {
    const files = new Set<string>();
    const dir = this.options.environmentsDir;
    if (dir && existsSync(dir)) {
      for (const name of readdirSync(dir).sort()) {
        if (name.endsWith('.yaml') || name.endsWith('.yml')) files.add(path.join(dir, name));
      }
    }
    for (const file of this.extraEnvironmentFiles) files.add(file);
    return [...files];
  }

  private async loadEnvironmentFile(file: string): Promise<Environment> {
    const environment = await loadEnvironment(file, { profileDirs: this.options.profileDirs ?? [BUNDLED_PROFILES_DIR] });
    const previous = this.environments.get(file);
    if (previous && previous.knownHostsFile !== environment.knownHostsFile) {
      await this.pools.get(file)?.close();
      this.pools.delete(file);
    }
    this.environments.set(file, environment);
    return environment;
  }

  private async listEnvironments(): Promise<EnvironmentSummary[]> {
    const summaries: EnvironmentSummary[] = [];
    for (const file of this.environmentFiles()) {
      try {
        summaries.push(summariseEnvironment(file, await this.loadEnvironmentFile(file)));
      } catch (error) {
        // A broken file in the environments directory must not hide the others; it is reported
        // when the operator opens it by name.
        if (!isOpsError(error)) throw error;
      }
    }
    return summaries;
  }

  private async environmentOf(environmentId: string): Promise<Environment> {
    const known = this.environments.get(environmentId);
    if (known) return known;
    if (!this.environmentFiles().includes(environmentId)) {
      throw new OpsError('environment-not-found', `No environment ${environmentId} is open in this console; open its file first.`);
    }
    return this.loadEnvironmentFile(environmentId);
  }

  private poolOf(environmentId: string, environment: Environment): SshPool {
    let pool = this.pools.get(environmentId);
    if (!pool) {
      pool = new SshPool({ knownHostsFile: environment.knownHostsFile });
      this.pools.set(environmentId, pool);
    }
    return pool;
  }

  private hostOf(environment: Environment, name: string): HostSpec {
    const host = environment.hosts.find((candidate) => candidate.name === name);
    if (!host) throw new OpsError('host-not-found', `"${name}" is not a host of environment "${environment.name}".`);
    return host;
  }

  private async checkHosts(environmentId: string, names?: string[]): Promise<HostCheckResult[]> {
    const environment = await this.environmentOf(environmentId);
    const hosts = names ? names.map((name) => this.hostOf(environment, name)) : environment.hosts;
    const pool = this.poolOf(environmentId, environment);
    return Promise.all(
      hosts.map(async (host) => {
        this.emit({ name: 'hosts:checked', payload: { environmentId, host: host.name, state: 'checking' } });
        const result = await this.checkOne(environmentId, pool, host);
        this.emit({ name: 'hosts:checked', payload: result });
        return result;
      }),
    );
  }

  private async checkOne(environmentId: string, pool: SshPool, host: HostSpec): Promise<HostCheckResult> {
    try {
      const presented = await pool.check(host);
      return { environmentId, host: host.name, state: 'ok', keyType: presented.keyType, fingerprint: presented.fingerprint };
    } catch (error) {
      const base = { environmentId, host: host.name, message: userMessageOf(error) };
      if (error instanceof HostKeyUnknownError) {
        this.presentedKeys.set(`${environmentId}\n${host.name}`, error.presented);
        return { ...base, state: 'host-key-unknown', keyType: error.presented.keyType, fingerprint: error.presented.fingerprint };
      }
      if (error instanceof HostKeyChangedError) {
        return { ...base, state: 'host-key-changed', keyType: error.presented.keyType, fingerprint: error.presented.fingerprint, expectedFingerprint: error.expectedFingerprint };
      }
      if (error instanceof HostKeyRevokedError) {
        return { ...base, state: 'host-key-changed', keyType: error.presented.keyType, fingerprint: error.presented.fingerprint };
      }
      if (error instanceof SshAuthError || error instanceof SshKeyError) return { ...base, state: 'auth-failed' };
      if (error instanceof SshRefusedError || error instanceof SshDnsError || error instanceof SshUnreachableError || error instanceof SshTimeoutError) {
        return { ...base, state: 'unreachable' };
      }
      return { ...base, state: 'error' };
    }
  }

  /** Trusts a host key the operator compared; only the exact key last presented, never a changed one. */
  private async acceptHostKey(environmentId: string, hostName: string, fingerprint: string): Promise<HostCheckResult> {
    const environment = await this.environmentOf(environmentId);
    const host = this.hostOf(environment, hostName);
    const presented = this.presentedKeys.get(`${environmentId}\n${hostName}`);
    if (!presented || presented.fingerprint !== fingerprint) {
      throw new OpsError('host-key-not-presented', `${hostName} has not presented the key ${fingerprint} in this console; check the host again and compare the fingerprint shown.`);
    }
    const pool = this.poolOf(environmentId, environment);
    await pool.acceptHostKey(presented);
    this.presentedKeys.delete(`${environmentId}\n${hostName}`);
    const result = await this.checkOne(environmentId, pool, host);
    this.emit({ name: 'hosts:checked', payload: result });
    return result;
  }

  // ---- lab -----------------------------------------------------------------------------------

  private labStatus(): LabStatus {
    const { available, reason } = this.lab.availability();
    return { available, reason, state: this.labState, environmentId: this.labEnvironmentId, message: this.labMessage };
  }

  private async startLab(): Promise<LabStatus> {
    const { available, reason } = this.lab.availability();
    if (!available) throw new OpsError('lab-unavailable', reason ?? 'The lab cannot run on this machine.');
    if (this.labState === 'running' || this.labState === 'starting') return this.labStatus();
    this.labState = 'starting';
    this.labMessage = 'Starting sshd for controller01, compute01 and compute02 on loopback…';
    this.emit({ name: 'lab:status', payload: this.labStatus() });
    try {
      this.runningLab = await this.lab.start();
      const file = path.resolve(this.runningLab.envFile);
      this.extraEnvironmentFiles.add(file);
      this.labEnvironmentId = file;
      this.labState = 'running';
      this.labMessage = undefined;
    } catch (error) {
      this.labState = 'failed';
      this.labMessage = `The lab did not start: ${userMessageOf(error)}`;
      this.emit({ name: 'lab:status', payload: this.labStatus() });
      throw new OpsError('lab-failed', this.labMessage, { cause: error });
    }
    this.emit({ name: 'lab:status', payload: this.labStatus() });
    this.emit({ name: 'environment:changed', payload: await this.listEnvironments() });
    return this.labStatus();
  }

  // ---- runs ----------------------------------------------------------------------------------

  private async prepareRun(runbookId: string, environmentId: string, given: Record<string, unknown>) {
    const library = await this.loadLibrary();
    const runbook: Runbook = library.require(runbookId);
    const ownErrors = library.problemsOf(runbook.file).filter((problem) => problem.severity === 'error');
    if (ownErrors.length > 0) throw new ValidationError(ownErrors, `Runbook ${runbook.file}`);
    const environment = await this.environmentOf(environmentId);
    const params = resolveParams(runbook, given, environment);
    const masker = maskerFor(runbook, environment, params);
    const plan = buildPlan({ runbook, library, environment, environmentId, params, operator: this.operator, masker });
    return { library, runbook, environment, params, plan };
  }

  private async startRun(request: ValidatedRequest<'run:start'>): Promise<ActiveRun> {
    const { library, runbook, environment, params, plan } = await this.prepareRun(request.runbookId, request.environmentId, request.params);
    const ssh = this.poolOf(request.environmentId, environment);
    // Hosts are checked before the journal exists: a run refused here leaves nothing behind.
    const results = await this.checkHosts(request.environmentId, plan.hosts);
    const failing = results.filter((result) => result.state !== 'ok');
    if (failing.length > 0) {
      throw Object.assign(
        new OpsError('hosts-not-ready', `Nothing was run: ${failing.map((result) => result.host).join(', ')} did not pass the host check. Fix that first (see Environment).`),
        { problems: failing.map((result) => ({ field: result.host, message: result.message ?? result.state })) },
      );
    }
    const auditDir = this.options.auditDir;
    mkdirSync(auditDir, { recursive: true });
    // The same host leases as the CLI (<auditDir>/locks): a host another run holds refuses this run
    // before its journal exists, naming the holder (HostLockedError's message).
    const runId = newRunId();
    const leases = await acquireRunLeases({ runbook, library, environment, params, runId, operator: this.operator, auditDir });
    let session: ReturnType<typeof createRunSession>;
    try {
      session = createRunSession({ runbook, library, environment, params, ssh, operator: this.operator, auditDir, onFailure: request.onFailure, runId, leases });
    } catch (error) {
      await leases.release(this.operator).catch(() => undefined);
      throw error;
    }
    const live: LiveRun = {
      runId: session.runId,
      runner: session.runner,
      environmentId: request.environmentId,
      outputs: new Map(),
      active: { runId: session.runId, plan, startedAt: Date.now(), status: 'running', events: [] },
    };
    this.runs.set(session.runId, live);
    session.runner.onEvent((event) => this.onRunEvent(live, event));
    // Started on the next turn, so the reply (with the run id) reaches the renderer before the events.
    setTimeout(() => {
      session.start().then(
        (status) => this.finishRun(live, status),
        (error: unknown) => {
          this.onRunEvent(live, { type: 'run.note', level: 'error', message: userMessageOf(error) });
          this.finishRun(live, 'failed');
        },
      );
    }, 0);
    return live.active;
  }

  private finishRun(live: LiveRun, status: RunStatus): void {
    live.active.status = status;
    for (const output of live.outputs.values()) output.end();
  }

  private runOf(runId: string): LiveRun {
    const run = this.runs.get(runId);
    if (!run) throw new OpsError('run-not-found', `Run ${runId} is not running in this console.`);
    return run;
  }

  private runOutput(live: LiveRun, host: string): TerminalOutput {
    const terminalId = `run:${live.runId}:${host}`;
    let output = live.outputs.get(terminalId);
    if (!output) {
      output = new TerminalOutput((data) => this.emit({ name: 'terminal:data', payload: { terminalId, data } }), null, this.options.flowLimits ?? FLOW_CONTROL);
      live.outputs.set(terminalId, output);
      this.emit({
        name: 'terminal:opened',
        payload: { terminalId, kind: 'run-output', host, title: `${host} · run output`, runId: live.runId, environmentId: live.environmentId },
      });
    }
    return output;
  }

  private onRunEvent(live: LiveRun, event: RunEvent): void {
    switch (event.type) {
      case 'step.output':
        // Output goes to the host's terminal, batched and flow-controlled; never into run state.
        this.runOutput(live, event.host).pushText(
          event.stream === 'stderr' ? `\x1b[31m${event.data.replace(/\r?\n/g, '\r\n')}\x1b[0m` : event.data.replace(/\r?\n/g, '\r\n'),
        );
        return;
      case 'step.started':
        for (const host of event.hosts) {
          this.runOutput(live, host).pushText(`\r\n\x1b[1;36m── ${event.step}: ${event.title}\x1b[0m\r\n`);
        }
        break;
      case 'step.command':
        this.runOutput(live, event.host).pushText(`\x1b[2m$ ${event.command.replace(/\r?\n/g, '\r\n  ')}\x1b[0m\r\n`);
        break;
      case 'run.finished':
        live.active.status = event.status;
        break;
      case 'operator.action':
        if (event.action === 'pause') live.active.status = 'paused';
        if (event.action === 'resume') live.active.status = 'running';
        break;
    }
    const envelope: RunEventEnvelope = { runId: live.runId, at: Date.now(), event };
    if (live.active.events.length < MAX_EVENTS_PER_RUN) live.active.events.push(envelope);
    this.emit({ name: 'run:event', payload: envelope });
  }

  // ---- host terminals --------------------------------------------------------------------------

  private terminalOf(terminalId: string): LiveTerminal {
    const terminal = this.terminals.get(terminalId);
    if (!terminal) throw new OpsError('terminal-not-found', 'That terminal is closed.');
    return terminal;
  }

  private outputOf(terminalId: string): TerminalOutput | undefined {
    const terminal = this.terminals.get(terminalId);
    if (terminal) return terminal.output;
    for (const run of this.runs.values()) {
      const output = run.outputs.get(terminalId);
      if (output) return output;
    }
    return undefined;
  }

  private async openTerminal(environmentId: string, hostName: string, cols: number, rows: number): Promise<TerminalInfo> {
    const environment = await this.environmentOf(environmentId);
    const host = this.hostOf(environment, hostName);
    const shell = await this.poolOf(environmentId, environment).shell(host, { cols, rows });
    this.terminalCounter += 1;
    const terminalId = `shell:${this.terminalCounter}:${host.name}`;
    const masker = new Masker([
      ...Object.values(environment.secrets),
      ...environment.hosts.flatMap((candidate) => [candidate.passphrase, candidate.password]),
    ]);
    let cast: CastWriter | undefined;
    try {
      cast = CastWriter.create(path.join(this.options.auditDir, 'terminals', `${newRunId()}-${castFileName(host.name)}`), masker, {
        width: cols,
        height: rows,
        title: `${host.name} (${environment.name}) by ${this.operator}`,
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
    const output = new TerminalOutput((data) => this.emit({ name: 'terminal:data', payload: { terminalId, data } }), shell, this.options.flowLimits ?? FLOW_CONTROL);
    const terminal: LiveTerminal = { info, output, shell, cast };
    this.terminals.set(terminalId, terminal);
    // Announced before any output can be sent, so the renderer has a terminal to write it into.
    this.emit({ name: 'terminal:opened', payload: info });
    shell.onData((chunk) => {
      // The audit tap comes first: the transcript has every byte whatever the view keeps up with.
      cast?.output(chunk);
      output.pushBytes(chunk);
    });
    // The transcript is written in batches; a terminal can sit idle for hours, so write what it has
    // every second rather than lose it to a crash.
    terminal.flushTimer = setInterval(() => cast?.flush(), TRANSCRIPT_FLUSH_MS);
    shell.onClose(({ exitCode }) => {
      clearInterval(terminal.flushTimer);
      output.end();
      output.dispose();
      cast?.close();
      this.terminals.delete(terminalId);
      this.emit({ name: 'terminal:closed', payload: { terminalId, exitCode } });
    });
    return info;
  }

  // ---- audit -----------------------------------------------------------------------------------

  private auditStore(): AuditStore {
    return new AuditStore(this.options.auditDir);
  }

  private auditDetail(prefix: string): AuditRunDetail {
    const store = this.auditStore();
    const runId = store.resolve(prefix);
    const summary = store.summary(runId);
    if (!summary) throw new OpsError('audit-run-not-found', `Run ${runId} has no readable journal.`);
    const records = store.records(runId);
    const verification = store.verify(runId);
    const transcriptsDir = path.join(store.runDir(runId), TRANSCRIPTS_DIR);
    const transcripts = existsSync(transcriptsDir)
      ? readdirSync(transcriptsDir).filter((name) => name.endsWith('.cast')).map((name) => name.slice(0, -'.cast'.length)).sort()
      : [];
    return {
      summary: summariseAuditRun(summary),
      verification: {
        ok: verification.ok,
        records: verification.records,
        finished: verification.finished,
        problems: verification.problems,
        lastHash: verification.lastHash,
      },
      report: exportRun(records, 'md', { verification, live: summary.live }),
      timeline: records.filter((record) => record.type !== 'step.output').map(timelineEntry),
      transcripts,
    };
  }

  private transcript(prefix: string, name: string): Transcript {
    const store = this.auditStore();
    const runId = store.resolve(prefix);
    const file = castPath(store.runDir(runId), name);
    // castFileName() turns any name into a safe file name; make sure it still names this run's file.
    if (path.basename(file) !== `${name}.cast` || !existsSync(file)) {
      throw new OpsError('transcript-not-found', `Run ${runId} has no transcript "${name}".`);
    }
    const cast = readCast(file);
    const events: Transcript['events'] = [];
    let size = 0;
    let truncated = cast.truncated;
    for (const [time, type, data] of cast.events) {
      if (type !== 'o' && type !== 'i') continue;
      size += data.length;
      if (size > MAX_TRANSCRIPT_CHARS) {
        truncated = true;
        break;
      }
      events.push([time, type, data]);
    }
    return { width: cast.header.width, height: cast.header.height, title: cast.header.title, events, truncated };
  }
}

function summariseEnvironment(file: string, environment: Environment): EnvironmentSummary {
  return {
    environmentId: file,
    name: environment.name,
    lab: environment.lab,
    profile: environment.profile.id,
    file,
    hosts: environment.hosts.map((host) => ({ name: host.name, address: host.address, port: host.port, user: host.user, roles: host.roles })),
  };
}

function summariseAuditRun(summary: RunSummary): AuditRunSummary {
  return {
    runId: summary.runId,
    runbookId: summary.runbookId,
    runbookTitle: summary.runbookTitle,
    runbookVersion: summary.runbookVersion,
    environment: summary.environment,
    lab: summary.lab,
    operator: summary.operator,
    status: summary.status,
    startedAt: summary.startedAt,
    finishedAt: summary.finishedAt,
    live: summary.live,
  };
}

function timelineEntry(record: JournalRecord): TimelineEntry {
  const step = 'step' in record && typeof record.step === 'string' ? record.step : undefined;
  return { seq: record.seq, ts: record.ts, type: record.type, step, text: describeRecord(record) };
}

/** One line per journal record, as the timeline shows it. */
function describeRecord(record: JournalRecord): string {
  switch (record.type) {
    case 'run.started':
      return `Run of ${record.runbook.id} ${record.runbook.version} on ${record.environment.name} by ${record.operator}`;
    case 'step.started':
      return `${record.title}${record.hosts.length ? ` on ${record.hosts.join(', ')}` : ''}`;
    case 'step.command':
      return `${record.host}: $ ${record.command}`;
    case 'step.output':
      return `${record.host} ${record.stream}`;
    case 'step.awaiting':
      return `waits for ${record.need}: ${record.prompt.split('\n')[0]}`;
    case 'step.finished':
      return `${record.status}${record.reason ? `: ${record.reason}` : ''} (${record.durationMs} ms)`;
    case 'operator.action':
      return `${record.operator}: ${record.action}${record.choice ? ` ${record.choice}` : ''}${record.text !== undefined ? ` typed "${record.text}"` : ''}${record.reason ? ` (${record.reason})` : ''}${record.note ? ` — ${record.note}` : ''}`;
    case 'run.note':
      return `${record.level}: ${record.message}`;
    case 'run.finished':
      return `Run ${record.status}${record.reason ? `: ${record.reason}` : ''}`;
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
