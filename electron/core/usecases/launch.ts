/**
 * Launching a run: everything `opsdeck run` / `opsdeck resume` and the console's Start do before the
 * first step, decided once. The adapters only print, ask and forward:
 *
 * 1. {@link resolveRunbook}: the runbook (a file or an id) with the library its includes resolve in;
 *    it is runnable only when it and every runbook it includes, however deep, load without errors.
 * 2. {@link prepareLaunch}: its parameters checked against the environment, and the masker that
 *    knows every secret (secret parameters, environment secrets, database passwords, SSH secrets).
 * 3. {@link launchRun}: the team database opened through the environment's SSH pool, the host leases
 *    taken (falling back to this machine's lock directory only when asked), the hosts checked
 *    (preflight, by the adapter's own checker), and the session created with every connector: SSH
 *    that knows the jump hosts, SQL through it, the team replicator. A run refused at any point
 *    leaves no journal behind and no lease held.
 *
 * Leases and replication are told as {@link SessionNotice}s, the same sentences the journal keeps.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { approvalTransportFor } from '../approval';
import { checkObjectives, planOfSteps } from '../audit/drill';
import type { RunStatus } from '../audit/events';
import { newRunId } from '../audit/files';
import { HostLockedError, type RunLeases } from '../leases/run-leases';
import type { Masker } from '../audit/mask';
import { teamAuditFor, type TeamAudit } from '../team/audit';
import { OpsError, ValidationError, isOpsError } from '../errors';
import type { Environment } from '../inventory/model';
import { includeSteps, RunbookLibrary } from '../runbook/library';
import type { ParamValue, Runbook } from '../runbook/model';
import { resolveParams } from '../run/params';
import { plannedHosts } from '../run/preflight';
import type { FailurePolicy } from '../run/runner';
import {
  acquireRunLeases,
  createRunSession,
  leaseNotice,
  leaseSummary,
  maskerFor,
  replicationNotice,
  tunnelThrough,
  type Connectors,
  type RunSession,
  type RunSessionOptions,
  type SessionNotice,
} from '../run/session';

export type { Connectors, SessionNotice } from '../run/session';
export { connectorsFor, environmentSecrets, leaseBackendFor } from '../run/session';

/** Builds the connections of an environment; the console's tests give their own. */
export type ConnectorFactory = (environment: Environment | (() => Environment)) => Connectors;

export interface ResolvedRunbook {
  runbook: Runbook;
  library: RunbookLibrary;
}

/**
 * A runbook by id, or (with `allowFile`) by file path, with the library its includes resolve in.
 * Refused, with every problem, unless the runbook and everything it includes load without errors.
 * @throws ValidationError with the problems; OpsError `runbook-not-found`.
 */
export async function resolveRunbook(reference: string, directories: string[], options: { allowFile?: boolean } = {}): Promise<ResolvedRunbook> {
  const isFile = options.allowFile === true && existsSync(reference) && statSync(reference).isFile();
  const file = path.resolve(reference);
  const dirs = [...directories];
  // A file's includes resolve beside it too.
  if (isFile) dirs.push(path.dirname(file), file);
  const library = await RunbookLibrary.load(dirs);
  const runbook = isFile ? library.getByFile(file) : library.get(reference);
  if (isFile && !runbook) {
    const fileProblems = library.problems.filter((problem) => problem.file === file);
    throw new ValidationError(fileProblems.length ? fileProblems : library.problems, `Runbook ${reference}`);
  }
  if (!runbook) {
    const ids = library
      .list()
      .map((candidate) => candidate.id)
      .join(', ');
    throw new OpsError('runbook-not-found', `No runbook "${reference}": ${options.allowFile ? 'not a file, and ' : ''}not the id of a runbook in the library (${ids}).`);
  }
  const files = new Set<string>();
  const pending = [runbook];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (files.has(next.file)) continue;
    files.add(next.file);
    for (const include of includeSteps(next)) {
      const included = library.get(include.runbook);
      if (included) pending.push(included);
    }
  }
  const problems = library.problems.filter((problem) => problem.severity === 'error' && files.has(problem.file));
  if (problems.length > 0) throw new ValidationError(problems, `Runbook ${runbook.file}`);
  return { runbook, library };
}

export interface PreparedLaunch extends ResolvedRunbook {
  environment: Environment;
  /** Checked, with defaults. */
  params: Record<string, ParamValue>;
  /** Knows every secret the run could write. */
  masker: Masker;
}

/** A runnable runbook with its parameters checked: what the plan preview and the start both need. */
export async function prepareLaunch(
  reference: string,
  directories: string[],
  environment: Environment,
  given: Record<string, unknown>,
  options: { allowFile?: boolean } = {},
): Promise<PreparedLaunch> {
  const { runbook, library } = await resolveRunbook(reference, directories, options);
  const params = resolveParams(runbook, given, environment);
  return { runbook, library, environment, params, masker: maskerFor(runbook, environment, params) };
}

/**
 * A drill's objectives, checked against the runbook's steps (`run` is the whole run).
 * @throws OpsError `drill-objectives` naming each objective that fits no step.
 */
export function drillFor(runbook: Runbook, objectives: Record<string, number>): { objectives: Record<string, number> } {
  const problems = checkObjectives(objectives, planOfSteps(runbook.steps));
  if (problems.length > 0) {
    throw Object.assign(new OpsError('drill-objectives', `Nothing was run: the drill objectives do not fit ${runbook.id}. ${problems.join(' ')}`), {
      problems: problems.map((message) => ({ field: 'drill', message })),
    });
  }
  return { objectives };
}

/** The environment's team audit database (a new connection: close it), reached through its SSH pool when it sits behind a host. */
export function teamFor(environment: Environment | (() => Environment), connectors: Pick<Connectors, 'ssh'>, options: { connectTimeoutMs?: number } = {}): TeamAudit | undefined {
  const current = typeof environment === 'function' ? environment : () => environment;
  return teamAuditFor(current(), { tunnel: tunnelThrough(connectors.ssh, current), ...options });
}

/** A host the preflight found not ready, and why. */
export interface HostProblem {
  host: string;
  message: string;
}

export interface LaunchOptions {
  runbook: Runbook;
  library: RunbookLibrary;
  environment: Environment;
  /** Checked parameters ({@link prepareLaunch}); a resume gives the reopened run's. */
  params: Record<string, ParamValue>;
  operator: string;
  auditDir: string;
  onFailure: FailurePolicy;
  /** The environment's connections ({@link connectorsFor}); the caller closes them. */
  connectors: Connectors;
  /** The team database cannot be reached to take the leases: lease on this machine only (said in a notice). */
  localLocks: boolean;
  /** How this adapter's operator asks for local leases (`--local-locks`, a checkbox), quoted when the leases cannot be taken. */
  localLocksHint: string;
  /**
   * Checks the hosts the run will touch (connects, verifies keys; may ask about an unknown key) and
   * returns the ones not ready. Called after the leases are taken, before anything is written.
   */
  preflight: (hosts: string[]) => Promise<HostProblem[]>;
  runId?: string;
  resume?: RunSessionOptions['resume'];
  drill?: { objectives: Record<string, number> };
  /** The environment file, for the sentence naming `opsdeck audit sync`. */
  environmentFile: string;
  teamConnectTimeoutMs?: number;
}

export interface LaunchedRun {
  session: RunSession;
  leases: RunLeases;
  /** What was said before the start (a lease fallback, the leases taken); later ones go to {@link LaunchedRun.onNotice}. */
  notices: SessionNotice[];
  /** Lease and replication notices while the run lives. */
  onNotice(listener: (notice: SessionNotice) => void): () => void;
  /** Runs it to its end; leases are released and the team database closed whatever happens. */
  start(): Promise<RunStatus>;
  /** After start() resolved: what the team database did not get, and how to send it; undefined when it has everything. */
  shortfall(): SessionNotice | undefined;
}

/**
 * Takes the leases, checks the hosts and creates the session. Nothing is written and nothing stays
 * held when it throws.
 * @throws HostLockedError; OpsError `hosts-not-ready` (with `problems`), lease backend errors.
 */
export async function launchRun(options: LaunchOptions): Promise<LaunchedRun> {
  const { runbook, library, environment, params, operator, auditDir } = options;
  const runId = options.resume?.runId ?? options.runId ?? newRunId();
  const team = teamFor(environment, options.connectors, options.teamConnectTimeoutMs ? { connectTimeoutMs: options.teamConnectTimeoutMs } : {});
  const notices: SessionNotice[] = [];
  let leases: RunLeases | undefined;
  try {
    // Leases first, then the hosts: a run refused for either leaves no journal behind.
    leases = await takeLeases({ runbook, library, environment, params, runId, operator, auditDir, team }, options, notices);
    const problems = await options.preflight(plannedHosts(runbook, params, environment, library));
    if (problems.length > 0) {
      throw Object.assign(new OpsError('hosts-not-ready', `Nothing was run: ${problems.map((problem) => problem.host).join(', ')} did not pass the host check; fix that first.`), {
        problems: problems.map((problem) => ({ field: problem.host, message: problem.message })),
      });
    }
    const session = createRunSession({
      runbook,
      library,
      environment,
      params,
      ssh: options.connectors.ssh,
      sql: options.connectors.sql,
      operator,
      auditDir,
      onFailure: options.onFailure,
      runId,
      resume: options.resume,
      drill: options.drill,
      leases,
      team,
      approvals: approvalTransportFor(environment, team),
    });
    const summary = leaseSummary(leases);
    if (summary) notices.push({ level: 'info', source: 'lease', message: summary });
    return started(session, leases, team, notices, options.environmentFile);
  } catch (error) {
    await leases?.release(operator).catch(() => undefined);
    await team?.close().catch(() => undefined);
    throw error;
  }
}

function started(session: RunSession, leases: RunLeases, team: TeamAudit | undefined, notices: SessionNotice[], environmentFile: string): LaunchedRun {
  const listeners = new Set<(notice: SessionNotice) => void>();
  const tell = (notice: SessionNotice | undefined) => {
    if (notice) for (const listener of listeners) listener(notice);
  };
  const unsubscribers = [session.leases?.onEvent((event) => tell(leaseNotice(event))), session.replicator?.onEvent((event) => tell(replicationNotice(event)))];
  return {
    session,
    leases,
    notices,
    onNotice(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      try {
        return await session.start();
      } finally {
        for (const unsubscribe of unsubscribers) unsubscribe?.();
        await team?.close().catch(() => undefined);
      }
    },
    shortfall() {
      const pending = session.replicationPending();
      if (pending === 0) return undefined;
      return {
        level: 'warning',
        source: 'team',
        message: `The team audit database did not get the last ${pending} events of this run; they are in the local journal. Send them with: opsdeck audit sync --env ${environmentFile}`,
      };
    },
  };
}

/**
 * Leases the run's hosts: in the team database when the environment has one, else in the local lock
 * directory. A team database that cannot be reached refuses the run, unless `localLocks`: then the
 * hosts are leased on this machine only, and a notice says so.
 */
async function takeLeases(
  leaseOptions: Parameters<typeof acquireRunLeases>[0],
  options: Pick<LaunchOptions, 'localLocks' | 'localLocksHint'>,
  notices: SessionNotice[],
): Promise<RunLeases> {
  try {
    return await acquireRunLeases(leaseOptions);
  } catch (error) {
    if (error instanceof HostLockedError || !leaseOptions.team || !isOpsError(error)) throw error;
    if (!options.localLocks) {
      throw new OpsError(
        error.code,
        `${error.userMessage}\nNothing was run: the host leases could not be taken. ${options.localLocksHint} to lease the hosts on this machine only (other machines will not see them; the journal is sent to the team database when it is back).`,
        { cause: error },
      );
    }
    const leases = await acquireRunLeases({ ...leaseOptions, team: undefined });
    notices.push({
      level: 'warning',
      source: 'lease',
      message: `${error.userMessage} The hosts are leased on this machine only (${leases.backend.description}); runs from other machines do not see these leases.`,
    });
    return leases;
  }
}
