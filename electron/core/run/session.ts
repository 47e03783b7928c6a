/**
 * A run with everything around it: parameters checked, secrets known to the masker, the journal
 * created before the first event, a transcript per host, and all of it closed when the run ends.
 * The CLI and the console's server both start runs through here.
 */
import os from 'node:os';
import type { ApprovalTransport } from '../approval/types';
import { CastWriter, castPath } from '../audit/asciicast';
import type { RunEvent, RunNoteEvent, RunStatus } from '../audit/events';
import { newRunId, runDir } from '../audit/files';
import { Journal } from '../audit/journal';
import { LocalLeaseBackend } from '../leases/local';
import { DEFAULT_LEASE_TTL_MS, RunLeases, type LeaseBackend, type LeaseEvent } from '../leases/run-leases';
import { Masker } from '../audit/mask';
import { TeamReplicator, type ReplicationEvent, type ReplicatorOptions } from '../team/replicator';
import type { TeamAudit } from '../team/audit';
import type { Environment } from '../inventory/model';
import type { ParamValue, Runbook } from '../runbook/model';
import { MysqlConnector, type SqlConnector, type Tunnel } from '../sql/mysql';
import { SshPool } from '../ssh/pool';
import type { SshConnector } from '../ssh/types';
import { OpsError, userMessageOf } from '../errors';
import { resolveParams } from './params';
import { JournalRecorder, reopenJournal } from './recorder';
import { plannedHosts } from './preflight';
import { Runner, type FailurePolicy, type ResumeState } from './runner';
import { planProbes, takeSnapshot, type PlannedProbe } from './snapshot';
import { HostTerminalText } from './terminal-text';

export interface RunSessionOptions {
  runbook: Runbook;
  library?: { get(id: string): Runbook | undefined };
  environment: Environment;
  /** Raw parameters (strings from a command line or form, or typed values). */
  params: Record<string, unknown>;
  ssh: SshConnector;
  sql?: SqlConnector;
  operator: string;
  auditDir: string;
  onFailure?: FailurePolicy;
  runId?: string;
  /**
   * Reopening a run: its journal is appended to, and the runner skips what was done. `notes` are
   * journalled when it starts again (which secrets were given again, never their values).
   */
  resume?: ResumeState & { runId: string; params: Record<string, ParamValue>; notes?: string[] };
  /** A drill: its objectives (ms; `run` for the whole run, else step keys) are recorded in run.started. */
  drill?: { objectives: Record<string, number> };
  /**
   * Host leases taken with {@link acquireRunLeases} for this run id: renewed while the run lives,
   * released when it ends; their taking, loss and release are noted in the journal.
   */
  leases?: RunLeases;
  /** The team audit database: every journal line is replicated to it as the run goes. */
  team?: TeamAudit;
  /** How long start() waits at the end for the team database to have every line. Default 10 s (3 s when it is already failing). */
  teamDrainMs?: number;
  replicator?: ReplicatorOptions;
  /** Where destructive steps ask a second operator (the environment's `approval: two-person`). */
  approvals?: ApprovalTransport;
}

export interface RunSession {
  runId: string;
  runDirectory: string;
  runner: Runner;
  masker: Masker;
  /** The parameters after checking, with defaults. */
  params: Record<string, ParamValue>;
  /** Starts the run; resolves with its final status once the journal is closed. */
  start(): Promise<RunStatus>;
  /**
   * Takes a state snapshot now (the environment's `snapshots: true`) and journals it under `label`;
   * false when snapshots are off or the run is over. The start and end ones are taken by themselves.
   */
  snapshot: (label: string, step?: string) => Promise<boolean>;
  /** Replicates the journal to the team database (when there is one). */
  replicator?: TeamReplicator;
  leases?: RunLeases;
  /**
   * After start() resolved: journal lines the team database did not get before the drain timeout
   * (they stay in the local journal; `opsdeck audit sync` sends them). 0 without a team database.
   */
  replicationPending(): number;
}

export interface RunLeaseOptions {
  runbook: Runbook;
  library?: { get(id: string): Runbook | undefined };
  environment: Environment;
  /** Checked parameters (as {@link resolveParams} returns them). */
  params: Record<string, ParamValue>;
  /** The id the run will have: the lease names it. */
  runId: string;
  operator: string;
  auditDir: string;
  /** The team database; without one the leases live in `<auditDir>/locks`. */
  team?: TeamAudit;
  /** The hosts to lease; default {@link plannedHosts}. */
  hosts?: string[];
  renewEveryMs?: number;
}

/**
 * Takes a lease on every host the run will touch ({@link plannedHosts}), in the team database or the
 * local lock directory, before anything is written: a refused run leaves no journal behind.
 * @throws HostLockedError naming the holder of each host that is taken; LeaseBackendUnavailableError.
 */
export async function acquireRunLeases(options: RunLeaseOptions): Promise<RunLeases> {
  const { environment, runbook } = options;
  const backend = leaseBackendFor(options.team, options.auditDir);
  const hosts = options.hosts ?? plannedHosts(runbook, options.params, environment, options.library);
  return RunLeases.acquire(backend, {
    environment: environment.name,
    hosts,
    holder: { runId: options.runId, operator: options.operator, machine: os.hostname(), pid: process.pid, runbook: runbook.id },
    ttlMs: environment.audit?.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
    ...(options.renewEveryMs ? { renewEveryMs: options.renewEveryMs } : {}),
  });
}

/**
 * Where an environment's host leases live: its team database when it names one (every machine sees
 * them), else this machine's lock directory, `<auditDir>/locks`, shared by the CLI and the console.
 */
export function leaseBackendFor(team: TeamAudit | undefined, auditDir: string): LeaseBackend {
  return team ?? new LocalLeaseBackend(auditDir);
}

/** The connections of one environment: an SSH pool that knows its jump hosts, and SQL through it. */
export interface Connectors {
  ssh: SshPool;
  sql: SqlConnector;
  close(): Promise<void>;
}

/**
 * The one way a run reaches an environment: SSH that resolves the environment's jump hosts
 * (ProxyJump), and SQL tunnelled through it. `environment` may be a getter, for a console whose
 * environment file is read again while its connections stay open.
 */
export function connectorsFor(environment: Environment | (() => Environment)): Connectors {
  const current = typeof environment === 'function' ? environment : () => environment;
  const ssh = new SshPool({ knownHostsFile: current().knownHostsFile, resolveHost: (name) => current().hosts.find((host) => host.name === name) });
  const sql = new MysqlConnector(tunnelThrough(ssh, current));
  return {
    ssh,
    sql,
    async close() {
      await sql.close();
      await ssh.close();
    },
  };
}

/** Reaches address:port as seen from a host of the environment (a database behind it), through the SSH pool. */
export function tunnelThrough(ssh: SshPool, environment: Environment | (() => Environment)): Tunnel {
  const current = typeof environment === 'function' ? environment : () => environment;
  return async (hostName, address, port) => {
    const host = current().hosts.find((candidate) => candidate.name === hostName);
    if (!host) throw new OpsError('host-not-found', `The database is reached through ${hostName}, which is not a host of ${current().name}.`);
    return ssh.forward(host, address, port);
  };
}

/** Every secret an environment holds: its secrets, database passwords, SSH passphrases and passwords. */
export function environmentSecrets(environment: Environment): string[] {
  const secrets: string[] = [...Object.values(environment.secrets)];
  for (const database of Object.values(environment.databases)) if (database.password) secrets.push(database.password);
  for (const host of environment.hosts) {
    if (host.passphrase) secrets.push(host.passphrase);
    if (host.password) secrets.push(host.password);
    if (host.bmc) secrets.push(host.bmc.password);
  }
  return secrets;
}

/** Every secret a run could write: secret params and everything {@link environmentSecrets} holds. */
export function maskerFor(runbook: Runbook, environment: Environment, params: Record<string, ParamValue>): Masker {
  const secrets: string[] = [];
  for (const spec of runbook.params) {
    const value = params[spec.name];
    if (spec.secret && value !== undefined) secrets.push(...(Array.isArray(value) ? value : [String(value)]));
  }
  secrets.push(...environmentSecrets(environment));
  return new Masker(secrets);
}

/** A sentence about the run's leases or its team copy, for the journal, the CLI and the console alike. */
export interface SessionNotice {
  level: RunNoteEvent['level'];
  source: 'lease' | 'team';
  message: string;
}

/** What a lease event means, in words. */
export function leaseNotice(event: LeaseEvent): SessionNotice {
  if (event.type === 'lost') return { level: 'error', source: 'lease', message: event.message };
  if (event.type === 'renew-failed') return { level: 'warning', source: 'lease', message: event.message };
  return { level: 'info', source: 'lease', message: `The lease on ${event.host} is renewed again.` };
}

/** What a replication event means, in words; undefined for the ones nobody needs to hear of. */
export function replicationNotice(event: ReplicationEvent): SessionNotice | undefined {
  if (event.type === 'unreachable') {
    return {
      level: 'warning',
      source: 'team',
      message: `The team audit database cannot be reached (${event.message}); events wait in the local journal and are sent when it is back.`,
    };
  }
  if (event.afterOutage) return { level: 'info', source: 'team', message: `The team audit database is reachable again; ${event.sent} queued events were sent in order.` };
  return undefined;
}

/** The leases a run took, in words; undefined when it took none. */
export function leaseSummary(leases: RunLeases): string | undefined {
  if (leases.leases.length === 0) return undefined;
  const tookOver = leases.tookOver.map((lease) => `${lease.host} from ${lease.operator} (run ${lease.runId}, expired ${lease.expiresAt})`);
  return (
    `Leased ${leases.hosts.join(', ')} for this run in ${leases.backend.description} until it ends (TTL ${Math.round((leases.leases[0]?.ttlMs ?? 0) / 1000)} s, renewed while the run lives).` +
    (tookOver.length ? ` Took over expired leases: ${tookOver.join('; ')}.` : '')
  );
}

/**
 * Prepares a run. Throws before anything is written when the parameters are wrong, so a refused run
 * leaves no journal behind.
 */
export function createRunSession(options: RunSessionOptions): RunSession {
  const { runbook, environment } = options;
  const params = options.resume?.params ?? resolveParams(runbook, options.params, environment);
  const masker = maskerFor(runbook, environment, params);
  const runId = options.resume?.runId ?? options.runId ?? newRunId();
  if (options.leases && options.leases.leases.some((lease) => lease.runId !== runId)) {
    throw new OpsError('lease-run-mismatch', `The host leases were taken for another run id than ${runId}.`);
  }
  const journal = options.resume ? Journal.open(options.auditDir, runId, masker) : Journal.create(options.auditDir, runId, masker);
  const runDirectory = runDir(options.auditDir, runId);
  // Between the runner and the journal: holds events (in order) while the disk is full, never drops them.
  const journalRecorder = new JournalRecorder(journal, reopenJournal(options.auditDir, runId, masker));
  const replicator = options.team ? new TeamReplicator(options.team, runId, journal.file, options.replicator) : undefined;
  const leases = options.leases;
  let pending = 0;
  let finished = false;
  /**
   * A note only the journal gets (the console hears of leases and replication from their own events).
   * Never after run.finished: readers take the last line of a finished run to be run.finished.
   */
  const journalNote = (level: RunNoteEvent['level'], message: string) => {
    if (journalRecorder.current.closed || finished) return;
    journalRecorder.append({ type: 'run.note', level, message });
    replicator?.notify();
  };
  const leaseWords = () => (leases ? leaseSummary(leases) : undefined);
  const unsubscribers: Array<() => void> = [];
  if (leases) {
    unsubscribers.push(
      leases.onEvent((event) => {
        const notice = leaseNotice(event);
        journalNote(notice.level, notice.message);
      }),
    );
  }
  if (replicator) {
    unsubscribers.push(
      replicator.onEvent((event) => {
        const notice = replicationNotice(event);
        if (notice) journalNote(notice.level, notice.message);
      }),
    );
  }
  const transcripts = new Map<string, CastWriter>();
  const transcriptFor = (host: string): CastWriter => {
    let writer = transcripts.get(host);
    if (!writer) {
      writer = CastWriter.create(castPath(runDirectory, host), masker, { width: 160, height: 48, title: `${runbook.id} on ${host}` });
      transcripts.set(host, writer);
    }
    return writer;
  };

  let transcriptsFailing = false;
  // What the console's run-output terminal of each host shows, so a replay shows what was seen.
  const terminalText = new HostTerminalText();
  /** Transcripts are a second copy of the output: a write that fails (disk full) must not stop the run. */
  const writeTranscript = (event: RunEvent) => {
    try {
      // Masked by the runner already; the transcript plays each \n back as a new line (\r\n).
      for (const { host, text } of terminalText.render(event)) transcriptFor(host).outputLines(text);
      if (event.type === 'step.finished') for (const writer of transcripts.values()) writer.flush();
      transcriptsFailing = false;
    } catch (error) {
      if (!transcriptsFailing) journalNote('warning', `A transcript could not be written (${userMessageOf(error)}); the journal keeps the output.`);
      transcriptsFailing = true;
    }
  };

  // State snapshots (electron/core/run/snapshot.ts): beside the step walk, at its start and end.
  let probes: PlannedProbe[] | undefined;
  const snapshotsOn = environment.snapshots === true;
  const snapshot = async (label: string, step?: string): Promise<boolean> => {
    if (!snapshotsOn || finished || journalRecorder.current.closed) return false;
    if (!probes) {
      let touched: string[] = [];
      try {
        touched = plannedHosts(runbook, params, environment, options.library);
      } catch {
        // A host known only once a step runs: the unit probes cover the hosts known now.
      }
      probes = planProbes(environment, runbook, touched);
    }
    const record = await takeSnapshot({ label, ...(step ? { step } : {}), environment, probes, ssh: options.ssh, masker });
    if (finished || journalRecorder.current.closed) return false;
    journalRecorder.append(record);
    replicator?.notify();
    return true;
  };

  const runner = new Runner({
    runId,
    runbook,
    library: options.library,
    environment,
    params,
    ssh: options.ssh,
    sql: options.sql,
    operator: options.operator,
    machine: os.hostname(),
    masker,
    recorder: {
      append(event: RunEvent) {
        // The runner knows nothing of drills: the objectives join run.started before it is recorded
        // (listeners get the same object, so they see them too).
        if (event.type === 'run.started' && options.drill) event.drill = options.drill;
        journalRecorder.append(event);
        if (event.type === 'run.finished') finished = true;
        replicator?.notify();
        if (event.type === 'run.started') {
          const words = leaseWords();
          if (words) journalNote('info', words);
        }
        writeTranscript(event);
      },
      healthy: () => journalRecorder.healthy(),
      recover: () => journalRecorder.recover(),
      problem: () => journalRecorder.problem(),
    },
    onFailure: options.onFailure,
    resume: options.resume,
    approvals: options.approvals,
    hooks: {
      started: async () => {
        await snapshot('start');
      },
      finishing: async () => {
        await snapshot('end');
      },
    },
  });

  return {
    runId,
    runDirectory,
    runner,
    masker,
    params,
    replicator,
    leases,
    replicationPending: () => pending,
    snapshot,
    async start() {
      if (options.resume) {
        for (const note of options.resume.notes ?? []) journalNote('info', note);
        const words = leaseWords();
        if (words) journalNote('info', words);
      }
      try {
        return await runner.start();
      } finally {
        for (const writer of transcripts.values()) {
          try {
            writer.close();
          } catch {
            // A disk still full at the end (already noted when the transcripts began to fail): the
            // journal keeps the output; the leases, the journal and the team copy below must still be
            // released, closed and sent.
          }
        }
        for (const unsubscribe of unsubscribers) unsubscribe();
        await leases?.release(options.operator).catch(() => undefined);
        try {
          journalRecorder.close();
        } catch {
          // Closing syncs: a disk still full fails here, after everything was written or held.
        }
        if (replicator) {
          // A database already known to be down gets a short last chance: the operator is waiting.
          const drainMs = options.teamDrainMs ?? (replicator.status().lastError ? 3_000 : 10_000);
          pending = (await replicator.drain(drainMs)).pending;
          replicator.close();
        }
      }
    },
  };
}
