/**
 * The console with a team audit database: a real MariaDB (its own mariadbd) and the real sshd lab
 * behind ConsoleService, as browser mode serves it. A console run leases its hosts in the database and
 * replicates its journal there; the audit screen lists the team's runs (one recorded on another
 * machine, present only in the database) with their reports, verifies the database copy of a local
 * run against its journal (and names a row changed behind its back); a host held in the database
 * refuses a console run naming the holder; the lease is broken with a reason. Needs root (mariadbd,
 * sshd) like the rest of the e2e project.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActiveRun, AuditExport, AuditRunDetail, EnvironmentSummary, LocksListing, RunNotice, TeamRunListing } from '../../electron/api/contract';
import { ConsoleService } from '../../electron/app/service';
import type { RunEvent } from '../../electron/core/audit/events';
import { Journal } from '../../electron/core/audit/journal';
import { RunLeases } from '../../electron/core/leases/run-leases';
import { Masker } from '../../electron/core/audit/mask';
import { TeamAudit } from '../../electron/core/team/audit';
import type { TeamRecord } from '../../electron/core/team/journal';
import { runStarted } from '../../electron/core/audit/testing';
import { BUNDLED_RUNBOOKS_DIR, loadEnvironment } from '../../electron/core/inventory/environment';
import { RENDERER_DIR, startServer, type RunningServer } from '../../electron/server';
import { startMariaDb, type MariaDb } from '../lab/mariadb-server';
import { startSshLab, type SshLab } from '../lab/sshd-lab';
import { launchChromium } from './browser';

const SCREENSHOTS = path.resolve('test-output/screenshots');
const PASSWORDS = { team: `team-${process.pid}-Zq9!x`, admin: `admin-${process.pid}-Kp4#w` };

const RUNBOOK = `id: team-drill
title: Team drill
version: "1.0"
description: One phase on the lab, replicated to the team database.
steps:
  - id: p10
    title: Control plane
    phase: { priority: 10 }
    steps:
      - id: look
        title: Look at the controller
        on: controller01
        run: echo team drill on $(hostname)
  - id: hold
    title: Hold while the lease is looked at
    manual: Nothing to do; the test looks at the team database's lease, then answers.
`;

let lab: SshLab;
let db: MariaDb;
let work: string;
let teamEnv: string;
let team: TeamAudit;
let service: ConsoleService;
let server: RunningServer | undefined;
let browser: Browser | undefined;
let consoleRunId: string;
const otherRunId = '20261121T090000Z-0de1a5';
const notices: RunNotice[] = [];

beforeAll(async () => {
  [lab, db] = await Promise.all([
    startSshLab({
      hosts: [
        { name: 'controller01', roles: ['controller', 'db'] },
        { name: 'compute01', roles: ['compute'] },
      ],
    }),
    startMariaDb(),
  ]);
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-team-console-'));
  await db.sql(`
    CREATE DATABASE opsdeck_audit;
    CREATE USER 'opsdeck'@'%' IDENTIFIED BY '${PASSWORDS.team}';
    GRANT SELECT, INSERT ON opsdeck_audit.* TO 'opsdeck'@'%';
    CREATE USER 'opsdeck_admin'@'%' IDENTIFIED BY '${PASSWORDS.admin}';
    GRANT SELECT, INSERT, UPDATE, CREATE, ALTER, INDEX, TRIGGER ON opsdeck_audit.* TO 'opsdeck_admin'@'%';
  `);
  process.env.OPSDECK_TEST_CONSOLE_TEAM_PW = PASSWORDS.team;
  process.env.OPSDECK_TEST_CONSOLE_ADMIN_PW = PASSWORDS.admin;
  teamEnv = path.join(work, 'team-env.yaml');
  writeFileSync(
    teamEnv,
    `${readFileSync(lab.envFile, 'utf8')}databases:\n` +
      `  team: { address: 127.0.0.1, port: ${db.port}, user: opsdeck, password: { env: OPSDECK_TEST_CONSOLE_TEAM_PW } }\n` +
      `  team_admin: { address: 127.0.0.1, port: ${db.port}, user: opsdeck_admin, password: { env: OPSDECK_TEST_CONSOLE_ADMIN_PW } }\n` +
      `audit: { database: team, lease_ttl: 20s }\n`,
  );
  const environment = await loadEnvironment(teamEnv);
  team = new TeamAudit({ database: environment.databases.team, schema: 'opsdeck_audit', environment: environment.name });
  await team.migrate(environment.databases.team_admin);
  writeFileSync(path.join(work, 'team-drill.yaml'), RUNBOOK);
  service = new ConsoleService({
    auditDir: path.join(work, 'audit'),
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: work,
    environmentFiles: [teamEnv],
    operator: 'carol-console',
    lab: { availability: () => ({ available: false, reason: 'team console test' }), start: () => Promise.reject(new Error('no lab')) },
  });
  service.onEvent((event) => {
    if (event.name === 'run:notice') notices.push(event.payload);
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await service?.close();
  await team?.close();
  await Promise.all([lab?.stop(), db?.destroy()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

async function call<T>(name: string, request: unknown): Promise<T> {
  const reply = await service.dispatch(name, request);
  if (!reply.ok) throw new Error(`${name}: ${reply.error.code}: ${reply.error.userMessage}`);
  return reply.value as T;
}

async function until(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A run recorded on another machine: its journal lines, as that machine's replicator sent them. */
async function replicateForeignRun(): Promise<void> {
  const otherAudit = path.join(work, 'other-machine-audit');
  let clock = Date.parse('2026-11-21T09:00:00.000Z');
  const journal = Journal.create(otherAudit, otherRunId, new Masker(), { syncIntervalMs: 0, now: () => new Date(clock) });
  const events: RunEvent[] = [
    runStarted(otherRunId, { operator: 'dave', machine: 'ops-7', plan: [{ key: 'p10', title: 'Control plane', kind: 'phase' }], drill: { objectives: { run: 60_000 } } }),
    { type: 'step.started', step: 'p10', title: 'Control plane', kind: 'phase', hosts: [], attempt: 1 },
    { type: 'step.finished', step: 'p10', status: 'succeeded', durationMs: 42_000, checks: [], captures: {} },
    { type: 'run.finished', status: 'succeeded', durationMs: 45_000 },
  ];
  for (const event of events) {
    journal.append(event);
    clock += 21_000;
  }
  journal.close();
  const lines = readFileSync(path.join(otherAudit, 'runs', otherRunId, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const records: TeamRecord[] = lines.map((line) => {
    const record = JSON.parse(line) as { seq: number; type: string; ts: string; prev: string; hash: string };
    return { seq: record.seq, type: record.type, ts: record.ts, prev: record.prev, hash: record.hash, line };
  });
  await team.insertRecords(otherRunId, records);
}

describe('the console with a team audit database (MariaDB) and the SSH lab', () => {
  it('says which environments have a team database', async () => {
    const [environment] = await call<EnvironmentSummary[]>('environment:list', {});
    expect(environment.teamAudit).toContain('schema opsdeck_audit');
    expect(environment.teamAudit).not.toContain(PASSWORDS.team);
    await call('hosts:check', { environmentId: teamEnv });
  });

  it('runs a drill with its hosts leased in the database and its journal replicated there', async () => {
    const active = await call<ActiveRun>('run:start', {
      runbookId: 'team-drill',
      environmentId: teamEnv,
      params: {},
      onFailure: 'stop',
      drill: { objectives: { run: 60_000, p10: 30_000 } },
    });
    consoleRunId = active.runId;
    expect(active.drill?.objectives).toEqual({ run: 60_000, p10: 30_000 });
    // While it runs (held at its manual step, so it certainly still runs), the database holds its lease.
    const awaiting = async () =>
      (await call<ActiveRun[]>('run:list', {})).find((run) => run.runId === consoleRunId)?.events.some((envelope) => envelope.event.type === 'step.awaiting') === true;
    await until(awaiting, 'the manual step');
    expect((await team.list()).some((lease) => lease.host === 'controller01' && lease.runId === consoleRunId && !lease.expired)).toBe(true);
    await call('run:completeManual', { runId: consoleRunId, step: 'hold', outcome: 'done' });
    await until(async () => (await call<ActiveRun[]>('run:list', {})).find((run) => run.runId === consoleRunId)?.status === 'succeeded', 'the run to succeed');
    const localLines = readFileSync(path.join(work, 'audit', 'runs', consoleRunId, 'journal.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean);
    await until(async () => (await team.lastSeq(consoleRunId)) === localLines.length, 'the database to have every line');
    expect(notices.find((notice) => notice.runId === consoleRunId && notice.source === 'lease')?.message).toMatch(/Leased controller01 .*team database/);
    // Released at the end of the run.
    await until(async () => !(await team.list()).some((lease) => lease.runId === consoleRunId), 'the lease to be released');
  });

  it("lists the team's runs, reads one recorded on another machine from the database, and exports its report", async () => {
    await replicateForeignRun();
    const listing = await call<TeamRunListing>('audit:teamList', { environmentId: teamEnv });
    expect(listing.database).toContain('opsdeck_audit');
    expect(listing.runs.map((run) => [run.runId, run.operator])).toEqual(
      expect.arrayContaining([
        [consoleRunId, 'carol-console'],
        [otherRunId, 'dave'],
      ]),
    );
    const foreign = await call<AuditRunDetail>('audit:show', { runId: otherRunId, teamEnvironmentId: teamEnv });
    expect(foreign.source).toBe('team');
    expect(foreign.summary).toMatchObject({ operator: 'dave', status: 'succeeded' });
    expect(foreign.verification.ok).toBe(true);
    expect(foreign.drill.objectives[0]).toMatchObject({ key: 'run', verdict: 'met' });
    // Not on this machine: only the database has it.
    expect((await service.dispatch('audit:show', { runId: otherRunId })).ok).toBe(false);
    const html = await call<AuditExport>('audit:export', { runId: otherRunId, teamEnvironmentId: teamEnv, format: 'html' });
    expect(html.text).toContain('dave');
    expect(html.text).not.toMatch(/<script/i);
  });

  it('verifies the database copy of a local run against its journal, and names a row changed in the database', async () => {
    const detail = await call<AuditRunDetail>('audit:show', { runId: consoleRunId });
    expect(detail.teamVerification).toMatchObject({ state: 'verified', notYetReplicated: 0 });
    expect(detail.teamVerification!.records).toBe(detail.verification.records);
    await db.sql(`UPDATE opsdeck_audit.audit_records SET line = REPLACE(line, 'team drill on', 'TEAM DRILL ON') WHERE run_id = '${consoleRunId}' AND type = 'step.output';`);
    const tampered = await call<AuditRunDetail>('audit:show', { runId: consoleRunId });
    expect(tampered.teamVerification?.state).toBe('tampered');
    expect(tampered.teamVerification?.problems.map((problem) => problem.message).join('\n')).toMatch(/content changed in the database/);
    // The local journal is untouched.
    expect(tampered.verification.ok).toBe(true);
  });

  it('refuses a run on a host held in the database, naming the holder; the lease is broken with a reason', async () => {
    const held = await RunLeases.acquire(team, {
      environment: (await loadEnvironment(teamEnv)).name,
      hosts: ['controller01'],
      holder: { runId: '20261122T020000Z-da7e00', operator: 'dave', machine: 'ops-7', pid: 1, runbook: 'rabbitmq-recovery' },
      ttlMs: 60_000,
    });
    try {
      const refused = await service.dispatch('run:start', { runbookId: 'team-drill', environmentId: teamEnv, params: {}, onFailure: 'stop' });
      expect(refused).toMatchObject({ ok: false, error: { code: 'host-locked' } });
      if (refused.ok) return;
      expect(refused.error.userMessage.split('\n')[0]).toMatch(
        /controller01 is locked by dave \(run 20261122T020000Z-da7e00, runbook rabbitmq-recovery\) on ops-7 since .*team database/,
      );
      const locks = await call<LocksListing>('locks:list', { environmentId: teamEnv });
      expect(locks.backend).toBe('team');
      expect(locks.leases.find((lease) => lease.host === 'controller01')).toMatchObject({ operator: 'dave', expired: false });
      await call('locks:break', { environmentId: teamEnv, host: 'controller01', reason: 'dave is on leave; carol takes over' });
      const after = await call<LocksListing>('locks:list', { environmentId: teamEnv });
      expect(after.leases.some((lease) => lease.host === 'controller01')).toBe(false);
      expect(after.breaks[0]).toMatchObject({ host: 'controller01', by: 'carol-console', reason: 'dave is on leave; carol takes over', lease: { operator: 'dave' } });
    } finally {
      held.abandon();
    }
  });

  it('shows the team runs, labelled, in the audit screen', async () => {
    server = await startServer({ service, rendererDir: RENDERER_DIR });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Audit', exact: true }).click();
    const teamRuns = page.getByRole('region', { name: 'Team runs' });
    await teamRuns.locator(`[data-team-run="${otherRunId}"]`).waitFor({ timeout: 20_000 });
    expect(await teamRuns.locator(`[data-team-run="${otherRunId}"]`).innerText()).toContain('TEAM');
    await teamRuns.locator(`[data-team-run="${otherRunId}"]`).click();
    await page.locator('[data-verified="yes"]').waitFor({ timeout: 20_000 });
    expect(await page.getByRole('region', { name: 'Recorded run' }).innerText()).toContain('read from the team database');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'audit-team-runs.png') });
    await page.locator(`.audit-table [data-run="${consoleRunId}"]`).click();
    await page.locator('[data-team-verified="tampered"]').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'audit-team-copy-tampered.png') });
  });
});
