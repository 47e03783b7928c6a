/** One domain of the console's api/ contract: a typed part of ConsoleService's handler map (service.ts). */
import os from 'node:os';
import type { LocksListing, TeamRunListing } from '../api/contract';
import type { LeaseBackend } from '../core/leases/run-leases';
import { leaseBackendFor } from '../core/usecases/launch';
import type { Environment } from '../core/inventory/model';
import { ServiceContext, type HandlerMap } from './service-context';

/** The team database and host leases (`audit:teamList`, `locks:*`): the runs it holds, the leases held now, a lease broken with a reason. */
export class TeamHandlers {
  constructor(private readonly context: ServiceContext) {}

  handlers(): HandlerMap<'audit:teamList' | 'locks:list' | 'locks:break'> {
    return {
      'audit:teamList': (request) => this.teamRuns(request.environmentId),
      'locks:list': (request) => this.listLocks(request.environmentId),
      'locks:break': (request) => this.breakLock(request.environmentId, request.host, request.reason),
    };
  }

  private async teamRuns(environmentId: string): Promise<TeamRunListing> {
    const { team } = await this.context.requireTeam(environmentId);
    try {
      return { database: team.description, runs: await team.listRuns({ limit: TEAM_RUNS_LIMIT }) };
    } finally {
      await team.close().catch(() => undefined);
    }
  }

  /** Where the environment's leases live: its team database, else this machine's lock directory (as the CLI). */
  private async withLeaseBackend<T>(environmentId: string, work: (backend: LeaseBackend, environment: Environment) => Promise<T>): Promise<T> {
    const environment = await this.context.environmentOf(environmentId);
    const team = this.context.teamFor(environmentId, environment);
    try {
      return await work(leaseBackendFor(team, this.context.options.auditDir), environment);
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
      backend.breakLease(environment.name, host, { operator: this.context.operator, machine: os.hostname() }, reason),
    );
  }
}

/** The most team runs listed at once. */
const TEAM_RUNS_LIMIT = 500;
/** The most recent lease breaks listed. */
const MAX_BREAKS_LISTED = 20;
