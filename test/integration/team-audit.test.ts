/**
 * The team audit trail end to end: the real `opsdeck` CLI (in-process) runs runbooks against the real
 * sshd hosts of the lab, with a real MariaDB (its own mariadbd, data directory and port) as the team
 * audit database and as the database of a `sql` step reached through an SSH tunnel. Reports are opened
 * in the real Chromium.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunLeases } from '../../electron/core/leases/run-leases';
import { TeamAudit } from '../../electron/core/team/audit';
import { loadEnvironment } from '../../electron/core/inventory/environment';
import { startMariaDb, type MariaDb } from '../lab/mariadb-server';
import { startSshLab, type SshLab } from '../lab/sshd-lab';
import { opsdeck, runIdOf, journal as readJournal } from '../support/cli';

/** The run's journal, read back. */
const journal = (runId: string) => readJournal(auditDir, runId);

const PASSWORDS = {
  team: `team-${process.pid}-Zq9!x`,
  admin: `admin-${process.pid}-Kp4#w`,
  nova: `nova-${process.pid}-Hs7%v`,
};

let lab: SshLab;
let db: MariaDb;
let work: string;
let auditDir: string;
let teamEnv: string;
let localEnv: string;
let team: TeamAudit;
const screenshots = path.resolve(import.meta.dirname, '../../test-output/screenshots');

beforeAll(async () => {
  [lab, db] = await Promise.all([
    startSshLab({
      hosts: [
        { name: 'controller01', roles: ['controller', 'db'] },
        { name: 'compute01', roles: ['compute'] },
        { name: 'compute02', roles: ['compute'] },
      ],
    }),
    startMariaDb(),
  ]);
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-team-'));
  // The lab's user looks for the tests' marker files here.
  chmodSync(work, 0o755);
  auditDir = path.join(work, 'audit');
  // The DBA's side: the schema, an append-only account for the console, one that may migrate, and a
  // read-only account for the runbook's sql step.
  await db.sql(`
    CREATE DATABASE opsdeck_audit;
    CREATE USER 'opsdeck'@'%' IDENTIFIED BY '${PASSWORDS.team}';
    GRANT SELECT, INSERT ON opsdeck_audit.* TO 'opsdeck'@'%';
    CREATE USER 'opsdeck_admin'@'%' IDENTIFIED BY '${PASSWORDS.admin}';
    GRANT SELECT, INSERT, UPDATE, CREATE, ALTER, INDEX, TRIGGER ON opsdeck_audit.* TO 'opsdeck_admin'@'%';
    CREATE DATABASE nova;
    CREATE TABLE nova.instances (id INT PRIMARY KEY, name VARCHAR(64), host VARCHAR(64));
    INSERT INTO nova.instances VALUES (1, 'vm-a', 'compute01'), (2, 'vm-b', 'compute01'), (3, 'vm-c', 'compute02');
    CREATE USER 'nova_reader'@'%' IDENTIFIED BY '${PASSWORDS.nova}';
    GRANT SELECT ON nova.* TO 'nova_reader'@'%';
  `);
  process.env.OPSDECK_TEST_TEAM_PW = PASSWORDS.team;
  process.env.OPSDECK_TEST_ADMIN_PW = PASSWORDS.admin;
  process.env.OPSDECK_TEST_NOVA_PW = PASSWORDS.nova;
  const base = readFileSync(lab.envFile, 'utf8');
  const databases = [
    'databases:',
    `  team: { address: 127.0.0.1, port: ${db.port}, user: opsdeck, password: { env: OPSDECK_TEST_TEAM_PW } }`,
    `  team_admin: { address: 127.0.0.1, port: ${db.port}, user: opsdeck_admin, password: { env: OPSDECK_TEST_ADMIN_PW } }`,
    `  openstack: { host: controller01, address: 127.0.0.1, port: ${db.port}, user: nova_reader, password: { env: OPSDECK_TEST_NOVA_PW } }`,
  ].join('\n');
  teamEnv = path.join(work, 'team-env.yaml');
  writeFileSync(teamEnv, `${base}${databases}\naudit: { database: team, lease_ttl: 4s }\n`);
  localEnv = path.join(work, 'local-env.yaml');
  writeFileSync(localEnv, `${base}audit: { lease_ttl: 4s }\n`);
  const environment = await loadEnvironment(teamEnv);
  team = new TeamAudit({ database: environment.databases.team, schema: 'opsdeck_audit', environment: environment.name });
});

afterAll(async () => {
  await team?.close();
  await Promise.all([lab?.stop(), db?.destroy()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

function runbookFile(name: string, yaml: string): string {
  const file = path.join(work, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

function journalLines(runId: string): string[] {
  return readFileSync(path.join(auditDir, 'runs', runId, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean);
}

function runCount(): number {
  return existsSync(path.join(auditDir, 'runs')) ? readdirSync(path.join(auditDir, 'runs')).length : 0;
}

/** Waits for `condition`; fails at once with the run's output if the run in the background ended first. */
async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
  running?: Promise<{ code: number; out: string; err: string }>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended: { code: number; out: string; err: string } | undefined;
  void running?.then((result) => (ended = result));
  while (!(await condition())) {
    if (ended) throw new Error(`the run ended (exit ${ended.code}) before ${what}:\n${ended.out}\n${ended.err}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The newest run directory that holds `text` in its journal. */
function runHolding(text: string): string | undefined {
  if (!existsSync(path.join(auditDir, 'runs'))) return undefined;
  return readdirSync(path.join(auditDir, 'runs')).find((id) => {
    try {
      return readFileSync(path.join(auditDir, 'runs', id, 'journal.jsonl'), 'utf8').includes(text);
    } catch {
      return false;
    }
  });
}

/** A runbook whose step `hold` waits on `host` until the test creates `marker`. */
function holdingRunbook(id: string, host: string, marker: string): string {
  return runbookFile(
    id,
    `id: ${id}
title: Holds ${host}
version: "1"
description: waits for the test
steps:
  - { id: before, title: Before, on: ${host}, run: "echo ${id}-before" }
  - { id: hold, title: Hold, on: ${host}, run: "echo ${id}-holding; while [ ! -e ${marker} ]; do sleep 0.1; done; echo released", timeout: 60s }
`,
  );
}

describe('the team audit database', () => {
  it('is created by the migrating account only; the console account can insert and read, never change', async () => {
    const refused = await opsdeck('team', 'migrate', '--env', teamEnv);
    expect(refused.code).toBe(10);
    expect(refused.err).toMatch(/refused|denied/i);
    const migrated = await opsdeck('team', 'migrate', '--env', teamEnv, '--admin-db', 'team_admin');
    expect(migrated.err).toBe('');
    expect(migrated.out).toContain('Applied migrations 1, 2, 3, 4');
    expect((await opsdeck('team', 'migrate', '--env', teamEnv, '--admin-db', 'team_admin')).out).toContain('is up to date');
    expect(await team.schemaVersion()).toBe(4);
    const grants = await opsdeck('team', 'grants', '--env', teamEnv);
    expect(grants.out).toContain("GRANT SELECT, INSERT ON `opsdeck_audit`.* TO 'opsdeck'@'%';");
  });

  it('receives every journal line of a run verbatim, in order, and verifies against the chain and the local journal', async () => {
    const file = runbookFile(
      'replicated',
      `id: replicated
title: Replicated
version: "1"
description: r
steps:
  - { id: one, title: One, on: controller01, run: "echo one; echo two >&2" }
  - { id: fan, title: Fan out, on: "compute01, compute02", run: "hostname" }
`,
    );
    const run = await opsdeck('run', file, '--env', teamEnv, '--audit-dir', auditDir);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const runId = runIdOf(run.out);
    const local = journalLines(runId);
    const remote = await team.records(runId);
    expect(remote.map((record) => record.line)).toEqual(local);
    expect(await team.arrivalOrder(runId)).toEqual(local.map((_, index) => index + 1));
    expect(journal(runId).find((record) => record.type === 'run.note' && /Leased /.test(record.message))).toMatchObject({
      message: expect.stringContaining('compute01, compute02, controller01'),
    });

    const verify = await opsdeck('audit', 'verify', runId, '--env', teamEnv, '--audit-dir', auditDir);
    expect(verify.code).toBe(0);
    expect(verify.out).toContain(`verified ${runId}: ${local.length} events`);
    expect(verify.out).toContain(`verified ${runId} (team database): ${local.length} events, hash chain intact; identical to the local journal`);

    const list = await opsdeck('audit', 'list', '--team', '--env', teamEnv);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(new RegExp(`${runId}  succeeded +replicated +lab \\[LAB\\]  \\S+@\\S+  \\S+  ${local.length} events`));

    // Append-only: the console's own account cannot rewrite history.
    const connection = await import('mysql2/promise').then((mysql) =>
      mysql.default.createConnection({ host: '127.0.0.1', port: db.port, user: 'opsdeck', password: PASSWORDS.team, database: 'opsdeck_audit' }),
    );
    try {
      await expect(connection.query('UPDATE audit_records SET line = line WHERE run_id = ?', [runId])).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(connection.query('DELETE FROM audit_records WHERE run_id = ?', [runId])).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    } finally {
      await connection.end();
    }
  });

  it('queues events while the database is down mid-run and sends them in order, none twice, when it is back', async () => {
    const first = path.join(work, `outage-1-${process.pid}`);
    const second = path.join(work, `outage-2-${process.pid}`);
    const file = runbookFile(
      'outage',
      `id: outage
title: Outage
version: "1"
description: o
steps:
  - { id: start, title: Start, on: controller01, run: "echo outage-start" }
  - { id: wait-1, title: Wait one, on: controller01, run: "while [ ! -e ${first} ]; do sleep 0.1; done; echo outage-during", timeout: 60s }
  - { id: during-a, title: During A, on: compute01, run: "seq 1 50" }
  - { id: during-b, title: During B, on: compute02, run: "echo during-b" }
  - { id: wait-2, title: Wait two, on: controller01, run: "while [ ! -e ${second} ]; do sleep 0.1; done; echo outage-after", timeout: 60s }
  - { id: last, title: Last, on: compute01, run: "echo outage-end" }
`,
    );
    // The sshd lab user must be able to see the markers: they live in the test's work directory.
    const running = opsdeck('run', file, '--env', teamEnv, '--audit-dir', auditDir);
    let runId: string | undefined;
    await waitFor(
      () => Boolean((runId = runHolding('"outage"')) && journalLines(runId).some((line) => line.includes('"step.started"') && line.includes('"wait-1"'))),
      'step wait-1',
      20_000,
      running,
    );
    await waitFor(async () => (await team.lastSeq(runId!)) >= journalLines(runId!).length, 'the database to catch up before the outage');
    const before = await team.lastSeq(runId!);
    await team.close();
    await db.stop('SIGKILL');
    writeFileSync(first, '');
    await waitFor(() => journalLines(runId!).some((line) => line.includes('"step.started"') && line.includes('"wait-2"')), 'step wait-2', 20_000, running);
    const queued = journalLines(runId!).length - before;
    expect(queued).toBeGreaterThan(10);
    await db.start();
    team = new TeamAudit(team.config);
    // Back mid-run: the queued events arrive while the run still waits at wait-2.
    await waitFor(async () => (await team.lastSeq(runId!)) >= before + queued, 'the queued events to arrive', 20_000, running);
    writeFileSync(second, '');
    const run = await running;
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/team audit: .*cannot be reached/);
    expect(run.out).toMatch(/team audit: .*reachable again; \d+ queued events were sent in order/);
    const local = journalLines(runId!);
    const remote = await team.records(runId!);
    expect(remote.map((record) => record.line)).toEqual(local);
    expect(await team.arrivalOrder(runId!)).toEqual(local.map((_, index) => index + 1));
    const notes = journal(runId!)
      .filter((record) => record.type === 'run.note')
      .map((record) => (record as { message: string }).message);
    expect(notes.some((message) => /cannot be reached .*events wait in the local journal/.test(message))).toBe(true);
    expect(notes.some((message) => /reachable again; \d+ queued events were sent in order/.test(message))).toBe(true);
    expect((await opsdeck('audit', 'verify', runId!, '--env', teamEnv, '--audit-dir', auditDir)).code).toBe(0);
  });

  it('stops a second run that would touch a host another run holds, before its journal exists, naming the holder', async () => {
    const marker = path.join(work, `hold-${process.pid}`);
    const holding = opsdeck('run', holdingRunbook('holder', 'controller01', marker), '--env', teamEnv, '--audit-dir', auditDir, '--operator', 'alice');
    let holderId: string | undefined;
    await waitFor(() => Boolean((holderId = runHolding('holder-holding'))), 'the holder to hold controller01', 20_000, holding);
    const before = runCount();
    const second = await opsdeck('run', holdingRunbook('second', 'controller01', marker), '--env', teamEnv, '--audit-dir', auditDir, '--operator', 'bob');
    expect(second.code).toBe(9);
    expect(second.err).toContain(`controller01 is locked by alice (run ${holderId}, runbook holder) on ${os.hostname()} since `);
    expect(second.err).toContain('Nothing was run');
    expect(runCount()).toBe(before);
    const locks = await opsdeck('locks', 'list', '--env', teamEnv);
    expect(locks.out).toMatch(new RegExp(`controller01 +held +alice@\\S+ +run ${holderId} \\(holder\\)`));
    writeFileSync(marker, '');
    expect((await holding).code).toBe(0);
    expect((await opsdeck('locks', 'list', '--env', teamEnv)).out).not.toContain(holderId!);
    const again = await opsdeck('run', holdingRunbook('second', 'controller01', marker), '--env', teamEnv, '--audit-dir', auditDir, '--operator', 'bob');
    expect(again.code).toBe(0);
  });

  it('without a team database, leases hosts in the audit directory the same way', async () => {
    const marker = path.join(work, `local-hold-${process.pid}`);
    const holding = opsdeck('run', holdingRunbook('local-holder', 'compute02', marker), '--env', localEnv, '--audit-dir', auditDir, '--operator', 'carol');
    await waitFor(() => Boolean(runHolding('local-holder-holding')), 'the local holder', 20_000, holding);
    const second = await opsdeck('run', holdingRunbook('local-second', 'compute02', marker), '--env', localEnv, '--audit-dir', auditDir, '--operator', 'dave');
    expect(second.code).toBe(9);
    expect(second.err).toMatch(/compute02 is locked by carol .*\(local lock directory\)/);
    expect(existsSync(path.join(auditDir, 'locks', 'lab', 'compute02'))).toBe(true);
    writeFileSync(marker, '');
    expect((await holding).code).toBe(0);
  });

  it('lets a lease expire when its holder vanished, and the next run takes the host over', async () => {
    const ghost = await RunLeases.acquire(team, {
      environment: 'lab',
      hosts: ['compute02'],
      holder: { runId: 'ghost-run', operator: 'ghost', machine: 'gone-laptop', pid: 4242, runbook: 'haunt' },
      ttlMs: 1500,
    });
    ghost.abandon();
    const file = runbookFile('after-ghost', `id: after-ghost\ntitle: A\nversion: "1"\ndescription: a\nsteps:\n  - { id: look, title: Look, on: compute02, run: "echo ok" }\n`);
    const refused = await opsdeck('run', file, '--env', teamEnv, '--audit-dir', auditDir);
    expect(refused.code).toBe(9);
    expect(refused.err).toContain('compute02 is locked by ghost (run ghost-run, runbook haunt) on gone-laptop');
    await new Promise((resolve) => setTimeout(resolve, 1700));
    const run = await opsdeck('run', file, '--env', teamEnv, '--audit-dir', auditDir);
    expect(run.code).toBe(0);
    const note = journal(runIdOf(run.out)).find((record) => record.type === 'run.note' && /Took over expired leases/.test(record.message));
    expect(note).toMatchObject({ message: expect.stringContaining('compute02 from ghost (run ghost-run') });
  });

  it('records a lease broken by an operator with the reason, and tells the run that held it', async () => {
    const marker = path.join(work, `broken-${process.pid}`);
    const holding = opsdeck('run', holdingRunbook('broken-holder', 'compute01', marker), '--env', teamEnv, '--audit-dir', auditDir, '--operator', 'alice');
    let holderId: string | undefined;
    await waitFor(() => Boolean((holderId = runHolding('broken-holder-holding'))), 'the holder of compute01', 20_000, holding);
    const reason = "alice's laptop froze; the step is finished on the host";
    const broken = await opsdeck('locks', 'break', 'compute01', '--reason', reason, '--env', teamEnv, '--operator', 'bob');
    expect(broken.code).toBe(0);
    expect(broken.out).toContain(`it was held by alice on ${os.hostname()} since `);
    expect(broken.out).toContain(`for run ${holderId} (broken-holder)`);
    expect(broken.out).toContain(`as broken by bob at `);
    const breaks = await team.breaks('lab');
    expect(breaks.at(-1)).toMatchObject({ host: 'compute01', by: 'bob', reason, lease: { runId: holderId, operator: 'alice' } });
    expect((await opsdeck('locks', 'list', '--env', teamEnv)).out).toContain(`compute01: bob@${os.hostname()} broke alice's lease (run ${holderId}): ${reason}`);
    // The holder renews every second (TTL 4 s): it hears of the break.
    await waitFor(() => journalLines(holderId!).some((line) => line.includes('was broken by bob')), 'the holder to learn of the break', 10_000, holding);
    writeFileSync(marker, '');
    const run = await holding;
    expect(run.code).toBe(0);
    expect(run.out).toContain(`lease: The lease on compute01 was broken by bob on ${os.hostname()}`);
    expect(journal(holderId!).find((record) => record.type === 'run.note' && record.level === 'error')).toMatchObject({ message: expect.stringContaining(reason) });
    expect((await opsdeck('locks', 'break', 'compute01', '--reason', 'again', '--env', teamEnv)).code).toBe(2);
  });

  it('detects a row changed in the database', async () => {
    const file = runbookFile('tamper', `id: tamper\ntitle: T\nversion: "1"\ndescription: t\nsteps:\n  - { id: say, title: Say, on: controller01, run: "echo genuine-output" }\n`);
    const run = await opsdeck('run', file, '--env', teamEnv, '--audit-dir', auditDir);
    expect(run.code).toBe(0);
    const runId = runIdOf(run.out);
    const seq = journal(runId).find((record) => record.type === 'step.output')!.seq;
    await db.sql(`UPDATE opsdeck_audit.audit_records SET line = REPLACE(line, 'genuine-output', 'forged-output') WHERE run_id = '${runId}' AND seq = ${seq};`);
    const verify = await opsdeck('audit', 'verify', runId, '--env', teamEnv, '--audit-dir', auditDir);
    expect(verify.code).toBe(7);
    expect(verify.out).toContain(`verified ${runId}: `);
    expect(verify.out).toContain(`TAMPERED ${runId} (team database):`);
    expect(verify.out).toContain(`seq ${seq}: content changed in the database (hash mismatch)`);
    expect(verify.out).toContain(`seq ${seq}: seq ${seq} differs between the database and the local journal`);
    const teamOnly = await opsdeck('audit', 'verify', '--team', '--env', teamEnv, '--audit-dir', auditDir);
    expect(teamOnly.code).toBe(7);
  });
});

describe('a team database down when a run starts', () => {
  it('stops the run (exit 10) unless --local-locks, and audit sync sends its journal once the database is back', async () => {
    const file = runbookFile('offline', `id: offline\ntitle: O\nversion: "1"\ndescription: o\nsteps:\n  - { id: say, title: Say, on: compute01, run: "echo offline-run" }\n`);
    await team.close();
    await db.stop();
    try {
      const before = runCount();
      const refused = await opsdeck('run', file, '--env', teamEnv, '--audit-dir', auditDir);
      expect(refused.code).toBe(10);
      expect(refused.err).toMatch(/team database team .*cannot be reached \(ECONNREFUSED\)/);
      expect(refused.err).toContain('Run with --local-locks');
      expect(runCount()).toBe(before);
      const run = await opsdeck('run', file, '--env', teamEnv, '--audit-dir', auditDir, '--local-locks');
      expect(run.code).toBe(0);
      expect(run.err).toContain('The hosts are leased on this machine only');
      expect(run.out).toMatch(/team audit: .*cannot be reached/);
      expect(run.err).toMatch(/did not get the last \d+ events of this run; .* opsdeck audit sync --env /);
      const runId = runIdOf(run.out);
      expect(journal(runId).some((record) => record.type === 'run.note' && /local lock directory/.test(record.message))).toBe(true);
      await db.start();
      team = new TeamAudit(team.config);
      const sync = await opsdeck('audit', 'sync', '--env', teamEnv, '--audit-dir', auditDir);
      expect(sync.code).toBe(0);
      expect(sync.out).toContain(`${runId}: ${journalLines(runId).length} events sent`);
      expect((await team.records(runId)).map((record) => record.line)).toEqual(journalLines(runId));
      expect((await opsdeck('audit', 'sync', '--env', teamEnv, '--audit-dir', auditDir)).out).toBe('The team database has every local run of this environment.\n');
    } finally {
      await db.start();
    }
  });
});

describe('sql steps through an SSH tunnel', () => {
  it('query the real MariaDB, and no database password reaches the audit directory or the team database', async () => {
    const file = runbookFile(
      'sql-count',
      `id: sql-count
title: Count instances
version: "1"
description: s
steps:
  - id: count
    title: Instances on compute01
    sql: { database: openstack, query: "SELECT name FROM nova.instances WHERE host = ? ORDER BY name", args: ["compute01"] }
    expect:
      json:
        - { path: "[*]", count: 2 }
        - { path: "[1].name", equals: vm-b }
`,
    );
    const run = await opsdeck('run', file, '--env', teamEnv, '--audit-dir', auditDir);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain('"vm-b"');
    const runId = runIdOf(run.out);
    expect(journal(runId).find((record) => record.type === 'step.finished' && record.step === 'count')).toMatchObject({ status: 'succeeded' });
    const leaks: string[] = [];
    const walk = (directory: string) => {
      for (const entry of readdirSync(directory)) {
        const full = path.join(directory, entry);
        if (statSync(full).isDirectory()) walk(full);
        else {
          const text = readFileSync(full, 'latin1');
          for (const [name, password] of Object.entries(PASSWORDS)) if (text.includes(password)) leaks.push(`${name} in ${full}`);
        }
      }
    };
    walk(auditDir);
    expect(leaks).toEqual([]);
    const remote = (await team.records(runId)).map((record) => record.line).join('\n');
    expect(remote).toContain('vm-a');
    for (const password of Object.values(PASSWORDS)) expect(remote).not.toContain(password);
  });
});

describe('reports of a drill', () => {
  const drillBook = () =>
    runbookFile(
      'drill',
      `id: drill-restore
title: Restore drill
version: "1"
description: d
steps:
  - id: p10
    title: Control plane
    phase: { priority: 10 }
    steps:
      - { id: db, title: Start the database, on: controller01, run: "echo '<script>alert(1)</script>'; sleep 0.3; echo db-up" }
      - { id: mq, title: Start RabbitMQ, on: controller01, run: "echo mq-up" }
  - id: p20
    title: Computes
    phase: { priority: 20 }
    steps:
      - { id: nova, title: Start nova-compute, on: compute01, run: "echo nova-up", destructive: true }
  - id: go-on
    title: Go on?
    decision:
      question: Carry on?
      choices: [{ id: "yes", label: "Yes" }, { id: stop, label: Stop, next: end }]
  - id: tell
    title: Tell the team
    manual: Post in the channel.
`,
    );

  it('times the run live against its objectives and reports them in Markdown, HTML (in Chromium) and JSON', async () => {
    const args = [
      'run',
      drillBook(),
      '--env',
      teamEnv,
      '--audit-dir',
      auditDir,
      '--drill',
      '--rto',
      '10m',
      '--phase-rto',
      'p10=100ms',
      '--phase-rto',
      'p20=10m',
      '--confirm',
      'p20/nova=compute01',
      '--decide',
      'go-on=yes',
      '--manual',
      'tell=done:posted in #ops',
    ];
    const run = await opsdeck(...args);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/⏱ drill clock \S+ \| run 10m: \S+ left \| p10 100ms: /);
    expect(run.out).toContain('!! DRILL OBJECTIVE EXCEEDED: p10 (Control plane): objective 100ms');
    expect(run.out).toMatch(/⏱ drill result \S+ \| run 10m: met at \S+ \| p10 100ms: MISSED, done at \S+ \| p20 10m: met at/);
    const runId = runIdOf(run.out);
    expect(journal(runId)[0]).toMatchObject({ type: 'run.started', drill: { objectives: { run: 600_000, p10: 100, p20: 600_000 } } });

    const unknown = await opsdeck('run', drillBook(), '--env', teamEnv, '--audit-dir', auditDir, '--phase-rto', 'p30=1m');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('"p30" is not a step of this runbook (its phases: p10, p20)');

    const markdown = (await opsdeck('audit', 'export', runId, '--format', 'md', '--audit-dir', auditDir)).out;
    expect(markdown).toContain('## Drill: objectives against achieved');
    expect(markdown).toMatch(/\| phase `p10` Control plane \| 100 ms \| [\d.]+ m?s \| −[\d.]+ m?s \| \*\*MISSED\*\* \(succeeded\) \|/);
    expect(markdown).toMatch(/\| whole run \(RTO\) \| 10 min 00 s \| [\d.]+ m?s \| \+9 min \d\d s \| \*\*met\*\* \(succeeded\) \|/);
    expect(markdown).toMatch(/## Slowest steps\n\n\| Step \| Duration \| Share of the run \| Status \|\n\|---\|---\|---\|---\|\n\| Start the database \(`p10\/db`\)/);
    expect(markdown).toContain('typing `compute01`');
    expect(markdown).toContain('chose `yes`');
    expect(markdown).toContain('note: posted in #ops');
    expect(markdown).toContain('Verified: ');

    const json = JSON.parse((await opsdeck('audit', 'export', runId, '--format', 'json', '--audit-dir', auditDir)).out);
    expect(json.drill.objectives.map((objective: { key: string; verdict: string }) => [objective.key, objective.verdict])).toEqual([
      ['run', 'met'],
      ['p10', 'missed'],
      ['p20', 'met'],
    ]);
    expect(json.verification).toMatchObject({ verified: true, ok: true });

    const reportFile = path.join(auditDir, `${runId}.html`);
    const exported = await opsdeck('audit', 'export', runId.slice(0, 22), '--format', 'html', '--output', reportFile, '--audit-dir', auditDir);
    expect(exported.code).toBe(0);
    const html = readFileSync(reportFile, 'utf8');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('data-verification="verified"');
    expect(html).toContain(`href="runs/${runId}/transcripts/controller01.cast"`);
    expect(existsSync(path.join(auditDir, 'runs', runId, 'transcripts', 'controller01.cast'))).toBe(true);

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(`file://${reportFile}`);
      await page.locator('summary', { hasText: 'Output on controller01' }).first().click();
      const output = page.locator('section#step-2 details pre').first();
      await expect.poll(() => output.isVisible()).toBe(true);
      expect(await output.textContent()).toContain('<script>alert(1)</script>');
      expect(await page.locator('[data-verification]').first().textContent()).toContain('Journal verified');
      expect(await page.locator('tr[data-objective="p10"]').textContent()).toContain('MISSED');
      expect(await page.locator('script').count()).toBe(0);
      mkdirSync(screenshots, { recursive: true });
      await page.screenshot({ path: path.join(screenshots, 'team-audit-drill-report.png'), fullPage: true });
      await page.locator('section#step-2').scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(screenshots, 'team-audit-drill-report-output.png') });
      expect(dialogs).toEqual([]);
      expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('compares two drills of the same runbook step by step', async () => {
    const runs = (await opsdeck('audit', 'list', '--runbook', 'drill-restore', '--audit-dir', auditDir)).out.trim().split('\n');
    const older = runs.at(-1)!.split(' ')[0];
    const second = await opsdeck(
      'run',
      drillBook(),
      '--env',
      teamEnv,
      '--audit-dir',
      auditDir,
      '--rto',
      '10m',
      '--phase-rto',
      'p10=1m',
      '--yes-destructive',
      '--decide',
      'go-on=yes',
      '--manual',
      'tell=done',
    );
    expect(second.code).toBe(0);
    const newer = runIdOf(second.out);
    const comparison = await opsdeck('audit', 'compare', older, newer, '--audit-dir', auditDir);
    expect(comparison.code).toBe(0);
    expect(comparison.out).toContain(`# Restore drill: ${older} (A) against ${newer} (B)`);
    expect(comparison.out).toMatch(/\| Duration \| [\d.]+ m?s \| [\d.]+ m?s \| [+−±][\d.]+ m?s \|/);
    expect(comparison.out).toMatch(/\| \u00a0\u00a0Start the database \(`p10\/db`\) \| run \| [\d.]+ m?s \| [\d.]+ m?s \| [+−±]/);
    expect(comparison.out).toMatch(/\| Control plane \(`p10`\) \| 100 ms \| [\d.]+ m?s \(MISSED\) \| 1 min 00 s \| [\d.]+ m?s \(met\) \|/);
    const json = JSON.parse((await opsdeck('audit', 'compare', older, newer, '--format', 'json', '--audit-dir', auditDir)).out);
    expect(json.sameRunbook).toBe(true);
    expect(json.steps.map((row: { key: string }) => row.key)).toEqual(['p10', 'p10/db', 'p10/mq', 'p20', 'p20/nova', 'go-on', 'tell']);
  });
});
