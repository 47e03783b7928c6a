/**
 * The team database's copy of every journal line, verbatim, with its seq, prev and hash, so the chain
 * can be checked there too, and a copy kept out of reach of whoever can edit the operator's disk. The
 * local journal stays the source of truth (./replicator.ts sends it here).
 */
import { createHash } from 'node:crypto';
import type { RunStartedEvent } from '../audit/events';
import { GENESIS_HASH, HASH_SUFFIX_LENGTH, parseRecord } from '../audit/journal';
import type { TeamRunSummary } from '../audit/report-types';
import { OpsError } from '../errors';
import { isDuplicate, type TeamDatabase } from './database';

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

/** The journal tables (audit_runs, audit_records) of a team database. */
export class TeamJournal {
  constructor(private readonly database: TeamDatabase) {}

  /** The highest seq the database has for a run (0: none). */
  async lastSeq(runId: string): Promise<number> {
    return this.database.exclusive(async (connection) => {
      const rows = await this.database.query(connection, 'SELECT COALESCE(MAX(seq), 0) AS seq FROM audit_records WHERE run_id = ?', [runId]);
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
    await this.database
      .exclusive(async (connection) => {
        await connection.beginTransaction();
        try {
          const first = records[0].seq === 1 ? parseRecord(records[0].line) : null;
          if (first && first.type === 'run.started') {
            const started = first as RunStartedEvent & { ts: string };
            await this.database.query(
              connection,
              'INSERT IGNORE INTO audit_runs (run_id, runbook_id, runbook_title, runbook_version, runbook_sha256, environment, lab, operator, machine, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
              [
                runId,
                started.runbook.id,
                started.runbook.title,
                started.runbook.version,
                started.runbook.sha256,
                started.environment.name,
                started.environment.lab ? 1 : 0,
                started.operator,
                started.machine,
                started.ts,
              ],
            );
          }
          await this.database.query(connection, 'INSERT INTO audit_records (run_id, seq, type, ts, prev, hash, line) VALUES ?', [
            records.map((record) => [runId, record.seq, record.type, record.ts, record.prev, record.hash, record.line]),
          ]);
          await connection.commit();
        } catch (error) {
          await connection.rollback().catch(() => undefined);
          if (isDuplicate(error))
            throw new OpsError('team-duplicate', `${this.database.description} already has some of records ${records[0].seq}–${records[records.length - 1].seq} of run ${runId}.`, {
              cause: error,
            });
          throw error;
        }
      })
      .catch((error) => {
        throw this.database.describe(error);
      });
  }

  /** Every record of a run, in seq order. */
  async records(runId: string): Promise<TeamRecord[]> {
    return this.database.exclusive(async (connection) => {
      const rows = await this.database.query(connection, 'SELECT seq, type, ts, prev, hash, line, inserted_by FROM audit_records WHERE run_id = ? ORDER BY seq', [runId]);
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
    return this.database.exclusive(async (connection) => {
      const rows = await this.database.query(connection, 'SELECT operator, machine, inserted_by FROM audit_runs WHERE run_id = ?', [runId]);
      return rows[0] ? { operator: String(rows[0].operator), machine: String(rows[0].machine), insertedBy: String(rows[0].inserted_by) } : null;
    });
  }

  /** The arrival order of a run's records (seq by arrival): replication sent them in order. */
  async arrivalOrder(runId: string): Promise<number[]> {
    return this.database.exclusive(async (connection) => {
      const rows = await this.database.query(connection, 'SELECT seq FROM audit_records WHERE run_id = ? ORDER BY arrival', [runId]);
      return rows.map((row) => Number(row.seq));
    });
  }

  /** The runs the database knows, newest first. */
  async listRuns(filter: { environment?: string; runbook?: string; limit?: number } = {}): Promise<TeamRunSummary[]> {
    return this.database.exclusive(async (connection) => {
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
      const rows = await this.database.query(
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
    return this.database.exclusive(async (connection) => {
      const rows = await this.database.query(connection, 'SELECT run_id FROM audit_runs WHERE run_id LIKE ? ORDER BY run_id LIMIT 6', [
        `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      ]);
      const ids = rows.map((row) => String(row.run_id));
      if (ids.includes(prefix)) return prefix;
      if (ids.length === 1) return ids[0];
      if (ids.length === 0) throw new OpsError('audit-run-not-found', `No run id starts with "${prefix}" in ${this.database.description}.`);
      throw new OpsError('audit-run-ambiguous', `"${prefix}" matches several runs in the team database (${ids.slice(0, 5).join(', ')}…); type more of the id.`);
    });
  }
}

// ---- verifying the database copy ---------------------------------------------------------------

function lineHash(line: string): string {
  return createHash('sha256')
    .update(line.slice(0, -HASH_SUFFIX_LENGTH) + '}')
    .digest('hex');
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
        message:
          missing > 0
            ? `seq ${expectedSeq}${missing > 1 ? `–${record.seq - 1}` : ''} missing: ${missing} record${missing === 1 ? '' : 's'} removed from the database`
            : `seq ${record.seq} out of order`,
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
      problems.push({
        seq: range.from,
        message: `inserted by ${range.login}${seqs}, while the run's other rows were inserted by ${baseline}: rows from another account were added to the run`,
      });
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
