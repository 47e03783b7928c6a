/**
 * Host leases: a run holds a lease on every host it will touch, so two operators never drive the same
 * host at once. A lease has a time to live and is renewed while its run lives; when the holder vanishes
 * (machine off, process killed) it expires, and anyone may take the host. An operator can break a
 * lease with a reason; the break is recorded.
 *
 * Two backends with the same semantics:
 * - the team database (../team/leases.ts), when the environment names one: shared by the whole team;
 * - a lock directory under the audit directory otherwise (./local.ts): one machine's runs.
 *
 * Both are append-only and race-free by the same design: leases of a host are numbered generations,
 * and taking a host is creating generation N+1 — a unique key in the database, an exclusive create
 * (`link`, which never overwrites) on disk — so of two runs racing for the same host exactly one wins.
 * A generation is live until it has an end record (released or broken, created once) or its expiry
 * (last renewal + TTL) has passed.
 */
import { OpsError } from '../errors';
import type { LeaseHolder, LeaseInfo, LeaseEnd, LeaseBreak } from '../audit/report-types';
export type { LeaseHolder, LeaseInfo, LeaseEnd, LeaseBreak } from '../audit/report-types';

/** Default time to live of a lease: a holder that stops renewing loses it after this. */
export const DEFAULT_LEASE_TTL_MS = 120_000;

export type AcquireResult = { ok: true; lease: LeaseInfo; tookOver?: LeaseInfo } | { ok: false; heldBy: LeaseInfo };

export type RenewResult = { ok: true; expiresAt: string } | { ok: false; ended: LeaseEnd | null };

/** Where leases are kept. */
export interface LeaseBackend {
  readonly kind: 'local' | 'team';
  /** In words, for messages: `the lock directory /x/locks`, `team database audit (…)`. */
  readonly description: string;
  /** Takes the next generation of `host` unless a live lease holds it. */
  tryAcquire(environment: string, host: string, holder: LeaseHolder, ttlMs: number): Promise<AcquireResult>;
  renew(lease: LeaseInfo): Promise<RenewResult>;
  release(lease: LeaseInfo, operator: string): Promise<void>;
  /** The latest lease of every host (of one environment, or all), live or not, ended ones left out. */
  list(environment?: string): Promise<LeaseInfo[]>;
  /** Ends the live (or expired) lease of a host, recording who broke it and why. */
  breakLease(environment: string, host: string, by: { operator: string; machine: string }, reason: string): Promise<LeaseBreak>;
  /** Breaks recorded, newest last. */
  breaks(environment?: string): Promise<LeaseBreak[]>;
}

/** A run that would touch a host another run holds: refused before it starts. */
export class HostLockedError extends OpsError {
  constructor(readonly heldBy: LeaseInfo[]) {
    super(
      'host-locked',
      heldBy.map(describeHeldLease).join('\n') +
        `\nNothing was run. Wait for that run to end; if its holder is gone for good, break the lease: opsdeck locks break ${heldBy[0]?.host ?? '<host>'} --reason "..."`,
    );
  }
}

/** The backend could not be reached to take the leases. */
export class LeaseBackendUnavailableError extends OpsError {}

/** `compute01 is locked by alice (run …, runbook …) on ops-laptop since … (lease expires …)`. */
export function describeHeldLease(lease: LeaseInfo): string {
  return (
    `${lease.host} is locked by ${lease.operator} (run ${lease.runId}${lease.runbook ? `, runbook ${lease.runbook}` : ''}) ` +
    `on ${lease.machine} since ${lease.since}; the lease expires at ${lease.expiresAt} unless renewed (${lease.backend === 'team' ? 'team database' : 'local lock directory'}).`
  );
}

// ---- a run's set of leases ---------------------------------------------------------------------

export type LeaseEvent =
  { type: 'renew-failed'; host: string; message: string } | { type: 'renewed-again'; host: string } | { type: 'lost'; host: string; ended: LeaseEnd | null; message: string };

export interface AcquireLeasesOptions {
  environment: string;
  hosts: string[];
  holder: LeaseHolder;
  ttlMs?: number;
  /** Default ttl/4 (30 s for the 2 min default). */
  renewEveryMs?: number;
}

/**
 * The leases of one run: taken all or none, renewed on a timer until {@link RunLeases.release}.
 * Listeners hear when renewal fails (backend unreachable) and when a lease was lost (broken by an
 * operator, or expired while the backend could not be reached).
 */
export class RunLeases {
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(event: LeaseEvent) => void>();
  private readonly failing = new Set<string>();
  private renewing: Promise<void> | null = null;
  private released = false;

  private constructor(
    readonly backend: LeaseBackend,
    readonly leases: LeaseInfo[],
    readonly tookOver: LeaseInfo[],
    private readonly renewEveryMs: number,
  ) {}

  /**
   * Takes a lease on every host, in name order (no two runs can deadlock), or none: when one is held,
   * those already taken are released and {@link HostLockedError} names every holder.
   * @throws HostLockedError; LeaseBackendUnavailableError when the backend cannot be reached.
   */
  static async acquire(backend: LeaseBackend, options: AcquireLeasesOptions): Promise<RunLeases> {
    const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    const hosts = [...new Set(options.hosts)].sort();
    const taken: LeaseInfo[] = [];
    const tookOver: LeaseInfo[] = [];
    const held: LeaseInfo[] = [];
    try {
      for (const host of hosts) {
        const result = await backend.tryAcquire(options.environment, host, options.holder, ttlMs);
        if (result.ok) {
          taken.push(result.lease);
          if (result.tookOver) tookOver.push(result.tookOver);
        } else held.push(result.heldBy);
      }
    } catch (error) {
      await Promise.allSettled(taken.map((lease) => backend.release(lease, options.holder.operator)));
      if (error instanceof OpsError) throw error;
      throw new LeaseBackendUnavailableError('lease-backend', `The host leases could not be taken in ${backend.description}: ${(error as Error).message}`, { cause: error });
    }
    if (held.length > 0) {
      await Promise.allSettled(taken.map((lease) => backend.release(lease, options.holder.operator)));
      throw new HostLockedError(held);
    }
    const leases = new RunLeases(backend, taken, tookOver, options.renewEveryMs ?? Math.max(Math.floor(ttlMs / 4), 200));
    leases.start();
    return leases;
  }

  onEvent(listener: (event: LeaseEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get hosts(): string[] {
    return this.leases.map((lease) => lease.host);
  }

  /** Renews every lease now (the timer does it every renewEveryMs). */
  renewNow(): Promise<void> {
    if (this.renewing) return this.renewing;
    this.renewing = this.renewAll().finally(() => (this.renewing = null));
    return this.renewing;
  }

  /** Stops renewing and releases every lease still held. Safe to call twice. */
  async release(operator: string): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.renewing?.catch(() => undefined);
    await Promise.allSettled(this.leases.map((lease) => this.backend.release(lease, operator)));
  }

  /** Stops renewing without releasing: what a crashed holder leaves behind (tests). */
  abandon(): void {
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private start(): void {
    if (this.leases.length === 0) return;
    this.timer = setInterval(() => void this.renewNow(), this.renewEveryMs);
    this.timer.unref();
  }

  private async renewAll(): Promise<void> {
    for (const lease of [...this.leases]) {
      if (this.released) return;
      let result: RenewResult;
      try {
        result = await this.backend.renew(lease);
      } catch (error) {
        if (!this.failing.has(lease.host)) {
          this.failing.add(lease.host);
          this.emit({
            type: 'renew-failed',
            host: lease.host,
            message: `The lease on ${lease.host} could not be renewed in ${this.backend.description}: ${(error as Error).message}. Retrying; it expires at ${lease.expiresAt}.`,
          });
        }
        continue;
      }
      if (result.ok) {
        lease.expiresAt = result.expiresAt;
        lease.renewedAt = new Date().toISOString();
        if (this.failing.delete(lease.host)) this.emit({ type: 'renewed-again', host: lease.host });
        continue;
      }
      this.leases.splice(this.leases.indexOf(lease), 1);
      const ended = result.ended;
      this.emit({
        type: 'lost',
        host: lease.host,
        ended,
        message:
          ended?.kind === 'broken'
            ? `The lease on ${lease.host} was broken by ${ended.operator} on ${ended.machine} at ${ended.at}: ${ended.reason ?? 'no reason given'}. Another run may now touch ${lease.host}.`
            : `The lease on ${lease.host} was lost (it expired while it could not be renewed). Another run may now touch ${lease.host}.`,
      });
    }
  }

  private emit(event: LeaseEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
