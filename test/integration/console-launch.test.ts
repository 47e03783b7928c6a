/**
 * Issue 16, "one launch path": a run started from the console's service (not the CLI) reaches the
 * same things a run from `opsdeck run` reaches. Against the real test servers: the SSH lab's sshd
 * hosts, compute01 reached only through controller01 (the environment's `jump:`, ProxyJump), and the
 * MariaDB lab behind controller01 (an SSH tunnel). Before the launch module, the console built its
 * own SSH pool without the environment's jump hosts ("not defined") and started runs without a SQL
 * connector (`sql-unavailable`).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActiveRun, AuditRunDetail } from '../../electron/api/contract';
import type { JournalRecord } from '../../electron/core/audit/events';
import { BUNDLED_RUNBOOKS_DIR } from '../../electron/core/inventory/environment';
import { ConsoleService, type ServiceEvent } from '../../electron/app/service';
import { connectorsFor } from '../../electron/core/usecases/launch';
import { startMariaDbLab, type MariaDbLab } from '../lab/mariadb-lab';
import { STANDARD_LAB_HOSTS, startSshLab, type SshLab } from '../lab/sshd-lab';
import { journal, waitFor } from '../support/cli';

let lab: SshLab;
let mariadb: MariaDbLab;
let work: string;
let auditDir: string;
let envFile: string;
let service: ConsoleService;
const events: ServiceEvent[] = [];
/** Environments the console asked its connector factory for (the test gives the factory). */
const connected: string[] = [];
const PASSWORD_VARIABLE = `OPSDECK_CONSOLE_LAUNCH_DB_${process.pid}`;

beforeAll(async () => {
  lab = await startSshLab({ hosts: STANDARD_LAB_HOSTS });
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-console-launch-'));
  // MariaDB runs as mysql and must reach its datadir under here.
  chmodSync(work, 0o755);
  auditDir = path.join(work, 'audit');
  mariadb = await startMariaDbLab({ dir: work });
  process.env[PASSWORD_VARIABLE] = mariadb.password;
  const controller = lab.host('controller01');
  const compute = lab.host('compute01');
  mkdirSync(path.join(work, 'environments'));
  envFile = path.join(work, 'environments', 'jump.yaml');
  writeFileSync(
    envFile,
    [
      'name: console-launch',
      'lab: true',
      'profile: systemd',
      `known_hosts: ${lab.knownHostsFile}`,
      `defaults: { user: ${lab.user}, key: ${lab.keyFile} }`,
      'hosts:',
      `  controller01: { address: ${controller.address}, port: ${controller.port}, roles: [controller, db] }`,
      `  compute01: { address: ${compute.address}, port: ${compute.port}, roles: [compute], jump: controller01 }`,
      mariadb.databasesYaml('openstack', 'controller01', PASSWORD_VARIABLE),
    ].join('\n'),
  );
  mkdirSync(path.join(work, 'runbooks'));
  writeFileSync(
    path.join(work, 'runbooks', 'sql-and-jump.yaml'),
    [
      'id: sql-and-jump',
      'title: A query and a command behind a jump host',
      'version: "1"',
      'steps:',
      '  - id: count',
      '    title: Count the instances on compute01',
      '    sql: { database: openstack, query: "SELECT COUNT(*) AS n FROM nova.instances WHERE host = ?", args: ["compute01"] }',
      '    capture: { instances: { json: "[0].n" } }',
      '  - id: on-compute',
      '    title: Say it on compute01',
      '    on: compute01',
      '    run: "echo \\"$(hostname) has {{ captures.instances }} instances\\""',
      '    expect: { stdout: [{ contains: "compute01 has 2 instances" }] }',
      '',
    ].join('\n'),
  );
  service = new ConsoleService({
    auditDir,
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: path.join(work, 'runbooks'),
    environmentsDir: path.join(work, 'environments'),
    operator: 'tester',
    lab: { availability: () => ({ available: false, reason: 'the test starts its own servers' }), start: () => Promise.reject(new Error('no lab here')) },
    connectors: (environment) => {
      connected.push((typeof environment === 'function' ? environment() : environment).name);
      return connectorsFor(environment);
    },
  });
  service.onEvent((event) => events.push(event));
}, 120_000);

afterAll(async () => {
  await service?.close();
  await mariadb?.stop();
  delete process.env[PASSWORD_VARIABLE];
  await lab?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("a run started from the console's service", () => {
  it('runs a sql step through the tunnel and a command on a host behind a jump host, and its journal verifies', async () => {
    const started = await service.dispatch('run:start', { runbookId: 'sql-and-jump', environmentId: envFile, params: {}, onFailure: 'stop', localLocks: false });
    if (!started.ok) throw new Error(`run:start refused: ${started.error.userMessage}`);
    const runId = (started.value as ActiveRun).runId;
    const finished = () => events.find((event) => event.name === 'run:event' && event.payload.runId === runId && event.payload.event.type === 'run.finished');
    await waitFor(() => finished() !== undefined, 60_000, 'the run to finish');

    const records: JournalRecord[] = journal(auditDir, runId);
    const outcome = (step: string) =>
      records.find((record): record is Extract<JournalRecord, { type: 'step.finished' }> => record.type === 'step.finished' && record.step === step);
    expect({ count: outcome('count')?.status, reason: outcome('count')?.reason }).toEqual({ count: 'succeeded', reason: undefined });
    expect({ onCompute: outcome('on-compute')?.status, reason: outcome('on-compute')?.reason }).toEqual({ onCompute: 'succeeded', reason: undefined });
    expect(outcome('count')?.captures).toEqual({ instances: 2 });
    expect(records.at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded' });
    // The database password is masked wherever the run could have written it.
    expect(readFileSync(path.join(auditDir, 'runs', runId, 'journal.jsonl'), 'utf8')).not.toContain(mariadb.password);

    // Host checks, the run and its tunnel share the one set of connections the factory made.
    expect(connected).toEqual(['console-launch']);

    const detail = await service.dispatch('audit:show', { runId });
    if (!detail.ok) throw new Error(detail.error.userMessage);
    expect((detail.value as AuditRunDetail).verification).toMatchObject({ ok: true, finished: true, problems: [] });
  }, 90_000);
});
