/**
 * What the console's domains share (service-*.ts): options, event listeners, the environments open and
 * their connections (made by the injectable connector factory), live runs and terminals.
 */
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ActiveRun, CommandName, CommandReply, EnvironmentSummary, HostCheckResult, TerminalInfo, ValidatedRequest } from '../api/contract';
import { CastWriter } from '../core/audit/asciicast';
import { DrillClock } from '../core/audit/drill';
import { AuditStore } from '../core/audit/store';
import { teamAuditFor, type TeamAudit } from '../core/team/audit';
import { OpsError, isOpsError, userMessageOf } from '../core/errors';
import { BUNDLED_PROFILES_DIR, loadEnvironment } from '../core/inventory/environment';
import type { Environment, HostSpec } from '../core/inventory/model';
import { RunbookLibrary } from '../core/runbook/library';
import type { Runner } from '../core/run/runner';
import type { HostTerminalText } from '../core/run/terminal-text';
import { connectorsFor, teamFor, type ConnectorFactory, type Connectors } from '../core/usecases/launch';
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
import { DEFAULT_WINDOW, FLOW_CONTROL, TerminalOutput, WindowBudget, type FlowLimits, type PausableSource } from './flow';
import { TerminalReplayBook } from './restore';
import type { ServiceEvent } from './service-event';
import type { LabProvider } from './lab';

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
  /** Builds an environment's connections (SSH with its jump hosts, SQL through it); tests give their own. */
  connectors?: ConnectorFactory;
}

export type { ServiceEvent } from './service-event';

/** Who called: the window (browser tab) a command came from, named by the adapter. */
export interface CallContext {
  windowId?: string;
}

/** The handlers of some commands of the contract; the domains' maps together make ConsoleService's whole map. */
export type HandlerMap<Names extends CommandName> = {
  [Name in Names]: (request: ValidatedRequest<Name>, context: CallContext) => Promise<CommandReply<Name>> | CommandReply<Name>;
};

export interface LiveRun {
  runId: string;
  runner: Runner;
  active: ActiveRun;
  environmentId: string;
  outputs: Map<string, TerminalOutput>;
  /** What each host's run-output terminal shows: the same text as the host's transcript. */
  terminalText: HostTerminalText;
  /** Takes a state snapshot now (electron/core/run/snapshot.ts). */
  snapshot?: (label: string, step?: string) => Promise<boolean>;
  /** A drill's stopwatch, from its run.started on. */
  clock?: DrillClock;
  clockTimer?: ReturnType<typeof setInterval>;
}

export interface LiveTerminal {
  info: TerminalInfo;
  output: TerminalOutput;
  shell?: ShellSession;
  cast?: CastWriter;
  flushTimer?: ReturnType<typeof setInterval>;
  /** The last write of the recording failed (disk full): the terminal says so once, and when it is written again. */
  recordingFailed?: boolean;
}

/** A console waiting on an unreachable team database gives up sooner than a run would. */
export const TEAM_CONNECT_TIMEOUT_MS = 5_000;

export function summariseEnvironment(file: string, environment: Environment): EnvironmentSummary {
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

/** What every domain of the console shares: its options, its listeners, open environments and their connections, live runs and terminals. */
export class ServiceContext {
  readonly options: ConsoleServiceOptions;
  readonly operator: string;
  readonly listeners = new Set<(event: ServiceEvent) => void>();
  readonly environments = new Map<string, Environment>();
  readonly extraEnvironmentFiles = new Set<string>();
  readonly connectors = new Map<string, Connectors>();
  readonly presentedKeys = new Map<string, PresentedHostKey>();
  readonly runs = new Map<string, LiveRun>();
  readonly terminals = new Map<string, LiveTerminal>();
  /** Terminals and their recent output, for a window that reloads or reconnects. */
  readonly replays = new TerminalReplayBook();
  /** Windows connected now (browser mode: one per socket); each acknowledges terminal output on its own. */
  readonly windows = new Set<string>();
  readonly windowIds = (): Iterable<string> => (this.windows.size > 0 ? this.windows : [DEFAULT_WINDOW]);
  /** What each window may be behind across every terminal: host shells and every run's host terminals share it. */
  readonly outputBudget: WindowBudget;

  constructor(options: ConsoleServiceOptions) {
    this.options = options;
    this.operator = options.operator ?? os.userInfo().username;
    this.outputBudget = new WindowBudget(this.flowLimits, this.windowIds);
    for (const file of options.environmentFiles ?? []) this.extraEnvironmentFiles.add(path.resolve(file));
    this.listeners.add((event) => this.replays.observe(event));
  }

  get flowLimits(): FlowLimits {
    return this.options.flowLimits ?? FLOW_CONTROL;
  }

  /** A terminal's output stream to the windows, under the console's window budget. */
  terminalOutput(terminalId: string, source: PausableSource | null): TerminalOutput {
    return new TerminalOutput((data) => this.emit({ name: 'terminal:data', payload: { terminalId, data } }), source, this.flowLimits, this.windowIds, this.outputBudget);
  }

  /** Every terminal output there is: host terminals' and live runs'. */
  allOutputs(): TerminalOutput[] {
    return [...[...this.terminals.values()].map((terminal) => terminal.output), ...[...this.runs.values()].flatMap((run) => [...run.outputs.values()])];
  }

  emit(event: ServiceEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        process.stderr.write(`opsdeck: an event listener failed: ${userMessageOf(error)}\n`);
      }
    }
  }

  /** Where runbooks are found: the bundled ones, then the operator's own. */
  runbookDirectories(): string[] {
    const dirs = [this.options.bundledRunbooksDir];
    if (existsSync(this.options.userRunbooksDir)) dirs.push(this.options.userRunbooksDir);
    return dirs;
  }

  async loadLibrary(): Promise<RunbookLibrary> {
    return RunbookLibrary.load(this.runbookDirectories());
  }

  environmentFiles(): string[] {
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

  async loadEnvironmentFile(file: string): Promise<Environment> {
    const environment = await loadEnvironment(file, { profileDirs: this.options.profileDirs ?? [BUNDLED_PROFILES_DIR] });
    const previous = this.environments.get(file);
    if (previous && previous.knownHostsFile !== environment.knownHostsFile) {
      await this.connectors.get(file)?.close();
      this.connectors.delete(file);
    }
    this.environments.set(file, environment);
    return environment;
  }

  async listEnvironments(): Promise<EnvironmentSummary[]> {
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

  async environmentOf(environmentId: string): Promise<Environment> {
    const known = this.environments.get(environmentId);
    if (known) return known;
    if (!this.environmentFiles().includes(environmentId)) {
      throw new OpsError('environment-not-found', `No environment ${environmentId} is open in this console; open its file first.`);
    }
    return this.loadEnvironmentFile(environmentId);
  }

  /**
   * The environment's connections, kept while the console runs (host checks, terminals and runs share
   * them): SSH that knows its jump hosts, SQL through it. Made by the injectable factory.
   */
  connectorsOf(environmentId: string, environment: Environment): Connectors {
    let connectors = this.connectors.get(environmentId);
    if (!connectors) {
      // The environment file may be read again while the connections stay open: jump hosts and
      // tunnels are looked up in the latest reading.
      connectors = (this.options.connectors ?? connectorsFor)(() => this.environments.get(environmentId) ?? environment);
      this.connectors.set(environmentId, connectors);
    }
    return connectors;
  }

  poolOf(environmentId: string, environment: Environment): SshPool {
    return this.connectorsOf(environmentId, environment).ssh;
  }

  hostOf(environment: Environment, name: string): HostSpec {
    const host = environment.hosts.find((candidate) => candidate.name === name);
    if (!host) throw new OpsError('host-not-found', `"${name}" is not a host of environment "${environment.name}".`);
    return host;
  }

  async checkHosts(environmentId: string, names?: string[]): Promise<HostCheckResult[]> {
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

  async checkOne(environmentId: string, pool: SshPool, host: HostSpec): Promise<HostCheckResult> {
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
        return {
          ...base,
          state: 'host-key-changed',
          keyType: keyError.presented.keyType,
          fingerprint: keyError.presented.fingerprint,
          expectedFingerprint: keyError.expectedFingerprint,
        };
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

  auditStore(): AuditStore {
    return new AuditStore(this.options.auditDir);
  }

  /** The environment's team audit database (a new connection; close it), reached through its SSH hosts when declared so. */
  teamFor(environmentId: string, environment: Environment): TeamAudit | undefined {
    return teamFor(environment, this.connectorsOf(environmentId, environment), { connectTimeoutMs: TEAM_CONNECT_TIMEOUT_MS });
  }

  async requireTeam(environmentId: string): Promise<{ team: TeamAudit; environment: Environment }> {
    const environment = await this.environmentOf(environmentId);
    const team = this.teamFor(environmentId, environment);
    if (!team) {
      throw new OpsError('team-not-configured', `The environment ${environment.name} names no team audit database (audit: { database: <name under databases:> } in its file).`);
    }
    return { team, environment };
  }
}
