/**
 * The team's shared audit trail and host leases in MySQL/MariaDB (mysql2), when the environment names a
 * database for it (`audit: { database: <name under databases:> }`, see docs/audit-trail.md).
 *
 * The local journal stays the source of truth. The database holds a copy of every journal line,
 * verbatim, with its seq, prev and hash, so the chain can be checked there too, and a copy kept out of
 * reach of whoever can edit the operator's disk. Every table is append-only for the console's account
 * (it needs only SELECT and INSERT): leases are generations with renewals and ends as rows, never
 * updated. The schema is created and migrated by `opsdeck team migrate` with an account allowed to
 * create tables; the console checks the version it finds (table `opsdeck_migrations`).
 */
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { OpsError } from '../errors';
import type { DatabaseSpec, Environment } from '../inventory/model';
import { openMysqlConnection, type Tunnel } from '../sql/mysql';
import type { RunStartedEvent } from './events';
import { GENESIS_HASH, HASH_SUFFIX_LENGTH, parseRecord } from './journal';
import type { AcquireResult, LeaseBackend, LeaseBreak, LeaseEnd, LeaseHolder, LeaseInfo, RenewResult } from './locks';
import type { TeamRunSummary } from './report-types';
export type { TeamRunSummary } from './report-types';

/** Where the team audit lives: a database of the environment and a schema in it. */
export interface TeamAuditConfig {
  /** The connection (a database declared under the environment's `databases:`). */
  database: DatabaseSpec;
  /** The schema holding the tables. Default `opsdeck_audit`. */
  schema: string;
  /** Environment name: leases are per environment and host name. */
  environment: string;
}

export const DEFAULT_TEAM_SCHEMA = 'opsdeck_audit';

/** Opens a byte stream to address:port as seen from an environment host (for a database behind SSH). */
export type TeamTunnel = Tunnel;

interface Migration {
  version: number;
  name: string;
  statements: string[];
  /** Run after the statements, before the version is recorded: throws when the result cannot work. */
  check?: (connection: mysql.Connection, admin: DatabaseSpec) => Promise<void>;
}

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/** The schema, in order. Never edit a released migration: add the next one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'journal records and runs',
    statements: [
      `CREATE TABLE IF NOT EXISTS audit_runs (
        run_id VARCHAR(128) NOT NULL PRIMARY KEY,
        runbook_id VARCHAR(255) NOT NULL,
        runbook_title VARCHAR(1024) NOT NULL,
        runbook_version VARCHAR(64) NOT NULL,
        runbook_sha256 CHAR(64) NOT NULL,
        environment VARCHAR(255) NOT NULL,
        lab TINYINT(1) NOT NULL,
        operator VARCHAR(255) NOT NULL,
        machine VARCHAR(255) NOT NULL,
        started_at VARCHAR(40) NOT NULL,
        received_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        KEY started (started_at)
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE IF NOT EXISTS audit_records (
        arrival BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
        run_id VARCHAR(128) NOT NULL,
        seq INT UNSIGNED NOT NULL,
        type VARCHAR(32) NOT NULL,
        ts VARCHAR(40) NOT NULL,
        prev CHAR(64) NOT NULL,
        hash CHAR(64) NOT NULL,
        line LONGTEXT NOT NULL,
        received_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        PRIMARY KEY (run_id, seq),
        UNIQUE KEY arrival (arrival),
        KEY run_type (run_id, type)
      ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 2,
    name: 'host leases',
    statements: [
      `CREATE TABLE IF NOT EXISTS host_leases (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        environment VARCHAR(255) NOT NULL,
        host VARCHAR(255) NOT NULL,
        generation INT UNSIGNED NOT NULL,
        run_id VARCHAR(128) NOT NULL,
        operator VARCHAR(255) NOT NULL,
        machine VARCHAR(255) NOT NULL,
        pid INT UNSIGNED NOT NULL,
        runbook_id VARCHAR(255) NULL,
        ttl_ms INT UNSIGNED NOT NULL,
        acquired_at DATETIME(3) NOT NULL,
        expires_at DATETIME(3) NOT NULL,
        UNIQUE KEY host_generation (environment, host, generation),
        KEY run (run_id)
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE IF NOT EXISTS host_lease_renewals (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        lease_id BIGINT UNSIGNED NOT NULL,
        renewed_at DATETIME(3) NOT NULL,
        expires_at DATETIME(3) NOT NULL,
        KEY lease (lease_id, expires_at)
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE IF NOT EXISTS host_lease_ends (
        lease_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
        kind VARCHAR(16) NOT NULL,
        at DATETIME(3) NOT NULL,
        operator VARCHAR(255) NOT NULL,
        machine VARCHAR(255) NOT NULL,
        reason TEXT NULL,
        KEY kind_at (kind, at)
      ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 3,
    name: 'rows attributed to the database account that inserted them',
    // A BEFORE INSERT trigger (not a column default, which the inserting client could override) sets
    // inserted_by to USER(): the login of the session inserting, user@client-host, as the server
    // authenticated it. Inside a trigger CURRENT_USER() would be the trigger's definer (the admin).
    // The console's SELECT, INSERT account cannot drop or replace the trigger (that needs TRIGGER).
    statements: [
      "ALTER TABLE audit_runs ADD COLUMN IF NOT EXISTS inserted_by VARCHAR(384) NOT NULL DEFAULT ''",
      "ALTER TABLE audit_records ADD COLUMN IF NOT EXISTS inserted_by VARCHAR(384) NOT NULL DEFAULT ''",
      'CREATE TRIGGER IF NOT EXISTS audit_runs_inserted_by BEFORE INSERT ON audit_runs FOR EACH ROW SET NEW.inserted_by = USER()',
      'CREATE TRIGGER IF NOT EXISTS audit_records_inserted_by BEFORE INSERT ON audit_records FOR EACH ROW SET NEW.inserted_by = USER()',
    ],
    // The trigger runs with its definer's rights, which must include UPDATE of the column: without it
    // every insert of every console would fail from now on. Try one insert and take it back.
    check: async (connection, admin) => {
      await connection.query('START TRANSACTION');
      try {
        await connection.query(
          "INSERT INTO audit_records (run_id, seq, type, ts, prev, hash, line) VALUES ('opsdeck-migrate-probe', 1, 'run.note', '', REPEAT('0', 64), REPEAT('0', 64), '{}')",
        );
      } catch (error) {
        if (!isAccessDenied(error)) throw error;
        throw new OpsError(
          'team-access',
          `The trigger that records who inserted each row cannot run as ${admin.user}, which created it: grant it UPDATE and TRIGGER on the schema ` +
            `(opsdeck team grants --env <file> --admin-user ${admin.user}), then run "opsdeck team migrate" again. (${(error as { sqlMessage?: string }).sqlMessage ?? String(error)})`,
          { cause: error },
        );
      } finally {
        await connection.query('ROLLBACK');
      }
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** The GRANT statements a DBA runs for the console's account (append-only) and the migrating account. */
export function teamGrants(schema: string, consoleUser: string, adminUser?: string, host = '%'): string[] {
  const id = mysql.escapeId(schema);
  const who = (user: string) => `${mysql.escape(user)}@${mysql.escape(host)}`;
  const grants = [`GRANT SELECT, INSERT ON ${id}.* TO ${who(consoleUser)};`];
  // UPDATE and TRIGGER: the trigger that fills inserted_by runs with its creator's rights.
  if (adminUser) grants.push(`GRANT SELECT, INSERT, UPDATE, CREATE, ALTER, INDEX, TRIGGER ON ${id}.* TO ${who(adminUser)};`);
  return grants;
}

/** One journal line as replicated. */
export interface TeamRecord {
  seq: number;
  type: string;
  ts: string;
  prev: string;
  hash: string;
  /** The journal line, byte for byte (without the newline). */
  line: string;
  /**
   * The database login that inserted the row (`user@client-host`, filled by the server; '' for rows
   * inserted before schema version 3). Absent on records not read from the database.
   */
  insertedBy?: string;
}

/** The run's summary row (audit_runs) as the database holds it. */
export interface TeamRunRow {
  operator: string;
  machine: string;
  insertedBy: string;
}

/** What verifying a run's database copy compares its attribution with. */
export interface TeamAttributionOptions {
  /** The run's audit_runs row. */
  runRow?: TeamRunRow | null;
  /** Operator name → database account (the environment's `audit.operators`). */
  operators?: Record<string, string>;
}

/** What verifying the database copy of a run found. */
export interface TeamVerifyResult {
  runId: string;
  ok: boolean;
  records: number;
  problems: Array<{ seq: number; message: string }>;
  lastSeq: number;
  lastHash: string;
  /** Present when a local journal was compared. */
  local?: { lastSeq: number; identical: number; notYetReplicated: number };
  /** Every database login that inserted rows of the run (empty when none was recorded). */
  insertedBy: string[];
}

/** A DATETIME(3) in UTC (`2026-11-21 10:00:00.123`) as ISO 8601. */
function isoOf(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(text) ? `${text.replace(' ', 'T')}${text.includes('.') ? '' : '.000'}Z` : text;
}

function isAccessDenied(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return ['ER_TABLEACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_ERROR', 'ER_SPECIFIC_ACCESS_DENIED_ERROR', 'ER_COLUMNACCESS_DENIED_ERROR'].includes(code);
}

function isDuplicate(error: unknown): boolean {
  return (error as { code?: string }).code === 'ER_DUP_ENTRY';
}

export interface TeamAuditOptions {
  tunnel?: TeamTunnel;
  /** Per statement. Default 10 s: a hung server must not hang the run's replication forever. */
  queryTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/**
 * A connection to the team audit database. Statements run one at a time on one connection (a
 * transaction is never interleaved with another caller's statement); a broken connection is dropped
 * and the next call opens a new one.
 */
export class TeamAudit implements LeaseBackend {
  readonly kind = 'team' as const;
  readonly description: string;
  private connection: Promise<mysql.Connection> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private schemaChecked = false;
  private closed = false;

  constructor(
    readonly config: TeamAuditConfig,
    private readonly options: TeamAuditOptions = {},
  ) {
    const database = config.database;
    this.description = `the team database ${database.name} (${database.user}@${database.address}:${database.port}${database.host ? ` via ${database.host}` : ''}, schema ${config.schema})`;
  }

  // ---- connection --------------------------------------------------------------------------

  /** Runs `work` alone on the connection; drops the connection when it fails with a connection error. */
  private exclusive<T>(work: (connection: mysql.Connection) => Promise<T>, checkSchema = true): Promise<T> {
    const run = async () => {
      if (this.closed) throw new OpsError('team-closed', 'The team audit connection is closed.');
      const connection = await this.connect();
      try {
        if (checkSchema && !this.schemaChecked) await this.checkSchema(connection);
        return await work(connection);
      } catch (error) {
        if (!(error as { sqlState?: string }).sqlState || (error as { fatal?: boolean }).fatal) this.drop(connection);
        throw error;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private connect(): Promise<mysql.Connection> {
    if (!this.connection) {
      this.connection = this.open(true);
      this.connection.catch(() => (this.connection = null));
    }
    return this.connection;
  }

  private async open(withSchema: boolean, database: DatabaseSpec = this.config.database): Promise<mysql.Connection> {
    try {
      const connection = await openMysqlConnection(database, this.options.tunnel, {
        ...(withSchema ? { database: this.config.schema } : {}),
        connectTimeout: this.options.connectTimeoutMs ?? 5000,
        dateStrings: true,
        supportBigNumbers: true,
        bigNumberStrings: false,
        charset: 'utf8mb4_bin',
        timezone: 'Z',
      });
      connection.on('error', () => this.drop(connection));
      await connection.query("SET time_zone = '+00:00'").catch((error: unknown) => {
        connection.destroy();
        throw error;
      });
      return connection;
    } catch (error) {
      throw this.describe(error);
    }
  }

  private drop(connection: mysql.Connection): void {
    void this.connection?.then((current) => {
      if (current === connection) this.connection = null;
    }, () => undefined);
    connection.destroy();
  }

  /** A mysql2 error as a sentence naming the database. */
  describe(error: unknown): OpsError {
    // A team database that cannot be reached is the team's problem (`team-*`: exit 10 in the CLI).
    if (error instanceof OpsError && error.code === 'sql-no-tunnel') {
      return new OpsError('team-no-tunnel', `${this.description} is reached through an SSH host, and there is no SSH connection to tunnel through.`, { cause: error });
    }
    if (error instanceof OpsError) return error;
    const { code, sqlMessage, message } = error as { code?: string; sqlMessage?: string; message?: string };
    if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'PROTOCOL_CONNECTION_LOST' || code === 'ECONNRESET') {
      return new OpsError('team-unreachable', `${this.description} cannot be reached (${code}).`, { cause: error });
    }
    if (isAccessDenied(error)) return new OpsError('team-access', `${this.description} refused: ${sqlMessage ?? message}`, { cause: error });
    return new OpsError('team-sql', `${this.description}: ${sqlMessage ?? message ?? String(error)}${code ? ` (${code})` : ''}`, { cause: error });
  }

  private async query<T = mysql.RowDataPacket[]>(connection: mysql.Connection, sql: string, values: unknown[] = []): Promise<T> {
    const [rows] = await connection.query({ sql, values, timeout: this.options.queryTimeoutMs ?? 10_000 });
    return rows as T;
  }

  /** Closes the connection (waits for the statement in flight). */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.catch(() => undefined);
    const connecting = this.connection;
    this.connection = null;
    const connection = await connecting?.catch(() => null);
    await connection?.end().catch(() => connection.destroy());
  }

  // ---- schema ------------------------------------------------------------------------------

  /** The schema version the database has (0: none). */
  async schemaVersion(): Promise<number> {
    return this.exclusive(async (connection) => this.versionOn(connection), false);
  }

  private async versionOn(connection: mysql.Connection): Promise<number> {
    try {
      const rows = await this.query(connection, 'SELECT COALESCE(MAX(version), 0) AS version FROM opsdeck_migrations');
      return Number(rows[0]?.version ?? 0);
    } catch (error) {
      if ((error as { code?: string }).code === 'ER_NO_SUCH_TABLE') return 0;
      throw error;
    }
  }

  private async checkSchema(connection: mysql.Connection): Promise<void> {
    const version = await this.versionOn(connection);
    if (version < SCHEMA_VERSION) {
      throw new OpsError(
        'team-schema',
        `${this.description} has audit schema version ${version}; this OpsDeck needs ${SCHEMA_VERSION}. ` +
          `Run "opsdeck team migrate --env <file> --admin-user <name>" with an account allowed to create tables and triggers (see docs/audit-trail.md).`,
      );
    }
    this.schemaChecked = true;
  }

  /**
   * Creates the schema and applies the migrations it lacks, with `admin` (an account with CREATE,
   * ALTER, INDEX on the schema; default: the console's own account). Serialised between machines by a
   * named lock. Returns the versions applied.
   */
  async migrate(admin: DatabaseSpec = this.config.database): Promise<number[]> {
    let connection: mysql.Connection;
    try {
      connection = await this.open(false, admin);
    } catch (error) {
      throw this.describe(error);
    }
    const schema = mysql.escapeId(this.config.schema);
    const applied: number[] = [];
    try {
      await this.query(connection, `CREATE DATABASE IF NOT EXISTS ${schema} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`).catch(async (error) => {
        // An account without CREATE on the server may still own an existing schema.
        if (!isAccessDenied(error)) throw error;
      });
      await this.query(connection, `USE ${schema}`);
      const [lock] = await this.query(connection, "SELECT GET_LOCK('opsdeck_migrate', 30) AS got");
      if (Number(lock?.got) !== 1) throw new OpsError('team-migrate-busy', 'Another OpsDeck is migrating the team audit schema; try again in a minute.');
      try {
        await this.query(
          connection,
          `CREATE TABLE IF NOT EXISTS opsdeck_migrations (version INT UNSIGNED NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)) ${TABLE_OPTIONS}`,
        );
        const current = await this.versionOn(connection);
        for (const migration of MIGRATIONS.filter((candidate) => candidate.version > current)) {
          for (const statement of migration.statements) await this.query(connection, statement);
          await migration.check?.(connection, admin);
          await this.query(connection, 'INSERT INTO opsdeck_migrations (version, name) VALUES (?, ?)', [migration.version, migration.name]);
          applied.push(migration.version);
        }
      } finally {
        await this.query(connection, "SELECT RELEASE_LOCK('opsdeck_migrate')").catch(() => undefined);
      }
    } catch (error) {
      throw this.describe(error);
    } finally {
      await connection.end().catch(() => connection.destroy());
    }
    this.schemaChecked = false;
    return applied;
  }

  // ---- journal records ---------------------------------------------------------------------

  /** The highest seq the database has for a run (0: none). */
  async lastSeq(runId: string): Promise<number> {
    return this.exclusive(async (connection) => {
      const rows = await this.query(connection, 'SELECT COALESCE(MAX(seq), 0) AS seq FROM audit_records WHERE run_id = ?', [runId]);
      return Number(rows[0]?.seq ?? 0);
    });
  }

  /**
   * Inserts consecutive records of a run in one transaction (with the run's summary row when seq 1 is
   * among them). The primary key (run_id, seq) refuses a record twice: a duplicate throws
   * `team-duplicate`, and the caller asks {@link lastSeq} where to go on from.
   */
  async insertRecords(runId: string, records: TeamRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.exclusive(async (connection) => {
      await connection.beginTransaction();
      try {
        const first = records[0].seq === 1 ? parseRecord(records[0].line) : null;
        if (first && first.type === 'run.started') {
          const started = first as RunStartedEvent & { ts: string };
          await this.query(
            connection,
            'INSERT IGNORE INTO audit_runs (run_id, runbook_id, runbook_title, runbook_version, runbook_sha256, environment, lab, operator, machine, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            [runId, started.runbook.id, started.runbook.title, started.runbook.version, started.runbook.sha256, started.environment.name, started.environment.lab ? 1 : 0, started.operator, started.machine, started.ts],
          );
        }
        await this.query(
          connection,
          'INSERT INTO audit_records (run_id, seq, type, ts, prev, hash, line) VALUES ?',
          [records.map((record) => [runId, record.seq, record.type, record.ts, record.prev, record.hash, record.line])],
        );
        await connection.commit();
      } catch (error) {
        await connection.rollback().catch(() => undefined);
        if (isDuplicate(error)) throw new OpsError('team-duplicate', `${this.description} already has some of records ${records[0].seq}–${records[records.length - 1].seq} of run ${runId}.`, { cause: error });
        throw error;
      }
    }).catch((error) => {
      throw this.describe(error);
    });
  }

  /** Every record of a run, in seq order. */
  async records(runId: string): Promise<TeamRecord[]> {
    return this.exclusive(async (connection) => {
      const rows = await this.query(connection, 'SELECT seq, type, ts, prev, hash, line, inserted_by FROM audit_records WHERE run_id = ? ORDER BY seq', [runId]);
      return rows.map((row) => ({
        seq: Number(row.seq),
        type: String(row.type),
        ts: String(row.ts),
        prev: String(row.prev),
        hash: String(row.hash),
        line: String(row.line),
        insertedBy: String(row.inserted_by),
      }));
    });
  }

  /** The run's audit_runs row (who the database says ran it, and which login inserted the row). */
  async runRow(runId: string): Promise<TeamRunRow | null> {
    return this.exclusive(async (connection) => {
      const rows = await this.query(connection, 'SELECT operator, machine, inserted_by FROM audit_runs WHERE run_id = ?', [runId]);
      return rows[0] ? { operator: String(rows[0].operator), machine: String(rows[0].machine), insertedBy: String(rows[0].inserted_by) } : null;
    });
  }

  /** The arrival order of a run's records (seq by arrival): replication sent them in order. */
  async arrivalOrder(runId: string): Promise<number[]> {
    return this.exclusive(async (connection) => {
      const rows = await this.query(connection, 'SELECT seq FROM audit_records WHERE run_id = ? ORDER BY arrival', [runId]);
      return rows.map((row) => Number(row.seq));
    });
  }

  /** The runs the database knows, newest first. */
  async listRuns(filter: { environment?: string; runbook?: string; limit?: number } = {}): Promise<TeamRunSummary[]> {
    return this.exclusive(async (connection) => {
      const where: string[] = [];
      const values: unknown[] = [];
      if (filter.environment) {
        where.push('r.environment = ?');
        values.push(filter.environment);
      }
      if (filter.runbook) {
        where.push('r.runbook_id = ?');
        values.push(filter.runbook);
      }
      const rows = await this.query(
        connection,
        `SELECT r.*,
           (SELECT MAX(seq) FROM audit_records a WHERE a.run_id = r.run_id) AS last_seq,
           (SELECT line FROM audit_records f WHERE f.run_id = r.run_id AND f.type = 'run.finished' ORDER BY f.seq DESC LIMIT 1) AS finished_line,
           (SELECT COUNT(*) FROM host_leases l LEFT JOIN host_lease_ends e ON e.lease_id = l.id
              WHERE l.run_id = r.run_id AND e.lease_id IS NULL
                AND GREATEST(l.expires_at, COALESCE((SELECT MAX(n.expires_at) FROM host_lease_renewals n WHERE n.lease_id = l.id), l.expires_at)) >= NOW(3)) AS live_leases
         FROM audit_runs r ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY r.started_at DESC, r.run_id DESC LIMIT ${Math.max(1, Math.min(filter.limit ?? 1000, 100_000))}`,
        values,
      );
      return rows.map((row): TeamRunSummary => {
        const finished = row.finished_line ? parseRecord(String(row.finished_line)) : null;
        const status = finished?.type === 'run.finished' ? finished.status : Number(row.live_leases) > 0 ? 'running' : 'unfinished';
        return {
          runId: String(row.run_id),
          runbookId: String(row.runbook_id),
          runbookTitle: String(row.runbook_title),
          runbookVersion: String(row.runbook_version),
          environment: String(row.environment),
          lab: Number(row.lab) === 1,
          operator: String(row.operator),
          machine: String(row.machine),
          status,
          startedAt: String(row.started_at),
          ...(finished ? { finishedAt: finished.ts } : {}),
          lastSeq: Number(row.last_seq ?? 0),
        };
      });
    });
  }

  /** The run id that `prefix` names in the database (exact, or the only one starting with it). */
  async resolveRun(prefix: string): Promise<string> {
    return this.exclusive(async (connection) => {
      const rows = await this.query(connection, 'SELECT run_id FROM audit_runs WHERE run_id LIKE ? ORDER BY run_id LIMIT 6', [`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`]);
      const ids = rows.map((row) => String(row.run_id));
      if (ids.includes(prefix)) return prefix;
      if (ids.length === 1) return ids[0];
      if (ids.length === 0) throw new OpsError('audit-run-not-found', `No run id starts with "${prefix}" in ${this.description}.`);
      throw new OpsError('audit-run-ambiguous', `"${prefix}" matches several runs in the team database (${ids.slice(0, 5).join(', ')}…); type more of the id.`);
    });
  }

  // ---- host leases -------------------------------------------------------------------------

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
    const rows = await this.query(connection, `${TeamAudit.LEASE_SELECT} WHERE l.environment = ? AND l.host = ? ORDER BY l.generation DESC LIMIT 1`, [environment, host]);
    return rows[0] ? this.leaseOf(rows[0]) : null;
  }

  async tryAcquire(environment: string, host: string, holder: LeaseHolder, ttlMs: number): Promise<AcquireResult> {
    return this.exclusive(async (connection): Promise<AcquireResult> => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const latest = await this.latestLease(connection, environment, host);
        if (latest && !latest.ended && !latest.expired && latest.runId !== holder.runId) return { ok: false, heldBy: latest };
        try {
          const result = await this.query<mysql.ResultSetHeader>(
            connection,
            `INSERT INTO host_leases (environment, host, generation, run_id, operator, machine, pid, runbook_id, ttl_ms, acquired_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(3), NOW(3) + INTERVAL ? MICROSECOND)`,
            [environment, host, (latest?.generation ?? 0) + 1, holder.runId, holder.operator, holder.machine, holder.pid, holder.runbook ?? null, ttlMs, ttlMs * 1000],
          );
          const rows = await this.query(connection, `${TeamAudit.LEASE_SELECT} WHERE l.id = ?`, [result.insertId]);
          return { ok: true, lease: this.leaseOf(rows[0]), ...(latest && !latest.ended ? { tookOver: latest } : {}) };
        } catch (error) {
          // Another run took this generation a moment ago: look again.
          if (!isDuplicate(error)) throw error;
        }
      }
      throw new OpsError('lease-contention', `Could not take the lease on ${host}: other runs kept taking it at the same moment. Try again.`);
    }).catch((error) => {
      throw this.describe(error);
    });
  }

  async renew(lease: LeaseInfo): Promise<RenewResult> {
    return this.exclusive(async (connection): Promise<RenewResult> => {
      const before = await this.latestLease(connection, lease.environment, lease.host);
      const own = await this.query(connection, `${TeamAudit.LEASE_SELECT} WHERE l.id = ?`, [lease.leaseId]);
      const current = own[0] ? this.leaseOf(own[0]) : null;
      if (!current) return { ok: false, ended: null };
      if (current.ended) return { ok: false, ended: current.ended };
      if ((before?.generation ?? 0) > lease.generation) return { ok: false, ended: null };
      await this.query(connection, 'INSERT INTO host_lease_renewals (lease_id, renewed_at, expires_at) VALUES (?, NOW(3), NOW(3) + INTERVAL ? MICROSECOND)', [lease.leaseId, lease.ttlMs * 1000]);
      // A break that landed meanwhile wins over the renewal.
      const after = await this.query(connection, `${TeamAudit.LEASE_SELECT} WHERE l.id = ?`, [lease.leaseId]);
      const renewed = this.leaseOf(after[0]);
      if (renewed.ended) return { ok: false, ended: renewed.ended };
      return { ok: true, expiresAt: renewed.expiresAt };
    }).catch((error) => {
      throw this.describe(error);
    });
  }

  async release(lease: LeaseInfo, operator: string): Promise<void> {
    await this.exclusive(async (connection) => {
      await this.query(connection, "INSERT IGNORE INTO host_lease_ends (lease_id, kind, at, operator, machine, reason) VALUES (?, 'released', NOW(3), ?, ?, NULL)", [lease.leaseId, operator, lease.machine]);
    }).catch((error) => {
      throw this.describe(error);
    });
  }

  async list(environment?: string): Promise<LeaseInfo[]> {
    return this.exclusive(async (connection) => {
      const rows = await this.query(
        connection,
        `${TeamAudit.LEASE_SELECT}
         WHERE l.generation = (SELECT MAX(m.generation) FROM host_leases m WHERE m.environment = l.environment AND m.host = l.host)
           AND e.lease_id IS NULL ${environment !== undefined ? 'AND l.environment = ?' : ''}
         ORDER BY l.environment, l.host`,
        environment !== undefined ? [environment] : [],
      );
      return rows.map((row) => this.leaseOf(row));
    }).catch((error) => {
      throw this.describe(error);
    });
  }

  async breakLease(environment: string, host: string, by: { operator: string; machine: string }, reason: string): Promise<LeaseBreak> {
    return this.exclusive(async (connection) => {
      const latest = await this.latestLease(connection, environment, host);
      if (!latest || latest.ended) throw new OpsError('lease-not-found', `No lease holds ${host} in environment ${environment} (${this.description}).`);
      try {
        await this.query(connection, "INSERT INTO host_lease_ends (lease_id, kind, at, operator, machine, reason) VALUES (?, 'broken', NOW(3), ?, ?, ?)", [latest.leaseId, by.operator, by.machine, reason]);
      } catch (error) {
        if (isDuplicate(error)) throw new OpsError('lease-not-found', `The lease on ${host} ended just now (released or broken by someone else); nothing to break.`);
        throw error;
      }
      const rows = await this.query(connection, `${TeamAudit.LEASE_SELECT} WHERE l.id = ?`, [latest.leaseId]);
      const end = this.leaseOf(rows[0]).ended;
      return { environment, host, lease: latest, by: by.operator, machine: by.machine, reason, at: end?.at ?? new Date().toISOString() };
    }).catch((error) => {
      throw this.describe(error);
    });
  }

  async breaks(environment?: string): Promise<LeaseBreak[]> {
    return this.exclusive(async (connection) => {
      const rows = await this.query(
        connection,
        `${TeamAudit.LEASE_SELECT} WHERE e.kind = 'broken' ${environment !== undefined ? 'AND l.environment = ?' : ''} ORDER BY e.at, l.id`,
        environment !== undefined ? [environment] : [],
      );
      return rows.map((row) => {
        const lease = this.leaseOf(row);
        const end = lease.ended!;
        return { environment: lease.environment, host: lease.host, lease, by: end.operator, machine: end.machine, reason: end.reason ?? '', at: end.at };
      });
    }).catch((error) => {
      throw this.describe(error);
    });
  }
}

// ---- verifying the database copy ---------------------------------------------------------------

function lineHash(line: string): string {
  return createHash('sha256').update(line.slice(0, -HASH_SUFFIX_LENGTH) + '}').digest('hex');
}

/**
 * Checks the database copy of a run: every line hashes to its hash, links to the one before, seqs
 * have no gap, the columns agree with the line; and, given the local journal's lines, that every seq
 * both have is byte for byte the same (the local journal may be ahead: not yet replicated).
 */
export function verifyTeamRecords(runId: string, records: TeamRecord[], localLines?: string[], attribution: TeamAttributionOptions = {}): TeamVerifyResult {
  const problems: TeamVerifyResult['problems'] = [];
  let previousHash = GENESIS_HASH;
  let expectedSeq = 1;
  for (const record of records) {
    if (record.seq !== expectedSeq) {
      const missing = record.seq - expectedSeq;
      problems.push({
        seq: record.seq,
        message: missing > 0 ? `seq ${expectedSeq}${missing > 1 ? `–${record.seq - 1}` : ''} missing: ${missing} record${missing === 1 ? '' : 's'} removed from the database` : `seq ${record.seq} out of order`,
      });
    }
    expectedSeq = record.seq + 1;
    const suffix = record.line.slice(-HASH_SUFFIX_LENGTH);
    const embedded = /^,"hash":"([0-9a-f]{64})"}$/.exec(suffix)?.[1];
    const parsed = parseRecord(record.line);
    if (!embedded || !parsed) {
      problems.push({ seq: record.seq, message: `seq ${record.seq}: the stored line is not a journal record (changed or cut short)` });
      previousHash = record.hash;
      continue;
    }
    if (lineHash(record.line) !== embedded) problems.push({ seq: record.seq, message: `seq ${record.seq}: content changed in the database (hash mismatch)` });
    if (parsed.seq !== record.seq || parsed.hash !== record.hash || parsed.prev !== record.prev || parsed.type !== record.type || parsed.ts !== record.ts) {
      problems.push({ seq: record.seq, message: `seq ${record.seq}: the row's columns (seq/type/ts/prev/hash) differ from its line` });
    }
    if (parsed.prev !== previousHash) {
      problems.push({ seq: record.seq, message: `seq ${record.seq}: previous-hash link broken (a record before it was removed, inserted or rewritten)` });
    }
    previousHash = embedded;
  }
  const insertedBy = checkAttribution(records, attribution, problems);
  const last = records[records.length - 1];
  const result: TeamVerifyResult = {
    runId,
    ok: problems.length === 0,
    records: records.length,
    problems,
    lastSeq: last?.seq ?? 0,
    lastHash: last?.hash ?? GENESIS_HASH,
    insertedBy,
  };
  if (localLines) {
    const bySeq = new Map<number, string>();
    for (const line of localLines) {
      const seq = Number(/^\{"seq":(\d+),/.exec(line)?.[1]);
      if (Number.isInteger(seq)) bySeq.set(seq, line);
    }
    let identical = 0;
    for (const record of records) {
      const local = bySeq.get(record.seq);
      if (local === undefined) {
        problems.push({ seq: record.seq, message: `seq ${record.seq} is in the database but not in the local journal (local lines lost or removed)` });
      } else if (local !== record.line) {
        problems.push({ seq: record.seq, message: `seq ${record.seq} differs between the database and the local journal` });
      } else identical += 1;
    }
    const localLast = Math.max(0, ...bySeq.keys());
    result.local = { lastSeq: localLast, identical, notYetReplicated: Math.max(localLast - result.lastSeq, 0) };
    result.ok = problems.length === 0;
  }
  return result;
}

/** The account part of a `user@host` login as USER() gives it. */
function accountOf(login: string): string {
  const at = login.lastIndexOf('@');
  return at < 0 ? login : login.slice(0, at);
}

/**
 * The rule (docs/audit-trail.md, "Who inserted the rows"): a run is sent by one console, so every row
 * of it — its audit_runs row and all its records — must come from one database account; and when the
 * environment maps operators to accounts, that account must be the one of the operator its run.started
 * names. A valid chain proves only that the lines belong together, not who wrote them: an INSERT
 * account can insert a whole run in anyone's name. Rows from before attribution ('') are not judged.
 */
function checkAttribution(records: TeamRecord[], options: TeamAttributionOptions, problems: TeamVerifyResult['problems']): string[] {
  const logins = new Set<string>();
  for (const record of records) if (record.insertedBy) logins.add(record.insertedBy);
  if (options.runRow?.insertedBy) logins.add(options.runRow.insertedBy);
  const first = records.find((record) => record.seq === 1);
  const started = first ? parseRecord(first.line) : null;
  const baseline = first?.insertedBy || options.runRow?.insertedBy || '';
  if (baseline) {
    const baseAccount = accountOf(baseline);
    let range: { from: number; to: number; login: string } | null = null;
    const report = () => {
      if (!range) return;
      const seqs = range.from === range.to ? '' : ` (seq ${range.from}–${range.to})`;
      problems.push({ seq: range.from, message: `inserted by ${range.login}${seqs}, while the run's other rows were inserted by ${baseline}: rows from another account were added to the run` });
      range = null;
    };
    for (const record of records) {
      const login = record.insertedBy;
      if (login && accountOf(login) !== baseAccount) {
        if (range && range.login === login && range.to === record.seq - 1) range.to = record.seq;
        else {
          report();
          range = { from: record.seq, to: record.seq, login };
        }
      } else report();
    }
    report();
    const runLogin = options.runRow?.insertedBy;
    if (runLogin && accountOf(runLogin) !== baseAccount) {
      problems.push({ seq: 0, message: `the run's summary row (audit_runs) was inserted by ${runLogin}, its records by ${baseline}: another account registered this run id` });
    }
    if (started?.type === 'run.started' && options.operators) {
      const expected = options.operators[started.operator];
      if (expected === undefined) {
        problems.push({
          seq: 1,
          message: `run.started names operator ${started.operator}, who has no database account in the environment's audit.operators: who recorded the run cannot be checked (inserted by ${baseline})`,
        });
      } else if (expected !== baseAccount) {
        problems.push({
          seq: 1,
          message: `run.started names operator ${started.operator}, whose database account is ${expected}, but the run's rows were inserted by ${baseline}: recorded under another operator's name`,
        });
      }
    }
  }
  if (started?.type === 'run.started' && options.runRow && (options.runRow.operator !== started.operator || options.runRow.machine !== started.machine)) {
    problems.push({
      seq: 0,
      message: `the run's summary row names ${options.runRow.operator} on ${options.runRow.machine}, its run.started ${started.operator} on ${started.machine}`,
    });
  }
  return [...logins];
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
