/**
 * Queries against the environment's databases through mysql2, over an SSH tunnel to the database's
 * host when the environment names one (the usual case: MariaDB listens on the controller's loopback
 * or management network). Credentials come from the environment and never reach the journal: the
 * step records the query text and its bound values (masked), never the connection's password.
 */
import type { Duplex } from 'node:stream';
import mysql from 'mysql2/promise';
import { CancelledError, OpsError } from '../errors';
import type { DatabaseSpec } from '../inventory/model';

export type Row = Record<string, unknown>;

export interface RowCount {
  schema: string;
  table: string;
  rows: number;
}

export interface QueryOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** What the runner needs for `sql` steps. */
export interface SqlConnector {
  query(database: DatabaseSpec, sql: string, args: unknown[], options: QueryOptions): Promise<Row[]>;
  rowCounts(database: DatabaseSpec, schemas: string[], options: QueryOptions): Promise<RowCount[]>;
  close(): Promise<void>;
}

/** Opens a byte stream to address:port as seen from an environment host (ssh2 forwardOut). */
export type Tunnel = (hostName: string, address: string, port: number) => Promise<Duplex>;

/**
 * The one way OpsDeck opens a MySQL/MariaDB connection (the `sql` steps and the team audit database):
 * straight to the database's address, or, when the environment declares it behind a host, over a
 * byte stream the SSH connection to that host forwards (`tunnel`). The stream is destroyed when the
 * connection cannot be made. Errors are mysql2's or the tunnel's, for the caller to word; a database
 * behind a host with no tunnel to reach it is refused with `sql-no-tunnel`.
 */
export async function openMysqlConnection(
  database: DatabaseSpec,
  tunnel: Tunnel | undefined,
  options: Omit<mysql.ConnectionOptions, 'host' | 'port' | 'user' | 'password' | 'stream'>,
): Promise<mysql.Connection> {
  let stream: Duplex | undefined;
  try {
    if (database.host) {
      if (!tunnel) throw new OpsError('sql-no-tunnel', `Database ${database.name} is reached through ${database.host}, but there is no SSH connection to tunnel through.`);
      stream = await tunnel(database.host, database.address, database.port);
    }
    return await mysql.createConnection({
      host: database.address,
      port: database.port,
      user: database.user,
      password: database.password,
      ...options,
      ...(stream ? { stream } : {}),
    });
  } catch (error) {
    stream?.destroy();
    throw error;
  }
}

/** One mysql2 connection per database, opened on first use and reused for every step. */
export class MysqlConnector implements SqlConnector {
  private readonly connections = new Map<string, Promise<mysql.Connection>>();

  constructor(private readonly tunnel?: Tunnel) {}

  async query(database: DatabaseSpec, sql: string, args: unknown[], options: QueryOptions): Promise<Row[]> {
    const connection = await this.connection(database, options);
    return this.guarded(database, connection, options, async () => {
      const [rows] = await connection.query({ sql, values: args, timeout: options.timeoutMs });
      if (!Array.isArray(rows)) {
        // A statement that returns no rows (UPDATE, FLUSH...): report what it did as one row.
        const header = rows as { affectedRows?: number; changedRows?: number; warningStatus?: number };
        return [{ affectedRows: header.affectedRows ?? 0, changedRows: header.changedRows ?? 0, warnings: header.warningStatus ?? 0 }];
      }
      return (rows as Row[]).map((row) => normalise(row));
    });
  }

  async rowCounts(database: DatabaseSpec, schemas: string[], options: QueryOptions): Promise<RowCount[]> {
    const tables = await this.query(
      database,
      "SELECT TABLE_SCHEMA AS `schema`, TABLE_NAME AS `table` FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?) AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME",
      [schemas],
      options,
    );
    const missing = schemas.filter((schema) => !tables.some((table) => table.schema === schema));
    if (missing.length > 0) {
      throw new OpsError('sql-schema-missing', `Database ${database.name} has no tables in ${missing.join(', ')} (is the schema name right?).`);
    }
    const counts: RowCount[] = [];
    for (const { schema, table } of tables) {
      // information_schema's TABLE_ROWS is an estimate for InnoDB: count for real.
      const [row] = await this.query(database, `SELECT COUNT(*) AS n FROM ${mysql.escapeId(String(schema))}.${mysql.escapeId(String(table))}`, [], options);
      counts.push({ schema: String(schema), table: String(table), rows: Number(row.n) });
    }
    return counts;
  }

  async close(): Promise<void> {
    const pending = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(pending.map(async (connecting) => (await connecting.catch(() => undefined))?.end().catch(() => undefined)));
  }

  private connection(database: DatabaseSpec, options: QueryOptions): Promise<mysql.Connection> {
    let connecting = this.connections.get(database.name);
    if (!connecting) {
      connecting = this.open(database, options);
      this.connections.set(database.name, connecting);
      connecting.catch(() => this.connections.delete(database.name));
    }
    return connecting;
  }

  private async open(database: DatabaseSpec, options: QueryOptions): Promise<mysql.Connection> {
    try {
      const connection = await openMysqlConnection(database, this.tunnel, {
        connectTimeout: Math.min(options.timeoutMs, 20_000),
        multipleStatements: false,
        supportBigNumbers: true,
        bigNumberStrings: false,
        dateStrings: true,
      });
      connection.on('error', () => this.connections.delete(database.name));
      return connection;
    } catch (error) {
      throw describeSqlError(database, error);
    }
  }

  /** Runs `work`, turning mysql2 errors into messages and honouring the abort signal. */
  private async guarded<T>(database: DatabaseSpec, connection: mysql.Connection, options: QueryOptions, work: () => Promise<T>): Promise<T> {
    if (options.signal?.aborted) throw new CancelledError('The query');
    const onAbort = () => {
      this.connections.delete(database.name);
      connection.destroy();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await work();
    } catch (error) {
      if (options.signal?.aborted) throw new CancelledError('The query');
      const code = (error as { code?: string }).code;
      if (code === 'PROTOCOL_CONNECTION_LOST' || code === 'ECONNRESET' || code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
        this.connections.delete(database.name);
        connection.destroy();
      }
      throw describeSqlError(database, error);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** A mysql2 error as a sentence, with the server's error code (ER_...) when there is one. */
export function describeSqlError(database: DatabaseSpec, error: unknown): OpsError {
  if (error instanceof OpsError) return error;
  const { code, sqlMessage, message } = error as { code?: string; sqlMessage?: string; message?: string };
  const where = `database ${database.name} (${database.user}@${database.address}:${database.port}${database.host ? ` via ${database.host}` : ''})`;
  if (code === 'ER_ACCESS_DENIED_ERROR') {
    return new OpsError('sql-auth', `The ${where} refused the login: check the user and the password source in the environment.`, { cause: error });
  }
  if (code === 'ECONNREFUSED') return new OpsError('sql-refused', `Nothing listens for ${where}: is MariaDB running?`, { cause: error });
  if (code === 'PROTOCOL_SEQUENCE_TIMEOUT') return new OpsError('sql-timeout', `The query on ${where} did not finish in time.`, { cause: error });
  return new OpsError('sql', `The ${where} answered: ${sqlMessage ?? message ?? String(error)}${code ? ` (${code})` : ''}`, { cause: error });
}

function normalise(row: Row): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) {
    out[key] = typeof value === 'bigint' ? Number(value) : Buffer.isBuffer(value) ? value.toString('utf8') : value;
  }
  return out;
}

/** Compares counted rows with an expected manifest; returns a readable difference per table. */
export function compareRowCounts(actual: RowCount[], expected: unknown): string[] {
  if (!Array.isArray(expected)) return ['the expected manifest is not a list of {schema, table, rows}'];
  const want = new Map<string, number>();
  for (const entry of expected as Array<Record<string, string | number | undefined> | undefined>) {
    want.set(`${entry?.schema}.${entry?.table}`, Number(entry?.rows));
  }
  const differences: string[] = [];
  const seen = new Set<string>();
  for (const { schema, table, rows } of actual) {
    const name = `${schema}.${table}`;
    seen.add(name);
    if (!want.has(name)) differences.push(`${name}: ${rows} rows, not in the manifest`);
    else if (want.get(name) !== rows) differences.push(`${name}: ${rows} rows, the manifest says ${want.get(name)}`);
  }
  for (const name of want.keys()) if (!seen.has(name)) differences.push(`${name}: in the manifest, missing now`);
  return differences;
}
