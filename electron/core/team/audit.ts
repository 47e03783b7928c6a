/**
 * The team audit an environment names (`audit: { database }`): one connection to the team database
 * (./database.ts) serving both what the engine keeps there, the copy of every journal (./journal.ts)
 * and the host leases (./leases.ts), so a run's records and leases never wait on two connections.
 */
import type { TeamRunSummary } from '../audit/report-types';
import { OpsError } from '../errors';
import type { Environment } from '../inventory/model';
import type { AcquireResult, LeaseBackend, LeaseBreak, LeaseHolder, LeaseInfo, RenewResult } from '../leases/run-leases';
import { DEFAULT_TEAM_SCHEMA, TeamDatabase, type TeamAuditOptions } from './database';
import { TeamJournal, type TeamRecord, type TeamRunRow } from './journal';
import { TeamLeases } from './leases';

/** The team database with its journal copy and its host leases. */
export class TeamAudit extends TeamDatabase implements LeaseBackend {
  readonly kind = 'team' as const;
  private readonly journal = new TeamJournal(this);
  private readonly leases = new TeamLeases(this);

  // ---- journal records (./journal.ts) ------------------------------------------------------

  /** The highest seq the database has for a run (0: none). */
  lastSeq(runId: string): Promise<number> {
    return this.journal.lastSeq(runId);
  }

  /** Inserts consecutive records of a run in one transaction; a duplicate throws `team-duplicate`. */
  insertRecords(runId: string, records: TeamRecord[]): Promise<void> {
    return this.journal.insertRecords(runId, records);
  }

  /** Every record of a run, in seq order. */
  records(runId: string): Promise<TeamRecord[]> {
    return this.journal.records(runId);
  }

  /** The run's audit_runs row (who the database says ran it, and which login inserted the row). */
  runRow(runId: string): Promise<TeamRunRow | null> {
    return this.journal.runRow(runId);
  }

  /** The arrival order of a run's records (seq by arrival): replication sent them in order. */
  arrivalOrder(runId: string): Promise<number[]> {
    return this.journal.arrivalOrder(runId);
  }

  /** The runs the database knows, newest first. */
  listRuns(filter: { environment?: string; runbook?: string; limit?: number } = {}): Promise<TeamRunSummary[]> {
    return this.journal.listRuns(filter);
  }

  /** The run id that `prefix` names in the database (exact, or the only one starting with it). */
  resolveRun(prefix: string): Promise<string> {
    return this.journal.resolveRun(prefix);
  }

  // ---- host leases (./leases.ts) -----------------------------------------------------------

  tryAcquire(environment: string, host: string, holder: LeaseHolder, ttlMs: number): Promise<AcquireResult> {
    return this.leases.tryAcquire(environment, host, holder, ttlMs);
  }

  renew(lease: LeaseInfo): Promise<RenewResult> {
    return this.leases.renew(lease);
  }

  release(lease: LeaseInfo, operator: string): Promise<void> {
    return this.leases.release(lease, operator);
  }

  list(environment?: string): Promise<LeaseInfo[]> {
    return this.leases.list(environment);
  }

  breakLease(environment: string, host: string, by: { operator: string; machine: string }, reason: string): Promise<LeaseBreak> {
    return this.leases.breakLease(environment, host, by, reason);
  }

  breaks(environment?: string): Promise<LeaseBreak[]> {
    return this.leases.breaks(environment);
  }
}

/**
 * The team audit database an environment names (`audit: { database }`), or undefined when it names
 * none. `tunnel` reaches a database behind an SSH host (the environment's SSH pool `forward`).
 */
export function teamAuditFor(environment: Environment, options: TeamAuditOptions = {}): TeamAudit | undefined {
  const name = environment.audit?.database;
  if (!name) return undefined;
  const database = environment.databases[name];
  if (!database) throw new OpsError('team-config', `The environment's audit.database "${name}" is not one of its databases.`);
  return new TeamAudit({ database, schema: environment.audit?.schema ?? DEFAULT_TEAM_SCHEMA, environment: environment.name }, options);
}
