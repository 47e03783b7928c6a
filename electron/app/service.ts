/**
 * The console's backend: the api/ contract implemented on top of the engine. Electron's main process
 * and the browser-mode server are thin adapters around one ConsoleService: they hand every request to
 * {@link ConsoleService.dispatch} (which validates it) and forward every event to their renderer.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  COMMAND_NAMES,
  type ActiveRun,
  type ApiError,
  type AuditExport,
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
  type LocksListing,
  type Result,
  type RunComparison,
  type RunEventEnvelope,
  type RunNotice,
  type TeamCopyVerification,
  type TeamRunListing,
  type TerminalInfo,
  type TimelineEntry,
  type Transcript,
  type ValidatedRequest,
} from '../api/contract';
import { parseRequest } from '../api/schemas';
import { CastWriter, castFileName, castPath, readCast } from '../core/audit/asciicast';
import { analyzeDrill, checkObjectives, compareRuns, DrillClock, planOfSteps } from '../core/audit/drill';
import type { JournalRecord, RunEvent, RunStatus } from '../core/audit/events';
import { exportRun, formatDuration, type TranscriptLink } from '../core/audit/export';
import { TRANSCRIPTS_DIR, makePrivateDir, newRunId } from '../core/audit/files';
import { parseRecord } from '../core/audit/journal';
import { describeHeldLease, HostLockedError, LocalLeaseBackend, type LeaseBackend, type RunLeases } from '../core/audit/locks';
import { Masker } from '../core/audit/mask';
import { replayRun } from '../core/audit/replay';
import { AuditStore, type RunSummary } from '../core/audit/store';
import { teamAuditFor, verifyTeamRecords, type TeamAudit, type TeamRecord } from '../core/audit/team';
import type { VerifyResult } from '../core/audit/verify';
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
  hostKeyErrorOf,
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
import { snapshotHandlers, stateChangesOf } from './snapshot-handlers';

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
  /** Takes a state snapshot now (electron/core/run/snapshot.ts). */
  snapshot?: (label: string, step?: string) => Promise<boolean>;
  /** A drill's stopwatch, from its run.started on. */
  clock?: DrillClock;
  clockTimer?: ReturnType<typeof setInterval>;
}

interface LiveTerminal {
  info: TerminalInfo;
  output: TerminalOutput;
  shell?: ShellSession;
  cast?: CastWriter;
  flushTimer?: ReturnType<typeof setInterval>;
  /** The last write of the recording failed (disk full): the terminal says so once, and when it is written again. */
  recordingFailed?: boolean;
}

/** Events kept per run for a renderer that (re)attaches; output is never kept here. */
const MAX_EVENTS_PER_RUN = 20_000;
/** The most transcript text a replay sends; the file keeps everything. */
const MAX_TRANSCRIPT_CHARS = 8 * 1024 * 1024;
/** How often an open host terminal's transcript is written to disk. */
const TRANSCRIPT_FLUSH_MS = 1000;
/** How often a drill's clock is read and sent while it runs (an objective is seen passing within this). */
const DRILL_CLOCK_MS = 1000;
/** Notices kept per run for a renderer that (re)attaches. */
const MAX_NOTICES_PER_RUN = 1000;

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
        // The renderer is untrusted: it may open environment files, not any file main can read (a
        // parse error quotes what it found, e.g. the first line of /etc/shadow or /proc/self/environ).
        if (!/\.ya?ml$/i.test(file) || !existsSync(file) || !statSync(file).isFile()) {
          throw new OpsError('environment-not-yaml', `${file} is not an environment file: open a .yaml or .yml file that exists.`);
        }
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
      ...snapshotHandlers((runId) => this.runOf(runId)),
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
      'audit:show': (request) => this.auditDetail(request),
      'audit:transcript': (request) => this.transcript(request.runId, request.name),
      'audit:export': (request) => this.exportReport(request),
      'audit:compare': (request) => this.compare(request.a, request.b),
      'audit:teamList': (request) => this.teamRuns(request.environmentId),
      'locks:list': (request) => this.listLocks(request.environmentId),
      'locks:break': (request) => this.breakLock(request.environmentId, request.host, request.reason),
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
    // Never String() the name: an object whose toString is not a function throws from String(), and
    // that rejection once took browser mode down with every run in it.
    if (typeof name !== 'string') {
      return { ok: false, error: { code: 'unknown-command', userMessage: "The request was refused: its name must be one of the console's commands (a string such as \"run:list\")." } };
    }
    if (!(COMMAND_NAMES as readonly string[]).includes(name)) {
      return { ok: false, error: { code: 'unknown-command', userMessage: `There is no command "${name.slice(0, 80)}".` } };
    }
    const commandName = name as CommandName;
    try {
      const parsed = parseRequest(commandName, payload);
      if (!parsed.ok) return { ok: false, error: { code: 'bad-request', userMessage: parsed.message } };
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
      clearInterval(run.clockTimer);
    }
    for (const terminal of this.terminals.values()) {
      clearInterval(terminal.flushTimer);
      terminal.shell?.close();
      this.recordTerminal(terminal, (cast) => cast.close());
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
      // A jump host's key is asked about (or refused) like the target's own.
      const keyError = hostKeyErrorOf(error);
      if (keyError instanceof HostKeyUnknownError) {
        this.presentedKeys.set(`${environmentId}\n${host.name}`, keyError.presented);
        return { ...base, state: 'host-key-unknown', keyType: keyError.presented.keyType, fingerprint: keyError.presented.fingerprint };
      }
      if (keyError instanceof HostKeyChangedError) {
        return { ...base, state: 'host-key-changed', keyType: keyError.presented.keyType, fingerprint: keyError.presented.fingerprint, expectedFingerprint: keyError.expectedFingerprint };
      }
      if (keyError instanceof HostKeyRevokedError) {
        return { ...base, state: 'host-key-changed', keyType: keyError.presented.keyType, fingerprint: keyError.presented.fingerprint };
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
    const drill = request.drill ? drillFor(runbook, request.drill.objectives) : undefined;
    const ssh = this.poolOf(request.environmentId, environment);
    const auditDir = this.options.auditDir;
    makePrivateDir(auditDir);
    const runId = newRunId();
    // As the CLI does, leases first, then the hosts; a run refused for either leaves no journal behind.
    // The environment's team database (if it names one) holds the leases and gets the journal as it is
    // written; without one, leases live in <auditDir>/locks, shared with the CLI.
    const team = this.teamFor(request.environmentId, environment);
    let leases: RunLeases;
    let fallbackWarning: string | undefined;
    try {
      ({ leases, fallbackWarning } = await takeLeases({ runbook, library, environment, params, runId, operator: this.operator, auditDir, team }, request.localLocks));
    } catch (error) {
      await team?.close().catch(() => undefined);
      throw error;
    }
    const giveBack = async () => {
      await leases.release(this.operator).catch(() => undefined);
      await team?.close().catch(() => undefined);
    };
    try {
      const results = await this.checkHosts(request.environmentId, plan.hosts);
      const failing = results.filter((result) => result.state !== 'ok');
      if (failing.length > 0) {
        throw Object.assign(
          new OpsError('hosts-not-ready', `Nothing was run: ${failing.map((result) => result.host).join(', ')} did not pass the host check. Fix that first (see Environment).`),
          { problems: failing.map((result) => ({ field: result.host, message: result.message ?? result.state })) },
        );
      }
    } catch (error) {
      await giveBack();
      throw error;
    }
    let session: ReturnType<typeof createRunSession>;
    try {
      session = createRunSession({ runbook, library, environment, params, ssh, operator: this.operator, auditDir, onFailure: request.onFailure, runId, leases, team, drill });
    } catch (error) {
      await giveBack();
      throw error;
    }
    const live: LiveRun = {
      runId: session.runId,
      runner: session.runner,
      snapshot: session.snapshot,
      environmentId: request.environmentId,
      outputs: new Map(),
      active: { runId: session.runId, plan, startedAt: Date.now(), status: 'running', events: [], notices: [], ...(drill ? { drill: { objectives: drill.objectives } } : {}) },
    };
    this.runs.set(session.runId, live);
    session.runner.onEvent((event) => this.onRunEvent(live, event));
    if (fallbackWarning) this.notice(live, 'warning', 'lease', fallbackWarning);
    if (leases.hosts.length > 0) {
      const tookOver = leases.tookOver.map((lease) => `${lease.host} from ${lease.operator} (run ${lease.runId}, expired ${lease.expiresAt})`);
      this.notice(
        live,
        'info',
        'lease',
        `Leased ${leases.hosts.join(', ')} for this run in ${leases.backend.description}, until it ends.${tookOver.length ? ` Took over expired leases: ${tookOver.join('; ')}.` : ''}`,
      );
    }
    const unsubscribeLeases = session.leases?.onEvent((event) => {
      if (event.type === 'lost') this.notice(live, 'error', 'lease', event.message);
      else if (event.type === 'renew-failed') this.notice(live, 'warning', 'lease', event.message);
      else this.notice(live, 'info', 'lease', `The lease on ${event.host} is renewed again.`);
    });
    const unsubscribeReplicator = session.replicator?.onEvent((event) => {
      if (event.type === 'unreachable') {
        this.notice(live, 'warning', 'team', `The team audit database cannot be reached (${event.message}); events wait in the local journal and are sent when it is back.`);
      } else if (event.afterOutage) {
        this.notice(live, 'info', 'team', `The team audit database is reachable again; ${event.sent} queued events were sent in order.`);
      }
    });
    // Started on the next turn, so the reply (with the run id) reaches the renderer before the events.
    setTimeout(() => {
      session
        .start()
        .then(
          (status) => this.finishRun(live, status),
          (error: unknown) => {
            this.onRunEvent(live, { type: 'run.note', level: 'error', message: userMessageOf(error) });
            this.finishRun(live, 'failed');
          },
        )
        .finally(async () => {
          unsubscribeLeases?.();
          unsubscribeReplicator?.();
          const pending = session.replicationPending();
          if (pending > 0) {
            this.notice(live, 'warning', 'team', `The team audit database did not get the last ${pending} events of this run; they are in the local journal and are sent by \`opsdeck audit sync --env ${request.environmentId}\`.`);
          }
          await team?.close().catch(() => undefined);
        });
    }, 0);
    return live.active;
  }

  private finishRun(live: LiveRun, status: RunStatus): void {
    live.active.status = status;
    for (const output of live.outputs.values()) output.end();
    clearInterval(live.clockTimer);
    live.clockTimer = undefined;
  }

  private notice(live: LiveRun, level: RunNotice['level'], source: RunNotice['source'], message: string): void {
    const notice: RunNotice = { runId: live.runId, at: Date.now(), level, source, message };
    if (live.active.notices.length < MAX_NOTICES_PER_RUN) live.active.notices.push(notice);
    this.emit({ name: 'run:notice', payload: notice });
  }

  /** Feeds a drill's clock with the run's boundaries and sends its reading (every second while it runs). */
  private tickDrillClock(live: LiveRun, event?: RunEvent): void {
    const drill = live.active.drill;
    if (!drill) return;
    if (event?.type === 'run.started') {
      live.clock = new DrillClock(drill.objectives, Date.now(), event.plan);
      live.clockTimer = setInterval(() => this.tickDrillClock(live), DRILL_CLOCK_MS);
      live.clockTimer.unref?.();
    }
    const clock = live.clock;
    if (!clock) return;
    const now = Date.now();
    if (event) clock.observe(event, now);
    // After the run's end nothing more can be met; the last reading stays as it was.
    if (event?.type === 'run.finished') {
      clearInterval(live.clockTimer);
      live.clockTimer = undefined;
    }
    for (const entry of clock.newlyExceeded(now)) {
      this.notice(
        live,
        'warning',
        'drill',
        entry.state === 'exceeded'
          ? `DRILL OBJECTIVE EXCEEDED: ${entry.title} (${entry.key}): objective ${formatDuration(entry.objectiveMs)}, passed and it is not done.`
          : `DRILL OBJECTIVE MISSED: ${entry.title} (${entry.key}) finished at ${formatDuration(entry.elapsedMs)}, after its objective of ${formatDuration(entry.objectiveMs)}.`,
      );
    }
    drill.reading = clock.reading(now);
    this.emit({ name: 'run:drillClock', payload: { runId: live.runId, at: now, reading: drill.reading } });
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
    if (['run.started', 'step.finished', 'operator.action', 'run.finished'].includes(event.type)) this.tickDrillClock(live, event);
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
      ...environment.hosts.flatMap((candidate) => [candidate.passphrase, candidate.password, candidate.bmc?.password]),
    ]);
    let cast: CastWriter | undefined;
    try {
      cast = CastWriter.create(path.join(this.options.auditDir, 'terminals', `${newRunId()}-${castFileName(host.name)}`), masker, {
        width: cols,
        height: rows,
        title: `${host.name} (${environment.name}) by ${this.operator}`,
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
    const output = new TerminalOutput((data) => this.emit({ name: 'terminal:data', payload: { terminalId, data } }), shell, this.options.flowLimits ?? FLOW_CONTROL);
    const terminal: LiveTerminal = { info, output, shell, cast };
    this.terminals.set(terminalId, terminal);
    // Announced before any output can be sent, so the renderer has a terminal to write it into.
    this.emit({ name: 'terminal:opened', payload: info });
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
      this.terminals.delete(terminalId);
      this.emit({ name: 'terminal:closed', payload: { terminalId, exitCode } });
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
        terminal.output.pushText(
          `\r\n\x1b[33m[OpsDeck: the recording of this terminal cannot be written (${userMessageOf(error)}); the terminal works on]\x1b[0m\r\n`,
        );
      }
      terminal.recordingFailed = true;
    }
  }

  // ---- audit -----------------------------------------------------------------------------------

  private auditStore(): AuditStore {
    return new AuditStore(this.options.auditDir);
  }

  /** A recorded run's records and verification: from the local journals, or from a team database. */
  private async recordedRun(reference: { runId: string; teamEnvironmentId?: string }): Promise<RecordedRun> {
    if (reference.teamEnvironmentId) return this.teamRecordedRun(reference.teamEnvironmentId, reference.runId);
    const store = this.auditStore();
    const runId = store.resolve(reference.runId);
    const summary = store.summary(runId);
    if (!summary) throw new OpsError('audit-run-not-found', `Run ${runId} has no readable journal.`);
    return { source: 'local', runId, summary: summariseAuditRun(summary), records: store.records(runId), verification: store.verify(runId), live: summary.live };
  }

  private async teamRecordedRun(environmentId: string, prefix: string): Promise<RecordedRun> {
    const { team, environment } = await this.requireTeam(environmentId);
    try {
      const runId = await team.resolveRun(prefix);
      const rows = await team.records(runId);
      const records = rows.map((row) => parseRecord(row.line)).filter((record): record is JournalRecord => record !== null);
      const first = records[0];
      if (!first || first.type !== 'run.started') throw new OpsError('audit-run-not-found', `The team database holds no start of run ${runId} (${team.description}).`);
      const check = verifyTeamRecords(runId, rows, this.localJournalLines(runId), { runRow: await team.runRow(runId), operators: environment.audit?.operators });
      const finished = records.some((record) => record.type === 'run.finished');
      // Not finished: still running while a live lease names it (on any machine), else interrupted.
      const live = !finished && (await team.list(first.environment.name)).some((lease) => lease.runId === runId && !lease.expired);
      const state = replayRun(records, { live });
      const verification: VerifyResult = {
        ok: check.ok,
        records: check.records,
        problems: check.problems.map((problem) => ({ line: problem.seq, message: `${problem.message} (team database)` })),
        finished,
        lastSeq: check.lastSeq,
        lastHash: check.lastHash,
      };
      const summary: AuditRunSummary = {
        runId,
        runbookId: state.runbook.id,
        runbookTitle: state.runbook.title,
        runbookVersion: state.runbook.version,
        environment: state.environment.name,
        lab: state.environment.lab,
        operator: state.operator,
        status: state.status,
        startedAt: state.startedAt,
        ...(state.finishedAt ? { finishedAt: state.finishedAt } : {}),
        live,
      };
      return { source: 'team', runId, summary, records, verification, live };
    } finally {
      await team.close().catch(() => undefined);
    }
  }

  /** The lines of this machine's journal of a run, when it has one (to compare with the team copy). */
  private localJournalLines(runId: string): string[] | undefined {
    const file = this.auditStore().journalFile(runId);
    if (!existsSync(file)) return undefined;
    return readFileSync(file, 'utf8').split('\n').filter((line) => line.length > 0);
  }

  private async auditDetail(reference: { runId: string; teamEnvironmentId?: string }): Promise<AuditRunDetail> {
    const run = await this.recordedRun(reference);
    const { runId, records, verification } = run;
    const transcriptsDir = path.join(this.auditStore().runDir(runId), TRANSCRIPTS_DIR);
    const transcripts =
      run.source === 'local' && existsSync(transcriptsDir)
        ? readdirSync(transcriptsDir).filter((name) => name.endsWith('.cast')).map((name) => name.slice(0, -'.cast'.length)).sort()
        : [];
    const state = replayRun(records, { live: run.live });
    const teamVerification = run.source === 'local' ? await this.teamCopyOf(runId, run.summary.environment) : undefined;
    return {
      source: run.source,
      summary: run.summary,
      verification: {
        ok: verification.ok,
        records: verification.records,
        finished: verification.finished,
        problems: verification.problems,
        lastHash: verification.lastHash,
      },
      ...(teamVerification ? { teamVerification } : {}),
      drill: analyzeDrill(state, run.live ? { elapsedMs: Date.now() - Date.parse(state.startedAt) } : {}),
      report: exportRun(records, 'md', { verification, live: run.live }),
      timeline: records.filter((record) => record.type !== 'step.output').map(timelineEntry),
      transcripts,
      ...stateChangesOf(records),
    };
  }

  /**
   * The team database's copy of a local run, checked against the journal, when an open environment
   * of that name has a team database (`opsdeck audit verify <run> --env F`).
   */
  private async teamCopyOf(runId: string, environmentName: string): Promise<TeamCopyVerification | undefined> {
    const match = [...this.environments.entries()].find(([, environment]) => environment.name === environmentName && environment.audit?.database);
    if (!match) return undefined;
    const [environmentId, environment] = match;
    const team = this.teamFor(environmentId, environment);
    if (!team) return undefined;
    const database = team.description;
    try {
      const rows = await team.records(runId);
      if (rows.length === 0) return { state: 'missing', database, records: 0, lastSeq: 0, problems: [] };
      const check = verifyTeamRecords(runId, rows, this.localJournalLines(runId));
      return {
        state: check.ok ? 'verified' : 'tampered',
        database,
        records: check.records,
        lastSeq: check.lastSeq,
        ...(check.local ? { notYetReplicated: check.local.notYetReplicated } : {}),
        problems: check.problems,
      };
    } catch (error) {
      return { state: 'unavailable', database, records: 0, lastSeq: 0, problems: [], message: userMessageOf(error) };
    } finally {
      await team.close().catch(() => undefined);
    }
  }

  /** A run's report as a file to save: Markdown, self-contained HTML, or JSON (`opsdeck audit export`). */
  private async exportReport(request: ValidatedRequest<'audit:export'>): Promise<AuditExport> {
    const run = await this.recordedRun(request);
    const text = exportRun(run.records, request.format, { verification: run.verification, live: run.live, transcripts: this.transcriptLinks(run) });
    const base = `opsdeck-${run.summary.runbookId}-${run.runId}`.replace(/[^A-Za-z0-9._-]/g, '_');
    return { fileName: `${base}.${request.format}`, mimeType: EXPORT_MIME_TYPES[request.format], text };
  }

  /**
   * The run's transcripts, linked by absolute path: a downloaded report is saved wherever the operator
   * chooses, on the machine that holds the audit directory.
   */
  private transcriptLinks(run: RecordedRun): TranscriptLink[] {
    if (run.source !== 'local') return [];
    const directory = path.join(this.auditStore().runDir(run.runId), TRANSCRIPTS_DIR);
    if (!existsSync(directory)) return [];
    return readdirSync(directory)
      .filter((name) => name.endsWith('.cast'))
      .sort()
      .map((name) => ({ name: name.slice(0, -'.cast'.length), href: path.join(directory, name).split(path.sep).join('/') }));
  }

  /** Two recorded runs side by side (`opsdeck audit compare`). */
  private async compare(a: { runId: string; teamEnvironmentId?: string }, b: { runId: string; teamEnvironmentId?: string }): Promise<RunComparison> {
    const [left, right] = await Promise.all([this.recordedRun(a), this.recordedRun(b)]);
    return compareRuns(replayRun(left.records, { live: left.live }), replayRun(right.records, { live: right.live }));
  }

  // ---- team database and host leases --------------------------------------------------------

  /** The environment's team audit database (a new connection; close it), reached through its SSH hosts when declared so. */
  private teamFor(environmentId: string, environment: Environment): TeamAudit | undefined {
    return teamAuditFor(environment, {
      tunnel: (hostName, address, port) => this.poolOf(environmentId, environment).forward(this.hostOf(environment, hostName), address, port),
      connectTimeoutMs: TEAM_CONNECT_TIMEOUT_MS,
    });
  }

  private async requireTeam(environmentId: string): Promise<{ team: TeamAudit; environment: Environment }> {
    const environment = await this.environmentOf(environmentId);
    const team = this.teamFor(environmentId, environment);
    if (!team) {
      throw new OpsError('team-not-configured', `The environment ${environment.name} names no team audit database (audit: { database: <name under databases:> } in its file).`);
    }
    return { team, environment };
  }

  private async teamRuns(environmentId: string): Promise<TeamRunListing> {
    const { team } = await this.requireTeam(environmentId);
    try {
      return { database: team.description, runs: await team.listRuns({ limit: TEAM_RUNS_LIMIT }) };
    } finally {
      await team.close().catch(() => undefined);
    }
  }

  /** Where the environment's leases live: its team database, else this machine's lock directory (as the CLI). */
  private async withLeaseBackend<T>(environmentId: string, work: (backend: LeaseBackend, environment: Environment) => Promise<T>): Promise<T> {
    const environment = await this.environmentOf(environmentId);
    const team = this.teamFor(environmentId, environment);
    try {
      return await work(team ?? new LocalLeaseBackend(this.options.auditDir), environment);
    } finally {
      await team?.close().catch(() => undefined);
    }
  }

  private listLocks(environmentId: string): Promise<LocksListing> {
    return this.withLeaseBackend(environmentId, async (backend, environment) => ({
      backend: backend.kind,
      description: backend.description,
      leases: await backend.list(environment.name),
      breaks: (await backend.breaks(environment.name)).reverse().slice(0, MAX_BREAKS_LISTED),
    }));
  }

  /** Ends another run's lease on a host, recording who, when and why (`opsdeck locks break`). */
  private breakLock(environmentId: string, host: string, reason: string) {
    return this.withLeaseBackend(environmentId, (backend, environment) =>
      backend.breakLease(environment.name, host, { operator: this.operator, machine: os.hostname() }, reason),
    );
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

interface RecordedRun {
  source: 'local' | 'team';
  runId: string;
  summary: AuditRunSummary;
  records: JournalRecord[];
  verification: VerifyResult;
  live: boolean;
}

const EXPORT_MIME_TYPES = { md: 'text/markdown; charset=utf-8', html: 'text/html; charset=utf-8', json: 'application/json' } as const;
/** A console waiting on an unreachable team database gives up sooner than a run would. */
const TEAM_CONNECT_TIMEOUT_MS = 5_000;
const TEAM_RUNS_LIMIT = 500;
const MAX_BREAKS_LISTED = 20;

/** Checks drill objectives against the runbook's step keys, as `opsdeck run --drill` does. */
function drillFor(runbook: Runbook, objectives: Record<string, number>): { objectives: Record<string, number> } {
  const problems = checkObjectives(objectives, planOfSteps(runbook.steps));
  if (problems.length > 0) {
    throw Object.assign(new OpsError('drill-objectives', `Nothing was run: the drill objectives do not fit ${runbook.id}. ${problems.join(' ')}`), {
      problems: problems.map((message) => ({ field: 'drill', message })),
    });
  }
  return { objectives };
}

/**
 * Leases the run's hosts as the CLI does: a host another run holds refuses the run, naming the holder;
 * a team database that cannot be reached refuses it too unless `localLocks` (then local leases, with
 * the warning returned).
 */
async function takeLeases(options: Parameters<typeof acquireRunLeases>[0], localLocks: boolean): Promise<{ leases: RunLeases; fallbackWarning?: string }> {
  try {
    return { leases: await acquireRunLeases(options) };
  } catch (error) {
    if (error instanceof HostLockedError) throw hostLocked(error);
    if (!options.team || !isOpsError(error)) throw error;
    if (!localLocks) {
      throw new OpsError(
        error.code,
        `Nothing was run: the host leases could not be taken. ${error.userMessage} To run anyway, tick “lease on this machine only” (other machines will not see these leases; the journal is sent to the team database when it is back).`,
        { cause: error },
      );
    }
    try {
      const leases = await acquireRunLeases({ ...options, team: undefined });
      return { leases, fallbackWarning: `${error.userMessage} The hosts are leased on this machine only (${leases.backend.description}); runs from other machines do not see these leases.` };
    } catch (fallbackError) {
      throw fallbackError instanceof HostLockedError ? hostLocked(fallbackError) : fallbackError;
    }
  }
}

/** A run refused for held hosts: who holds each, since when, for which run, and what to do. */
function hostLocked(error: HostLockedError): OpsError {
  const held = error.heldBy;
  const first = held.length === 1 ? describeHeldLease(held[0]) : `${held.map((lease) => lease.host).join(', ')} are held by other runs (${[...new Set(held.map((lease) => lease.operator))].join(', ')}).`;
  return Object.assign(
    new OpsError(
      'host-locked',
      `Nothing was run: ${first}\nWait for that run to end; if its holder is gone for good, break the lease (Environment → Host leases; your reason is recorded).`,
      { cause: error },
    ),
    // One holder is named in the first line already; several are listed one per host.
    held.length > 1 ? { problems: held.map((lease) => ({ field: lease.host, message: describeHeldLease(lease) })) } : {},
  );
}

function summariseEnvironment(file: string, environment: Environment): EnvironmentSummary {
  let teamAudit: string | undefined;
  try {
    teamAudit = teamAuditFor(environment)?.description;
  } catch {
    // A team database the file names wrongly is reported when a run or the audit screen uses it.
    teamAudit = `${environment.audit?.database ?? ''} (not usable: see the environment file)`;
  }
  return {
    ...(teamAudit ? { teamAudit } : {}),
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
    case 'step.remote':
      return `${record.host}: running as process ${record.pid}`;
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
    case 'run.snapshot':
      return `State snapshot (${record.label}): ${record.probes.length} probes`;
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
