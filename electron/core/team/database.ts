/**
 * The team's shared database in MySQL/MariaDB (mysql2), when the environment names one for the audit
 * (`audit: { database: <name under databases:> }`, see docs/audit-trail.md): the connection, the schema
 * and its migrations. What it holds lives next door: the copy of every journal (./journal.ts) and the
 * host leases (./leases.ts); ./audit.ts puts them together as the one {@link TeamAudit} the engine uses.
 *
 * Every table is append-only for the console's account (it needs only SELECT and INSERT). The schema
 * is created and migrated by `opsdeck team migrate` with an account allowed to create tables; the
 * console checks the version it finds (table `opsdeck_migrations`).
 */
import mysql from 'mysql2/promise';
import { APPROVAL_MIGRATION_STATEMENTS } from '../approval/team-schema';
import { OpsError } from '../errors';
import type { DatabaseSpec } from '../inventory/model';
import { openMysqlConnection, type Tunnel } from '../sql/mysql';

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
  {
    version: 4,
    name: 'two-person approval requests and answers',
    statements: [...APPROVAL_MIGRATION_STATEMENTS],
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

function isAccessDenied(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return ['ER_TABLEACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_ERROR', 'ER_SPECIFIC_ACCESS_DENIED_ERROR', 'ER_COLUMNACCESS_DENIED_ERROR'].includes(code);
}

/** The primary or a unique key refused the row. */
export function isDuplicate(error: unknown): boolean {
  return (error as { code?: string }).code === 'ER_DUP_ENTRY';
}

export interface TeamAuditOptions {
  /** Reaches a database behind an SSH host (the environment's SSH pool `forward`). */
  tunnel?: Tunnel;
  /** Per statement. Default 10 s: a hung server must not hang the run's replication forever. */
  queryTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/**
 * A connection to the team database. Statements run one at a time on one connection (a transaction is
 * never interleaved with another caller's statement); a broken connection is dropped and the next call
 * opens a new one.
 */
export class TeamDatabase {
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

  /**
   * Runs `work` alone on the connection; drops the connection when it fails with a connection error.
   * For the tables' own modules (./journal.ts, ./leases.ts), not for callers of {@link TeamAudit}.
   */
  exclusive<T>(work: (connection: mysql.Connection) => Promise<T>, checkSchema = true): Promise<T> {
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
    void this.connection?.then(
      (current) => {
        if (current === connection) this.connection = null;
      },
      () => undefined,
    );
    connection.destroy();
  }

  /** A mysql2 error as a sentence naming the database. */
  /**
   * Runs statements on this connection for a module with its own tables (two-person approval,
   * electron/core/approval/team-transport.ts), one caller at a time like every other statement here.
   */
  async statements<T>(work: (query: <R = mysql.RowDataPacket[]>(sql: string, values?: unknown[]) => Promise<R>) => Promise<T>): Promise<T> {
    try {
      return await this.exclusive((connection) => work((sql, values = []) => this.query(connection, sql, values)));
    } catch (error) {
      throw this.describe(error);
    }
  }

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

  /** One statement, with the per-statement timeout. */
  async query<T = mysql.RowDataPacket[]>(connection: mysql.Connection, sql: string, values: unknown[] = []): Promise<T> {
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
}
