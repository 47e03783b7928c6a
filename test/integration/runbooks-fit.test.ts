/**
 * The bundled runbooks fit the cloud they find (issue 12, parts 3-5): a Debian-like cloud with only
 * controller and compute roles, no novncproxy, cinder, memcached or network agents. The real CLI
 * runs them over real SSH (the lab's sshd hosts) against the stand-ins of test/lab/openstack-standin,
 * whose `systemctl` (the lab's `service`) lists unit files and fails on a unit a host does not have
 * exactly as systemd 252 does.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../electron/core/audit/events';
import { DEBIAN_COMPUTE_UNITS, DEBIAN_CONTROLLER_UNITS, seedState, startOpenStackLab, type OpenStackLab, type StandinState } from '../lab/openstack-lab';
import { startMariaDbLab, type MariaDbLab } from '../lab/mariadb-lab';
import { opsdeck, runIdOf, spawnCli, journal as readJournal, lastFinished as finished } from '../support/cli';

/** A small cloud: one controller (database and broker on it), two computes; no network or storage role. */
const HOSTS = [
  { name: 'controller01', roles: ['controller', 'db', 'mq'] },
  { name: 'compute01', roles: ['compute'] },
  { name: 'compute02', roles: ['compute'] },
];

let lab: OpenStackLab;
let work: string;
let auditDir: string;
/** A stand-in for the endpoints' URLs: answers every request like keystone's version document. */
let api: http.Server;
let apiPort: number;
/** A real MariaDB for the upgrade's database backup (db-backup's row-count manifest). */
let mariadb: MariaDbLab;

beforeAll(async () => {
  api = http.createServer((request, response) => {
    response.writeHead(300, { 'content-type': 'application/json' });
    response.end('{}');
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiPort = (api.address() as AddressInfo).port;
  lab = await startOpenStackLab({ hosts: HOSTS, apiPort });
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-fit-'));
  chmodSync(work, 0o755);
  auditDir = path.join(work, 'audit');
  mariadb = await startMariaDbLab({ dir: work });
  process.env.OPSDECK_FIT_DB_PASSWORD = mariadb.password;
  appendFileSync(lab.envFile, mariadb.databasesYaml('openstack', 'controller01', 'OPSDECK_FIT_DB_PASSWORD'));
}, 120_000);

afterAll(async () => {
  await mariadb?.stop();
  delete process.env.OPSDECK_FIT_DB_PASSWORD;
  await lab?.stop();
  await new Promise((resolve) => api?.close(resolve));
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The Debian cloud: its units installed and running. */
function debianCloud(change: (state: StandinState) => void = () => undefined): void {
  const state = seedState(lab.ssh, apiPort);
  state.unitFiles = { controller01: DEBIAN_CONTROLLER_UNITS, compute01: DEBIAN_COMPUTE_UNITS, compute02: DEBIAN_COMPUTE_UNITS };
  state.units = Object.fromEntries(
    Object.entries(state.unitFiles).map(([host, units]): [string, Record<string, string>] => [host, Object.fromEntries(units.map((unit) => [unit, 'active']))]),
  );
  change(state);
  lab.writeState(state);
}

beforeEach(() => debianCloud());

const journal = (runId: string) => readJournal(auditDir, runId);

function serviceCalls(state: StandinState, action: string) {
  return (state.calls ?? []).filter((call) => call.tool === 'service' && call.argv[0] === action).map((call) => `${call.host} ${call.argv.slice(1).join(' ')}`);
}

function runFinished(records: JournalRecord[]) {
  return records.find((record): record is Extract<JournalRecord, { type: 'run.finished' }> => record.type === 'run.finished')!;
}

/** A nova dump and its manifest as db-backup writes them (the restore never reaches the import here). */
function novaDump(): string {
  const dump = path.join(lab.scratchDir, `opsdeck-nova-${Date.now()}.sql`);
  const text = '-- MariaDB dump 10.19\nCREATE DATABASE `nova`;\n';
  writeFileSync(dump, text, { mode: 0o644 });
  const manifest = {
    database: 'nova',
    sha256: createHash('sha256').update(text).digest('hex'),
    size_bytes: Buffer.byteLength(text),
    schemas: ['nova'],
    row_counts_by_schema: { nova: [] },
  };
  writeFileSync(`${dump}.manifest.json`, JSON.stringify(manifest), { mode: 0o644 });
  return dump;
}

describe('db-restore on a cloud that differs from the one it imagines', () => {
  it('stops only the nova units this cloud runs, and when a unit cannot stop half way the rollback starts exactly the ones it stopped, saying so', async () => {
    debianCloud((state) => {
      state.unstoppable = ['controller01:openstack-nova-conductor'];
    });
    const run = await opsdeck(
      'run',
      'db-restore',
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
      '--on-failure',
      'rollback',
      '-p',
      `dump=${novaDump()}`,
      '-p',
      'project=nova',
      '-p',
      'db_host=controller01',
      '--decide',
      'go=go',
    );
    const records = journal(runIdOf(run.out));
    const state = lab.readState();

    // The plan: discovered, intersected with what nova needs, shown before anything stops.
    const plan = finished(records, 'units-on-controllers');
    expect(plan?.captures).toEqual({
      stop_on_controllers: ['controller01: openstack-nova-api', 'controller01: openstack-nova-scheduler', 'controller01: openstack-nova-conductor'],
      absent_on_controllers: ['controller01: openstack-nova-novncproxy'],
    });
    const question = records.find((record) => record.type === 'step.awaiting' && record.step === 'go') as { prompt?: string } | undefined;
    expect(question?.prompt).toContain('openstack-nova-novncproxy');

    // nova-api and nova-scheduler stopped, then the conductor refused: the step failed half way.
    expect(finished(records, 'stop-controller-services')?.status).toBe('failed');
    expect(serviceCalls(state, 'stop')).toEqual(['controller01 openstack-nova-api', 'controller01 openstack-nova-scheduler', 'controller01 openstack-nova-conductor']);
    // The absent unit was never touched (on the old runbook its stop killed the loop after nova-api was down).
    expect(JSON.stringify(state.calls)).not.toContain('novncproxy');

    // The rollback started exactly what the run had stopped, and the run says so.
    expect(serviceCalls(state, 'start').sort()).toEqual(['controller01 openstack-nova-api', 'controller01 openstack-nova-scheduler']);
    expect(state.units?.controller01).toMatchObject({
      'openstack-nova-api': 'active',
      'openstack-nova-scheduler': 'active',
      'openstack-nova-conductor': 'active',
    });
    expect(finished(records, 'rollback/restart-controller-services')?.captures).toEqual({
      undone: ['controller01: openstack-nova-scheduler', 'controller01: openstack-nova-api'],
    });
    const end = runFinished(records);
    expect(end.status).toBe('rolled-back');
    expect(end.reason).toContain('controller01: openstack-nova-scheduler, controller01: openstack-nova-api');
    expect(run.out).toContain('Run rolled-back');
    // The compute nodes were never reached by a stop, so nothing there was "undone".
    expect(serviceCalls(state, 'stop').some((call) => call.startsWith('compute'))).toBe(false);
    expect(run.code).not.toBe(0);
  }, 180_000);

  it('never claims a rollback when the first stop already failed: nothing was undone, and the run says that', async () => {
    debianCloud((state) => {
      state.unstoppable = ['controller01:openstack-nova-api'];
    });
    const run = await opsdeck(
      'run',
      'db-restore',
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
      '--on-failure',
      'rollback',
      '-p',
      `dump=${novaDump()}`,
      '-p',
      'project=nova',
      '-p',
      'db_host=controller01',
      '--decide',
      'go=go',
    );
    const records = journal(runIdOf(run.out));
    const end = runFinished(records);
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(/Nothing was undone/);
    expect(run.out).not.toContain('Run rolled-back');
    expect(serviceCalls(lab.readState(), 'start')).toEqual([]);
  }, 180_000);
});

describe('full-outage-restoration on a cloud without network or storage nodes', () => {
  const manuals = [
    'p1-internal-network/network-up',
    'p2-storage/storage-up',
    'p2-storage/check/storage-healthy',
    'p3-public-network/public-network-up',
    'p3-public-network/check/public-network-checked',
    'p5-user-vms/guests-started',
    'p5-user-vms/check/guests-checked',
  ].flatMap((step) => ['--manual', `${step}=done`]);

  it('is not refused, starts the units this cloud has in priority order (neutron-server too), skips what it lacks with the reason, and proves the cloud by booting a server', async () => {
    // The outage: every unit down, every nova-compute down.
    debianCloud((state) => {
      state.units = {};
      for (const candidate of state.services) candidate.running = candidate.binary !== 'nova-compute';
    });
    const serversBefore = lab.readState().servers.length;
    const controller = lab.ssh.host('controller01');
    const run = await opsdeck(
      'run',
      'full-outage-restoration',
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
      '-p',
      `controller_address=${controller.address}`,
      '-p',
      `controller_ssh_port=${controller.port}`,
      ...manuals,
    );
    expect(run.code, run.out.slice(-4000)).toBe(0);
    const records = journal(runIdOf(run.out));
    const state = lab.readState();

    // Absent optional roles: skipped with the reason, never refused.
    expect(finished(records, 'p4-compute-hosts/start-network-agents')).toMatchObject({ status: 'skipped', reason: 'no network role in this environment' });
    expect(finished(records, 'p4-compute-hosts/start-cinder-volume')).toMatchObject({ status: 'skipped', reason: 'no storage role in this environment' });

    // Only units the hosts have were started; the others are reported absent, in the journal.
    const starts = serviceCalls(state, 'start');
    expect(starts.every((call) => DEBIAN_CONTROLLER_UNITS.includes(call.split(' ')[1]) || call.endsWith('openstack-nova-compute'))).toBe(true);
    expect(JSON.stringify(state.calls)).not.toMatch(/novncproxy|memcached|cinder|neutron-openvswitch-agent/);
    const output = records
      .filter((record) => record.type === 'step.output')
      .map((record) => (record as { data: string }).data)
      .join('');
    expect(output).toContain('absent on controller01: openstack-nova-novncproxy');
    expect(output).toContain('absent on controller01: memcached');
    expect(output).toContain('absent on compute01: neutron-openvswitch-agent');

    // The priority order: broker and database, keystone, the other APIs (neutron included), the
    // schedulers and conductors, nova-api, then the computes.
    const at = (unit: string) => starts.findIndex((call) => call.endsWith(` ${unit}`));
    const order = [
      ['mariadb', 'apache2'],
      ['rabbitmq-server', 'apache2'],
      ['apache2', 'neutron-server'],
      ['apache2', 'openstack-glance-api'],
      ['neutron-server', 'openstack-nova-conductor'],
      ['openstack-glance-api', 'openstack-nova-scheduler'],
      ['openstack-nova-conductor', 'openstack-nova-api'],
      ['openstack-nova-scheduler', 'openstack-nova-api'],
      ['openstack-nova-api', 'openstack-nova-compute'],
    ];
    for (const [before, after] of order) {
      expect(at(before), `${before} started`).toBeGreaterThanOrEqual(0);
      expect(at(before), `${before} before ${after}`).toBeLessThan(at(after));
    }
    expect(state.services.every((candidate) => candidate.running)).toBe(true);

    // The proof: a server was created, ACTIVE on a compute node, and deleted.
    expect(finished(records, 'boot-proof')?.status).toBe('succeeded');
    const creates = (state.calls ?? []).filter((call) => call.tool === 'openstack' && call.argv[0] === 'server' && call.argv[1] === 'create');
    expect(creates).toHaveLength(1);
    expect(creates[0].argv).toEqual(expect.arrayContaining(['--flavor', 'm1.tiny', '--image', 'tiny-raw', '--nic', 'none', '--wait']));
    expect(output).toMatch(/^compute0[12]\nACTIVE$/m);
    expect(output).toMatch(/opsdeck-proof-\S+ was ACTIVE, and is deleted/);
    expect(state.servers).toHaveLength(serversBefore);
  }, 240_000);
});

describe('control-plane-health', () => {
  it('passes on a cloud just restarted: leftover reply and fanout queues are ignored, and services still coming up are waited for', async () => {
    debianCloud((state) => {
      // Right after a restart: the old clients' reply queues hold messages nobody will read (they
      // expire by themselves), the fanout queues have no consumer yet, and compute02 has not sent
      // its first heartbeat.
      state.queues = [
        ['conductor', 0, 1],
        ['scheduler', 0, 1],
        ['compute.compute01', 0, 1],
        ['compute.compute02', 0, 1],
        ['reply_0b1c2d3e4f5a46b7a8c9d0e1f2a3b4c5', 3, 0],
        ['reply_fb9e26eba8654c97a514cd47c28e4092', 0, 0],
        ['compute_fanout_6f0c1d2e3f4a4b5c8d9e0f1a2b3c4d5e', 1, 0],
      ];
      state.services.find((candidate) => candidate.host === 'compute02')!.running = false;
    });
    const child = spawnCli(['run', 'control-plane-health', '--env', lab.envFile, '--audit-dir', auditDir, '-p', 'settle_time=2m']);
    // compute02 comes up once the health check has seen it down, as it would a minute after a restart.
    const sawDown = () => (lab.readState().calls ?? []).some((call) => call.tool === 'openstack' && call.argv.join(' ').startsWith('compute service list --long'));
    for (let waited = 0; !sawDown() && waited < 120_000; waited += 200) await new Promise((resolve) => setTimeout(resolve, 200));
    await underStandinLock(() =>
      lab.updateState((state) => {
        state.services.find((candidate) => candidate.host === 'compute02')!.running = true;
      }),
    );
    const { code } = await child.exited;
    expect(code, child.out().slice(-3000)).toBe(0);
    const records = journal(runIdOf(child.out()));
    const queues = outputOf(records, 'checks/rabbitmq-queues');
    expect(queues).toContain('ok: compute.compute02 has 1 consumer(s)');
    expect(queues).toContain('4 required queues have consumers; 3 reply/fanout queues ignored');
    expect(outputOf(records, 'checks/services')).toContain('DOWN: nova-compute on compute02');
    expect(finished(records, 'checks/services')?.status).toBe('succeeded');
  }, 180_000);

  it('runs every check and reports every failure, not the first only', async () => {
    debianCloud((state) => {
      state.services.find((candidate) => candidate.host === 'compute01')!.running = false;
      state.queues = [
        ['conductor', 0, 1],
        ['scheduler', 0, 0],
        ['compute.compute02', 0, 1],
      ];
      state.databases = ['information_schema', 'mysql', 'nova'];
    });
    const run = await opsdeck('run', 'control-plane-health', '--env', lab.envFile, '--audit-dir', auditDir, '-p', 'settle_time=2s');
    expect(run.code).toBe(1);
    const records = journal(runIdOf(run.out));
    expect(finished(records, 'checks/services')?.status).toBe('failed');
    expect(finished(records, 'checks/endpoints')?.status).toBe('succeeded');
    expect(finished(records, 'checks/rabbitmq-queues')?.status).toBe('failed');
    expect(finished(records, 'checks/database')?.status).toBe('failed');
    const queues = outputOf(records, 'checks/rabbitmq-queues');
    expect(queues).toContain('NO CONSUMER on scheduler');
    expect(queues).toContain('MISSING queue compute.compute01');
    expect(runFinished(records).status).toBe('failed');
  }, 180_000);
});

/** Changes the state while stand-ins run: under their lock file (standin.mjs acquireLock), so no update is lost. */
async function underStandinLock(change: () => void): Promise<void> {
  const lock = `${lab.stateFile}.lock`;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o666 });
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    change();
  } finally {
    rmSync(lock, { force: true });
  }
}

describe('upgrade on a Debian cloud', () => {
  it('has a dry run: apt only simulates, no service stops, the db syncs run (no-ops), and the storage step is skipped for want of the role', async () => {
    const etc = path.join(lab.scratchDir, `etc-${Date.now()}`);
    mkdirSync(path.join(etc, 'nova'), { recursive: true });
    writeFileSync(path.join(etc, 'nova', 'nova.conf'), '[DEFAULT]\n');
    const before = lab.readState().packages;
    const run = await opsdeck(
      'run',
      'upgrade',
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
      '-p',
      'release=2023.1',
      '-p',
      `backup_dir=${path.join(lab.scratchDir, 'backups')}`,
      '-p',
      `config_dirs=${etc}/nova`,
      '-p',
      'dry_run=true',
      '--decide',
      'clone-tested=tested',
      ...['release-notes', 'user-impact', 'repositories', 'orchestration-telemetry', 'final-steps'].flatMap((step) => ['--manual', `${step}=done`]),
    );
    expect(run.code, run.out.slice(-4000)).toBe(0);
    const records = journal(runIdOf(run.out));
    const state = lab.readState();
    const lines = (state.calls ?? []).map((call) => `${call.host} ${call.tool} ${call.argv.join(' ')}`);

    // The package manager only simulated, on the controller and on each compute node; nothing changed.
    expect(lines.filter((line) => line.includes('packages simulate')).sort()).toEqual([
      'compute01 packages simulate',
      'compute02 packages simulate',
      'controller01 packages simulate',
    ]);
    expect(lines.some((line) => line.includes('packages upgrade'))).toBe(false);
    expect(state.packages).toEqual(before);
    expect(outputOf(records, 'upgrade-controller-packages')).toContain('Inst keystone [2:22.0.2-1] (2:23.0.0-1 Debian:12.8/stable [all])');

    // No service was stopped, started or restarted; each step said what it would do.
    expect(lines.filter((line) => / service (stop|start|restart) /.test(line))).toEqual([]);
    expect(outputOf(records, 'nova-stop')).toContain('dry run: would stop openstack-nova-api on controller01');
    expect(outputOf(records, 'nova-stop')).toContain('absent on controller01: openstack-nova-novncproxy');
    expect(outputOf(records, 'keystone-stop')).toContain('dry run: would stop apache2 on controller01');

    // The db syncs ran for real (no-ops on an unchanged release); cinder's was not attempted: no cinder here.
    for (const sync of ['keystone-manage db_sync', 'glance-manage db_sync', 'nova-manage api_db sync', 'nova-manage db sync', 'neutron-db-manage upgrade heads']) {
      expect(lines, sync).toContain(`controller01 manage ${sync}`);
    }
    expect(lines.some((line) => line.includes('cinder-manage'))).toBe(false);
    expect(outputOf(records, 'cinder-db-sync')).toContain('this cloud does not run openstack-cinder-api: nothing to sync');

    // No storage role: that step is skipped with the reason, the run is not refused.
    expect(finished(records, 'storage-nodes')).toMatchObject({ status: 'skipped', reason: 'no storage role in this environment' });
    expect(readFileSync(path.join(lab.scratchDir, 'backups', runIdOf(run.out), 'versions-controller01.txt'), 'utf8')).toContain('keystone 2:22.0.2-1');
  }, 240_000);
});

function outputOf(records: JournalRecord[], stepPrefix: string): string {
  return records
    .filter((record) => record.type === 'step.output' && record.step.startsWith(stepPrefix))
    .map((record) => (record as Extract<JournalRecord, { type: 'step.output' }>).data)
    .join('');
}
