/**
 * Host leases in the team database, shared by the whole team: the same semantics as the local lock
 * directory (../leases/run-leases.ts). Leases are generations with renewals and ends as rows, never
 * updated, so the console's account needs only SELECT and INSERT.
 */
import type mysql from 'mysql2/promise';
import { OpsError } from '../errors';
import type { AcquireResult, LeaseBackend, LeaseBreak, LeaseEnd, LeaseHolder, LeaseInfo, RenewResult } from '../leases/run-leases';
import { isDuplicate, type TeamDatabase } from './database';

/** A DATETIME(3) in UTC (`2026-11-21 10:00:00.123`) as ISO 8601. */
function isoOf(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(text) ? `${text.replace(' ', 'T')}${text.includes('.') ? '' : '.000'}Z` : text;
}

/** The host_leases tables of a team database. */
export class TeamLeases implements LeaseBackend {
  readonly kind = 'team' as const;

  constructor(private readonly database: TeamDatabase) {}

  get description(): string {
    return this.database.description;
  }

  private static readonly LEASE_SELECT = `
    SELECT l.*,
      GREATEST(l.expires_at, COALESCE((SELECT MAX(n.expires_at) FROM host_lease_renewals n WHERE n.lease_id = l.id), l.expires_at)) AS effective_expires,
      COALESCE((SELECT MAX(n.renewed_at) FROM host_lease_renewals n WHERE n.lease_id = l.id), l.acquired_at) AS renewed_at,
      e.kind AS end_kind, e.at AS end_at, e.operator AS end_operator, e.machine AS end_machine, e.reason AS end_reason,
      NOW(3) AS db_now
    FROM host_leases l LEFT JOIN host_lease_ends e ON e.lease_id = l.id`;

  private leaseOf(row: mysql.RowDataPacket): LeaseInfo {
    const expiresAt = String(row.effective_expires);
    return {
      backend: 'team',
      environment: String(row.environment),
      host: String(row.host),
      leaseId: String(row.id),
      generation: Number(row.generation),
      ttlMs: Number(row.ttl_ms),
      runId: String(row.run_id),
      operator: String(row.operator),
      machine: String(row.machine),
      pid: Number(row.pid),
      ...(row.runbook_id ? { runbook: String(row.runbook_id) } : {}),
      since: isoOf(row.acquired_at),
      renewedAt: isoOf(row.renewed_at),
      expiresAt: isoOf(expiresAt),
      // The database's clock decides, so machines with skewed clocks agree.
      expired: expiresAt < String(row.db_now),
      ...(row.end_kind ? { ended: this.endOf(row) } : {}),
    };
  }

  private endOf(row: mysql.RowDataPacket): LeaseEnd {
    return {
      kind: row.end_kind === 'broken' ? 'broken' : 'released',
      at: isoOf(row.end_at),
      operator: String(row.end_operator),
      machine: String(row.end_machine),
      ...(row.end_reason !== null && row.end_reason !== undefined ? { reason: String(row.end_reason) } : {}),
    };
  }

  private async latestLease(connection: mysql.Connection, environment: string, host: string): Promise<LeaseInfo | null> {
    const rows = await this.database.query(connection, `${TeamLeases.LEASE_SELECT} WHERE l.environment = ? AND l.host = ? ORDER BY l.generation DESC LIMIT 1`, [environment, host]);
    return rows[0] ? this.leaseOf(rows[0]) : null;
  }

  async tryAcquire(environment: string, host: string, holder: LeaseHolder, ttlMs: number): Promise<AcquireResult> {
    return this.database
      .exclusive(async (connection): Promise<AcquireResult> => {
        for (let attempt = 0; attempt < 20; attempt++) {
          const latest = await this.latestLease(connection, environment, host);
          if (latest && !latest.ended && !latest.expired && latest.runId !== holder.runId) return { ok: false, heldBy: latest };
          try {
            const result = await this.database.query<mysql.ResultSetHeader>(
              connection,
              `INSERT INTO host_leases (environment, host, generation, run_id, operator, machine, pid, runbook_id, ttl_ms, acquired_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(3), NOW(3) + INTERVAL ? MICROSECOND)`,
              [environment, host, (latest?.generation ?? 0) + 1, holder.runId, holder.operator, holder.machine, holder.pid, holder.runbook ?? null, ttlMs, ttlMs * 1000],
            );
            const rows = await this.database.query(connection, `${TeamLeases.LEASE_SELECT} WHERE l.id = ?`, [result.insertId]);
            return { ok: true, lease: this.leaseOf(rows[0]), ...(latest && !latest.ended ? { tookOver: latest } : {}) };
          } catch (error) {
            // Another run took this generation a moment ago: look again.
            if (!isDuplicate(error)) throw error;
          }
        }
        throw new OpsError('lease-contention', `Could not take the lease on ${host}: other runs kept taking it at the same moment. Try again.`);
      })
      .catch((error) => {
        throw this.database.describe(error);
      });
  }

  async renew(lease: LeaseInfo): Promise<RenewResult> {
    return this.database
      .exclusive(async (connection): Promise<RenewResult> => {
        const before = await this.latestLease(connection, lease.environment, lease.host);
        const own = await this.database.query(connection, `${TeamLeases.LEASE_SELECT} WHERE l.id = ?`, [lease.leaseId]);
        const current = own[0] ? this.leaseOf(own[0]) : null;
        if (!current) return { ok: false, ended: null };
        if (current.ended) return { ok: false, ended: current.ended };
        if ((before?.generation ?? 0) > lease.generation) return { ok: false, ended: null };
        await this.database.query(connection, 'INSERT INTO host_lease_renewals (lease_id, renewed_at, expires_at) VALUES (?, NOW(3), NOW(3) + INTERVAL ? MICROSECOND)', [
          lease.leaseId,
          lease.ttlMs * 1000,
        ]);
        // A break that landed meanwhile wins over the renewal.
        const after = await this.database.query(connection, `${TeamLeases.LEASE_SELECT} WHERE l.id = ?`, [lease.leaseId]);
        const renewed = this.leaseOf(after[0]);
        if (renewed.ended) return { ok: false, ended: renewed.ended };
        return { ok: true, expiresAt: renewed.expiresAt };
      })
      .catch((error) => {
        throw this.database.describe(error);
      });
  }

  async release(lease: LeaseInfo, operator: string): Promise<void> {
    await this.database
      .exclusive(async (connection) => {
        await this.database.query(connection, "INSERT IGNORE INTO host_lease_ends (lease_id, kind, at, operator, machine, reason) VALUES (?, 'released', NOW(3), ?, ?, NULL)", [
          lease.leaseId,
          operator,
          lease.machine,
        ]);
      })
      .catch((error) => {
        throw this.database.describe(error);
      });
  }

  async list(environment?: string): Promise<LeaseInfo[]> {
    return this.database
      .exclusive(async (connection) => {
        const rows = await this.database.query(
          connection,
          `${TeamLeases.LEASE_SELECT}
         WHERE l.generation = (SELECT MAX(m.generation) FROM host_leases m WHERE m.environment = l.environment AND m.host = l.host)
           AND e.lease_id IS NULL ${environment !== undefined ? 'AND l.environment = ?' : ''}
         ORDER BY l.environment, l.host`,
          environment !== undefined ? [environment] : [],
        );
        return rows.map((row) => this.leaseOf(row));
      })
      .catch((error) => {
        throw this.database.describe(error);
      });
  }

  async breakLease(environment: string, host: string, by: { operator: string; machine: string }, reason: string): Promise<LeaseBreak> {
    return this.database
      .exclusive(async (connection) => {
        const latest = await this.latestLease(connection, environment, host);
        if (!latest || latest.ended) throw new OpsError('lease-not-found', `No lease holds ${host} in environment ${environment} (${this.database.description}).`);
        try {
          await this.database.query(connection, "INSERT INTO host_lease_ends (lease_id, kind, at, operator, machine, reason) VALUES (?, 'broken', NOW(3), ?, ?, ?)", [
            latest.leaseId,
            by.operator,
            by.machine,
            reason,
          ]);
        } catch (error) {
          if (isDuplicate(error)) throw new OpsError('lease-not-found', `The lease on ${host} ended just now (released or broken by someone else); nothing to break.`);
          throw error;
        }
        const rows = await this.database.query(connection, `${TeamLeases.LEASE_SELECT} WHERE l.id = ?`, [latest.leaseId]);
        const end = this.leaseOf(rows[0]).ended;
        return { environment, host, lease: latest, by: by.operator, machine: by.machine, reason, at: end?.at ?? new Date().toISOString() };
      })
      .catch((error) => {
        throw this.database.describe(error);
      });
  }

  async breaks(environment?: string): Promise<LeaseBreak[]> {
    return this.database
      .exclusive(async (connection) => {
        const rows = await this.database.query(
          connection,
          `${TeamLeases.LEASE_SELECT} WHERE e.kind = 'broken' ${environment !== undefined ? 'AND l.environment = ?' : ''} ORDER BY e.at, l.id`,
          environment !== undefined ? [environment] : [],
        );
        return rows.map((row) => {
          const lease = this.leaseOf(row);
          const end = lease.ended!;
          return { environment: lease.environment, host: lease.host, lease, by: end.operator, machine: end.machine, reason: end.reason ?? '', at: end.at };
        });
      })
      .catch((error) => {
        throw this.database.describe(error);
      });
  }
}
