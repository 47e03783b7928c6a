/**
 * Issue 11, item 9: the team database says which database account inserted each row, and `audit verify
 * --team` checks it against the run's claimed operator. A real MariaDB (its own mariadbd): each operator
 * has an INSERT-only account; the migrating (admin) account is not in the environment file operators
 * carry, its password comes from the environment of the `team migrate` command only.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../electron/core/audit/journal';
import { Masker } from '../../electron/core/audit/mask';
import { syncRun } from '../../electron/core/team/replicator';
import { TeamAudit } from '../../electron/core/team/audit';
import { runStarted } from '../../electron/core/audit/testing';
import { loadEnvironment } from '../../electron/core/inventory/environment';
import { startMariaDb, type MariaDb } from '../lab/mariadb-server';
import { opsdeck } from '../support/cli';

const PASSWORDS = { alice: `alice-${process.pid}-Zq9!x`, bob: `bob-${process.pid}-Wm3?y`, admin: `admin-${process.pid}-Kp4#w` };

let db: MariaDb;
let work: string;
let auditDir: string;
let aliceEnv: string;
let bobEnv: string;
const teams: TeamAudit[] = [];

function environmentFile(name: string, user: string, passwordVariable: string, schema = 'opsdeck_audit'): string {
  const file = path.join(work, `${name}.yaml`);
  writeFileSync(
    file,
    `name: prod
profile: systemd
defaults: { user: ops }
hosts:
  controller01: { address: 127.0.0.1 }
databases:
  team: { address: 127.0.0.1, port: ${db.port}, user: ${user}, password: { env: ${passwordVariable} } }
audit:
  database: team
  schema: ${schema}
  operators: { alice: opsdeck_alice, bob: opsdeck_bob }
`,
  );
  return file;
}

async function teamOf(envFile: string): Promise<TeamAudit> {
  const environment = await loadEnvironment(envFile);
  const team = new TeamAudit({ database: environment.databases.team, schema: environment.audit!.schema, environment: environment.name });
  teams.push(team);
  return team;
}

/** A finished run journaled on this machine as `operator` says, then sent with `team`'s account. */
async function journalRun(runId: string, operator: string, team: TeamAudit): Promise<string> {
  const journal = Journal.create(auditDir, runId, new Masker(), { syncIntervalMs: 0 });
  journal.append(runStarted(runId, { operator }));
  journal.append({ type: 'step.started', step: 'disable', title: 'Disable', kind: 'run', hosts: ['ctl-01'], attempt: 1 });
  journal.append({ type: 'step.output', step: 'disable', host: 'ctl-01', stream: 'stdout', data: 'done\n' });
  journal.append({ type: 'step.finished', step: 'disable', status: 'succeeded', exitCode: 0, durationMs: 10, checks: [], captures: {} });
  journal.append({ type: 'run.finished', status: 'succeeded', durationMs: 20 });
  journal.close();
  expect(await syncRun(team, runId, journal.file, 15_000)).toMatchObject({ pending: 0 });
  return journal.file;
}

beforeAll(async () => {
  db = await startMariaDb();
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-attribution-'));
  auditDir = path.join(work, 'audit');
  await db.sql(`
    CREATE DATABASE opsdeck_audit;
    CREATE USER 'opsdeck_alice'@'%' IDENTIFIED BY '${PASSWORDS.alice}';
    GRANT SELECT, INSERT ON opsdeck_audit.* TO 'opsdeck_alice'@'%';
    CREATE USER 'opsdeck_bob'@'%' IDENTIFIED BY '${PASSWORDS.bob}';
    GRANT SELECT, INSERT ON opsdeck_audit.* TO 'opsdeck_bob'@'%';
    CREATE USER 'opsdeck_admin'@'%' IDENTIFIED BY '${PASSWORDS.admin}';
    GRANT SELECT, INSERT, UPDATE, CREATE, ALTER, INDEX, TRIGGER ON opsdeck_audit.* TO 'opsdeck_admin'@'%';
  `);
  process.env.OPSDECK_TEST_ALICE_PW = PASSWORDS.alice;
  process.env.OPSDECK_TEST_BOB_PW = PASSWORDS.bob;
  aliceEnv = environmentFile('alice', 'opsdeck_alice', 'OPSDECK_TEST_ALICE_PW');
  bobEnv = environmentFile('bob', 'opsdeck_bob', 'OPSDECK_TEST_BOB_PW');
});

afterAll(async () => {
  delete process.env.OPSDECK_AUDIT_ADMIN_PASSWORD;
  await Promise.all(teams.map((team) => team.close()));
  await db?.destroy();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('who inserted the team database rows', () => {
  it("migrates with an admin account named on the command line, its password only in that command's environment", async () => {
    expect(readFileSync(aliceEnv, 'utf8')).not.toContain('admin');
    const missing = await opsdeck('team', 'migrate', '--env', aliceEnv, '--admin-user', 'opsdeck_admin');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('OPSDECK_AUDIT_ADMIN_PASSWORD');
    process.env.OPSDECK_AUDIT_ADMIN_PASSWORD = PASSWORDS.admin;
    try {
      const migrated = await opsdeck('team', 'migrate', '--env', aliceEnv, '--admin-user', 'opsdeck_admin');
      expect(migrated.err).toBe('');
      expect(migrated.out).toContain('Applied migrations 1, 2, 3');
    } finally {
      delete process.env.OPSDECK_AUDIT_ADMIN_PASSWORD;
    }
    const passwordFile = path.join(work, 'admin-password');
    writeFileSync(passwordFile, `${PASSWORDS.admin}\n`, { mode: 0o600 });
    const again = await opsdeck('team', 'migrate', '--env', aliceEnv, '--admin-user', 'opsdeck_admin', '--admin-password-file', passwordFile);
    expect(again.out).toContain('is up to date');
    const grants = await opsdeck('team', 'grants', '--env', aliceEnv, '--admin-user', 'opsdeck_admin');
    expect(grants.out).toContain("GRANT SELECT, INSERT, UPDATE, CREATE, ALTER, INDEX, TRIGGER ON `opsdeck_audit`.* TO 'opsdeck_admin'@'%';");
  });

  it('refuses to record migration 3 when the admin account could not run the trigger, and completes once granted', async () => {
    await db.sql(`
      CREATE DATABASE opsdeck_audit_b;
      GRANT SELECT, INSERT ON opsdeck_audit_b.* TO 'opsdeck_alice'@'%';
      CREATE USER 'opsdeck_admin_b'@'%' IDENTIFIED BY '${PASSWORDS.admin}';
      GRANT SELECT, INSERT, CREATE, ALTER, INDEX, TRIGGER ON opsdeck_audit_b.* TO 'opsdeck_admin_b'@'%';
    `);
    const envFile = environmentFile('alice-b', 'opsdeck_alice', 'OPSDECK_TEST_ALICE_PW', 'opsdeck_audit_b');
    process.env.OPSDECK_AUDIT_ADMIN_PASSWORD = PASSWORDS.admin;
    try {
      const refused = await opsdeck('team', 'migrate', '--env', envFile, '--admin-user', 'opsdeck_admin_b');
      expect(refused.code).toBe(10);
      expect(refused.err).toContain('grant it UPDATE and TRIGGER on the schema');
      expect(await (await teamOf(envFile)).schemaVersion()).toBe(2);
      await db.sql("GRANT UPDATE ON opsdeck_audit_b.* TO 'opsdeck_admin_b'@'%';");
      const migrated = await opsdeck('team', 'migrate', '--env', envFile, '--admin-user', 'opsdeck_admin_b');
      expect(migrated.err).toBe('');
      expect(migrated.out).toContain('Applied migrations 3');
    } finally {
      delete process.env.OPSDECK_AUDIT_ADMIN_PASSWORD;
    }
  });

  it('fills inserted_by on the server: an INSERT account can neither set it nor drop the trigger', async () => {
    const connection = await mysql.createConnection({ host: '127.0.0.1', port: db.port, user: 'opsdeck_bob', password: PASSWORDS.bob, database: 'opsdeck_audit' });
    try {
      await connection.query(
        "INSERT INTO audit_records (run_id, seq, type, ts, prev, hash, line, inserted_by) VALUES ('probe', 1, 'run.note', 't', REPEAT('0', 64), REPEAT('0', 64), '{}', 'opsdeck_alice@ops-laptop')",
      );
      const [rows] = await connection.query<mysql.RowDataPacket[]>("SELECT inserted_by FROM audit_records WHERE run_id = 'probe'");
      expect(rows[0].inserted_by).toMatch(/^opsdeck_bob@/);
      await expect(connection.query('DROP TRIGGER audit_records_inserted_by')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    } finally {
      await connection.end();
    }
  });

  it("verify --team shows the inserting account and flags a run forged under another operator's name and rows added by another account", async () => {
    const alice = await teamOf(aliceEnv);
    const bob = await teamOf(bobEnv);
    const genuine = `genuine-${process.pid}`;
    const forged = `forged-${process.pid}`;
    await journalRun(genuine, 'alice', alice);
    // Bob journals a whole run in Alice's name (a valid chain) and sends it with his INSERT account.
    const forgedFile = await journalRun(forged, 'alice', bob);
    rmSync(path.dirname(forgedFile), { recursive: true });

    const verify = await opsdeck('audit', 'verify', '--team', '--env', aliceEnv, '--audit-dir', auditDir);
    console.log(`[attribution] verify --team:\n${verify.out}`);
    expect(verify.code, verify.out).toBe(7);
    expect(verify.out).toMatch(new RegExp(`verified ${genuine} \\(team database\\): 5 events, hash chain intact; [^\\n]*inserted by opsdeck_alice@\\S+`));
    expect(verify.out).toContain(`TAMPERED ${forged} (team database):`);
    expect(verify.out).toMatch(/run\.started names operator alice, whose database account is opsdeck_alice, but the run's rows were inserted by opsdeck_bob@\S+/);

    // Bob appends a record with a valid link to Alice's run: the run now has rows from two accounts.
    const records = await alice.records(genuine);
    const last = records[records.length - 1];
    const { sealRecord } = await import('../../electron/core/audit/journal');
    const added = sealRecord({ seq: last.seq + 1, ts: new Date().toISOString(), prev: last.hash, type: 'run.note', level: 'info', message: 'all fine' });
    await bob.insertRecords(genuine, [{ seq: last.seq + 1, type: 'run.note', ts: JSON.parse(added.line).ts, prev: last.hash, hash: added.hash, line: added.line }]);
    const mixed = await opsdeck('audit', 'verify', genuine, '--team', '--env', aliceEnv, '--audit-dir', auditDir);
    console.log(`[attribution] after bob appended to alice's run:\n${mixed.out}`);
    expect(mixed.code).toBe(7);
    expect(mixed.out).toMatch(new RegExp(`seq 6: inserted by opsdeck_bob@\\S+, while the run's other rows were inserted by opsdeck_alice@\\S+`));
  });
});
