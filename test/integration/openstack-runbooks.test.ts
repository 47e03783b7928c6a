/**
 * The bundled OpenStack runbooks end to end: the real `opsdeck` CLI (in-process) runs them over SSH
 * against the lab's real sshd hosts, whose `openstack`, `nova`, systemctl, rabbitmqctl, mysql... are
 * the stand-ins of test/lab/openstack-standin (they mirror the real tools' output; see their header).
 * Every test asserts on the stand-in's state afterwards: what nova would now believe.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../electron/core/audit/events';
import { HOSTILE_NAME, seedState, VICTIM_DIR, startOpenStackLab, type OpenStackLab, type StandinState } from '../lab/openstack-lab';
import { startMariaDbLab, type MariaDbLab } from '../lab/mariadb-lab';
import { opsdeck, runIdOf, journal as readJournal, lastFinished as finished } from '../support/cli';

/** The run's journal, read back. */
const journal = (runId: string) => readJournal(auditDir, runId);

const ROOT = path.resolve(import.meta.dirname, '../..');
const OWN_RUNBOOKS = ['compute-maintenance', 'compute-evacuation', 'full-outage-restoration', 'upgrade', 'upgrade-rollback', 'control-plane-health'];

let lab: OpenStackLab;
let work: string;
let auditDir: string;
let api: http.Server;
let apiPort: number;
/** A real MariaDB for db-backup's row-count manifest (taken with mysql2 through the SSH tunnel). */
let mariadb: MariaDbLab;

beforeAll(async () => {
  // A stand-in API for the endpoints' URLs: answers every request like keystone's version document.
  api = http.createServer((request, response) => {
    response.writeHead(request.url?.includes('compute') ? 401 : 300, { 'content-type': 'application/json' });
    response.end('{}');
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiPort = (api.address() as AddressInfo).port;
  lab = await startOpenStackLab({ apiPort });
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-openstack-'));
  auditDir = path.join(work, 'audit');
  // mariadbd runs as the mysql user, which must be able to reach its data directory.
  chmodSync(work, 0o755);
  mariadb = await startMariaDbLab({ dir: work });
  process.env.OPSDECK_TEST_DB_PASSWORD = mariadb.password;
  appendFileSync(lab.envFile, mariadb.databasesYaml('openstack', 'controller01', 'OPSDECK_TEST_DB_PASSWORD'));
});

afterAll(async () => {
  await mariadb?.stop();
  await lab?.stop();
  await new Promise((resolve) => api?.close(resolve));
  rmSync(work, { recursive: true, force: true });
  rmSync(VICTIM_DIR, { recursive: true, force: true });
});

beforeEach(() => {
  lab.writeState(seedState(lab.ssh, apiPort));
});

type Finished = Extract<JournalRecord, { type: 'step.finished' }>;

function outputOf(records: JournalRecord[], stepPrefix: string): string {
  return records
    .filter((record) => record.type === 'step.output' && record.step.startsWith(stepPrefix))
    .map((record) => (record as Extract<JournalRecord, { type: 'step.output' }>).data)
    .join('');
}

function calls(state: StandinState, tool: string, ...argvPrefix: string[]) {
  return (state.calls ?? []).filter((call) => call.tool === tool && argvPrefix.every((word, index) => call.argv[index] === word));
}

function service(state: StandinState, host: string) {
  return state.services.find((candidate) => candidate.binary === 'nova-compute' && candidate.host === host)!;
}

/** A directory the hostile instance name would delete if it were ever run as shell. */
function plantVictim(): string {
  const victim = VICTIM_DIR;
  mkdirSync(victim, { recursive: true });
  chmodSync(victim, 0o777);
  writeFileSync(path.join(victim, 'still-here'), 'if this file goes, an instance name ran as shell\n', { mode: 0o666 });
  return victim;
}

describe('compute-maintenance', () => {
  it('disables with the reason, live-migrates every instance (hostile name too), two at a time, stops, maintains, starts and re-enables', async () => {
    const victim = plantVictim();
    const run = await opsdeck(
      'run',
      'compute-maintenance',
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
      '-p',
      'host=compute01',
      '-p',
      'reason=replace DIMM B2 (CHG1234)',
      '--decide',
      'how=migrate',
      '--confirm',
      'disable-service=compute01',
      '--manual',
      'maintenance=done:DIMM replaced',
    );
    expect(run.err).toBe('');
    expect(run.code, run.out.slice(-4000)).toBe(0);
    const state = lab.readState();

    // Every instance left compute01, by live migration, and is ACTIVE elsewhere.
    expect(state.servers.filter((server) => server.host === 'compute01')).toEqual([]);
    for (const server of state.servers) expect(server.status).toBe('ACTIVE');
    const moved = state.migrations.filter((migration) => migration.type === 'live-migration');
    expect(moved.map((migration) => migration.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(moved.every((migration) => migration.sourceNode === 'compute01' && migration.destNode !== 'compute01')).toBe(true);
    // Bounded concurrency: two migrations overlapped, never more.
    expect(state.maxInflightMigrations).toBe(2);

    // Disabled with the reason, then enabled again (the reason cleared), up, not forced down.
    const disable = calls(state, 'openstack', 'compute', 'service', 'set', '--disable');
    expect(disable).toHaveLength(1);
    expect(disable[0].argv).toEqual(['compute', 'service', 'set', '--disable', '--disable-reason', 'replace DIMM B2 (CHG1234)', 'compute01', 'nova-compute']);
    const records = journal(runIdOf(run.out));
    expect(outputOf(records, 'verify-disabled')).toContain('"Disabled Reason": "replace DIMM B2 (CHG1234)"');
    expect(service(state, 'compute01')).toMatchObject({ disabled: false, disabledReason: null, forcedDown: false, running: true });

    // nova-compute was stopped and started on compute01 itself, through sudo, around the maintenance.
    const stops = calls(state, 'service', 'stop', 'openstack-nova-compute');
    const starts = calls(state, 'service', 'start', 'openstack-nova-compute');
    expect(stops.map((call) => [call.host, call.uid])).toEqual([['compute01', 0]]);
    expect(starts.map((call) => [call.host, call.uid])).toEqual([['compute01', 0]]);
    expect(records.findIndex((record) => record.type === 'operator.action' && record.action === 'manual-done')).toBeGreaterThan(
      records.findIndex((record) => record.type === 'step.finished' && record.step === 'wait-down'),
    );

    // The hostile name: migrated like the others, printed verbatim, never run.
    const hostile = state.servers.find((server) => server.name === HOSTILE_NAME)!;
    expect(hostile.host).not.toBe('compute01');
    expect(calls(state, 'openstack', 'server', 'migrate').some((call) => call.argv.at(-1) === hostile.id)).toBe(true);
    expect(outputOf(records, 'migrate-all')).toContain(`instance ${HOSTILE_NAME} (${hostile.id}): host ${hostile.host}, status ACTIVE`);
    expect(existsSync(path.join(victim, 'still-here'))).toBe(true);
    expect((state.calls ?? []).some((call) => call.argv.some((arg) => arg.includes('uid=')))).toBe(false);
    const perInstance = records.filter((record): record is Finished => record.type === 'step.finished' && /^migrate-all\[\d\]\/verify-moved$/.test(record.step));
    expect(perInstance.map((record) => record.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  }, 90_000);

  it('names the straggler when an instance refuses to move, and the rollback re-enables the host', async () => {
    lab.updateState((state) => {
      state.servers.find((server) => server.name === 'mnt2')!.refuseMigration = true;
    });
    const run = await opsdeck(
      'run',
      'compute-maintenance',
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
      '--on-failure',
      'rollback',
      '-p',
      'host=compute01',
      '-p',
      'drain_deadline=3s',
      '--decide',
      'how=migrate',
      '--confirm',
      'disable-service=compute01',
    );
    expect(run.code).toBe(5);
    const records = journal(runIdOf(run.out));
    const straggler = lab.readState().servers.find((server) => server.name === 'mnt2')!;
    const wait = finished(records, 'wait-empty')!;
    expect(wait.status).toBe('failed');
    expect(wait.reason).toMatch(/deadline of 3s passed/);
    expect(wait.reason).toContain('"Name":"mnt2"');
    expect(wait.reason).toContain(straggler.id);
    // OSC printed Complete for it (nova's pre-check failed asynchronously); the per-instance check caught it.
    const index = records.findIndex((record) => record.type === 'step.command' && record.command.includes(straggler.id) && record.command.includes('migrate'));
    const iteration = (records[index] as Extract<JournalRecord, { type: 'step.command' }>).step.split('/')[0];
    expect(finished(records, `${iteration}/live-migrate`)?.status).toBe('succeeded');
    expect(finished(records, `${iteration}/verify-moved`)?.status).toBe('failed');
    expect(lab.readState().migrations.find((migration) => migration.serverUuid === straggler.id)?.status).toBe('error');

    const state = lab.readState();
    expect(straggler.host).toBe('compute01');
    expect(state.servers.filter((server) => server.host === 'compute01').map((server) => server.name)).toEqual(['mnt2']);
    expect(finished(records, 'rollback/reenable-service')?.status).toBe('succeeded');
    expect(finished(records, 'rollback/restart-compute')).toBeUndefined();
    expect(service(state, 'compute01')).toMatchObject({ disabled: false, disabledReason: null, running: true });
    expect(calls(state, 'service', 'stop')).toEqual([]);
  }, 90_000);

  it('changes nothing when nova-compute on the host is down: the health check stops the run first', async () => {
    lab.updateState((state) => {
      service(state, 'compute01').running = false;
    });
    const run = await opsdeck(
      'run',
      'compute-maintenance',
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
      '-p',
      'host=compute01',
      '--decide',
      'how=migrate',
      '--confirm',
      'disable-service=compute01',
    );
    expect(run.code).toBe(1);
    const records = journal(runIdOf(run.out));
    expect(finished(records, 'health-before/checks/services')?.status).toBe('failed');
    expect(outputOf(records, 'health-before/checks/services')).toContain('DOWN: nova-compute on compute01');
    expect(finished(records, 'check-service')).toBeUndefined();
    expect(calls(lab.readState(), 'openstack', 'compute', 'service', 'set')).toEqual([]);
  }, 60_000);
});

describe('compute-evacuation', () => {
  it('confirms, disables with the reason, forces down, evacuates every instance (hostile name too) and leaves the host disabled', async () => {
    const victim = plantVictim();
    lab.updateState((state) => {
      // compute01 died: its nova-compute stopped reporting.
      service(state, 'compute01').running = false;
    });
    const run = await opsdeck(
      'run',
      'compute-evacuation',
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
      '-p',
      'host=compute01',
      '-p',
      'host_address=192.0.2.1',
      '--decide',
      'confirm-down=down',
      '--confirm',
      'force-down=compute01',
    );
    expect(run.err).toBe('');
    expect(run.code, run.out.slice(-4000)).toBe(0);
    const state = lab.readState();
    const records = journal(runIdOf(run.out));
    expect(finished(records, 'reachability')?.captures.reachability).toMatch(/ssh: no answer from 192\.0\.2\.1/);

    expect(state.servers.filter((server) => server.host === 'compute01')).toEqual([]);
    for (const server of state.servers) expect(server.status).toBe('ACTIVE');
    const evacuations = state.migrations.filter((migration) => migration.type === 'evacuation');
    expect(evacuations).toHaveLength(4);
    expect(evacuations.every((migration) => migration.status === 'done' && migration.sourceNode === 'compute01')).toBe(true);
    expect(service(state, 'compute01')).toMatchObject({ disabled: true, disabledReason: 'host failed; instances evacuated', forcedDown: true });
    // Disabled before forced down, and forced down before the first evacuation.
    const order = (state.calls ?? []).map((call) => `${call.tool} ${call.argv.slice(0, 4).join(' ')}`);
    expect(order.indexOf('openstack compute service set --disable')).toBeLessThan(order.indexOf('openstack compute service set --down'));
    expect(order.indexOf('openstack compute service set --down')).toBeLessThan(order.findIndex((line) => line.startsWith('nova evacuate')));

    const hostile = state.servers.find((server) => server.name === HOSTILE_NAME)!;
    expect(calls(state, 'nova', 'evacuate', hostile.id)).toHaveLength(1);
    expect(outputOf(records, 'evacuate-all')).toContain(`instance ${HOSTILE_NAME} (${hostile.id}): host ${hostile.host}, status ACTIVE`);
    expect(existsSync(path.join(victim, 'still-here'))).toBe(true);
    // The health check afterwards accepts the failed host being down, and nothing else.
    expect(finished(records, 'health-after/checks/services')?.status).toBe('succeeded');
    expect(outputOf(records, 'health-after/checks/services')).toContain('expected: nova-compute on compute01 is down');
  }, 90_000);

  it('moves nothing when the operator is not sure the host is down', async () => {
    const run = await opsdeck(
      'run',
      'compute-evacuation',
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
      '-p',
      'host=compute01',
      '--decide',
      'confirm-down=stop',
      '--confirm',
      'force-down=compute01',
    );
    expect(run.code).toBe(3);
    const state = lab.readState();
    expect(calls(state, 'openstack', 'compute', 'service', 'set')).toEqual([]);
    expect(calls(state, 'nova')).toEqual([]);
    expect(state.servers.filter((server) => server.host === 'compute01')).toHaveLength(4);
  }, 60_000);
});

describe('full-outage-restoration', () => {
  const manuals = [
    'p1-internal-network/network-up',
    'p2-storage/storage-up',
    'p2-storage/check/storage-healthy',
    'p3-public-network/public-network-up',
    'p3-public-network/check/public-network-checked',
    'p5-user-vms/guests-started',
    'p5-user-vms/check/guests-checked',
  ].flatMap((step) => ['--manual', `${step}=done`]);

  function outage(): void {
    lab.updateState((state) => {
      for (const candidate of state.services) candidate.running = candidate.binary !== 'nova-compute';
      state.units = {};
    });
  }

  it('restores phase by phase in priority order, each phase proven by its checks', async () => {
    outage();
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
    expect(run.err).toBe('');
    expect(run.code, run.out.slice(-4000)).toBe(0);
    const state = lab.readState();
    const records = journal(runIdOf(run.out));
    const phases = records.filter((record): record is Finished => record.type === 'step.finished' && /^p\d+-[a-z0-9-]+$/.test(record.step));
    expect(phases.map((record) => record.step.split('-')[0])).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p10', 'p15', 'p20', 'p21', 'p22', 'p98', 'p99', 'p100']);
    expect(phases.every((record) => record.status === 'succeeded')).toBe(true);

    // What started when, as the hosts saw it: the priority order of the table.
    const started = (state.calls ?? []).filter((call) => call.tool === 'service' && call.argv[0] === 'start').flatMap((call) => call.argv.slice(1));
    const at = (unit: string) => started.indexOf(unit);
    // nova-compute (the service) starts after the conductors and nova-api: before them it cannot register.
    for (const [before, after] of [
      ['openstack-cinder-volume', 'rabbitmq-server'],
      ['mariadb', 'httpd'],
      ['openstack-nova-api', 'openstack-nova-compute'],
      ['httpd', 'openstack-cinder-scheduler'],
      ['openstack-cinder-scheduler', 'openstack-glance-api'],
      ['openstack-glance-api', 'openstack-nova-scheduler'],
      ['openstack-nova-scheduler', 'openstack-cinder-api'],
      ['openstack-cinder-api', 'openstack-nova-api'],
    ]) {
      expect(at(before), `${before} before ${after}`).toBeGreaterThanOrEqual(0);
      expect(at(before), `${before} before ${after}`).toBeLessThan(at(after));
    }
    // The database was checked after it started and before keystone; the hypervisors compared with the services.
    const order = (state.calls ?? []).map((call) => `${call.tool} ${call.argv.join(' ')}`);
    expect(order.indexOf('mysqlcheck --all-databases')).toBeGreaterThan(order.indexOf('service start mariadb'));
    expect(order.indexOf('mysqlcheck --all-databases')).toBeLessThan(order.findIndex((line) => line.startsWith('service start httpd')));
    expect(outputOf(records, 'p99-nova-api/check/hypervisors-agree')).toContain('compute03 up');
    expect(finished(records, 'p100-dashboard/check/endpoints-answer')?.status).toBe('succeeded');
    expect(outputOf(records, 'p100-dashboard/check/endpoints-answer')).toMatch(/^300 http:\/\/127\.0\.0\.1:\d+\/identity\/v3$/m);
    expect(state.services.every((candidate) => candidate.running)).toBe(true);
  }, 120_000);

  it('stops at the phase whose checks fail: a damaged table stops priority 10, keystone never starts', async () => {
    outage();
    lab.updateState((state) => {
      state.corruptTables = ['nova.instances'];
    });
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
    expect(run.code).toBe(1);
    const records = journal(runIdOf(run.out));
    expect(finished(records, 'p10-mq-db')?.status).toBe('failed');
    expect(finished(records, 'p10-mq-db/check/database-integrity')?.status).toBe('failed');
    expect(finished(records, 'p15-keystone')).toBeUndefined();
    const state = lab.readState();
    expect((state.calls ?? []).some((call) => call.tool === 'service' && call.argv.includes('httpd'))).toBe(false);
  }, 120_000);
});

describe('upgrade and upgrade-rollback', () => {
  it('records versions, configs and databases, upgrades service by service, then the rollback restores all of it', async () => {
    const etc = path.join(lab.scratchDir, `etc-${Date.now()}`);
    for (const service of ['keystone', 'nova']) {
      mkdirSync(path.join(etc, service), { recursive: true });
      writeFileSync(path.join(etc, service, `${service}.conf`), `[DEFAULT]\n# ${service} before the upgrade\n`);
    }
    const backupDir = path.join(lab.scratchDir, 'backups');
    const upgrade = await opsdeck(
      'run',
      'upgrade',
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
      '-p',
      'release=2023.1',
      '-p',
      `backup_dir=${backupDir}`,
      '-p',
      `config_dirs=${etc}/keystone ${etc}/nova ${etc}/missing`,
      '--decide',
      'clone-tested=tested',
      ...['release-notes', 'user-impact', 'repositories', 'orchestration-telemetry', 'final-steps'].flatMap((step) => ['--manual', `${step}=done`]),
    );
    expect(upgrade.err).toBe('');
    expect(upgrade.code, upgrade.out.slice(-4000)).toBe(0);
    const runId = runIdOf(upgrade.out);
    const backupPath = path.join(backupDir, runId);
    let state = lab.readState();

    // Recorded before anything changed: versions and configs of every node, and the databases.
    expect(readFileSync(path.join(backupPath, 'versions-controller01.txt'), 'utf8')).toContain('keystone 2:22.0.2-1\n');
    expect(readFileSync(path.join(backupPath, 'versions-compute02.txt'), 'utf8')).toBe('nova-common 2:26.2.2-1\nnova-compute 2:26.2.2-1\n');
    for (const host of ['controller01', 'compute01', 'compute02', 'compute03']) expect(statSync(path.join(backupPath, `etc-${host}.tar.gz`)).size).toBeGreaterThan(0);
    const dumps = (state.calls ?? []).filter((call) => call.tool === 'mysqldump');
    expect(dumps).toHaveLength(1);
    const order = (state.calls ?? []).map((call) => `${call.tool} ${call.argv.join(' ')}`);
    const first = (prefix: string) => order.findIndex((line) => line.startsWith(prefix));
    expect(first('mysqldump')).toBeLessThan(first('packages upgrade'));
    expect(first('packages list')).toBeLessThan(first('packages upgrade'));

    // Service by service: stop, db sync, start, verify; the token flush before keystone's db sync.
    const sequence = [
      'service stop httpd',
      'manage keystone-manage token_flush',
      'manage keystone-manage db_sync',
      'service start httpd',
      'service stop openstack-glance-api',
      'manage glance-manage db_sync',
      'service start openstack-glance-api',
      'service stop openstack-nova-api',
      'manage nova-manage api_db sync',
      'manage nova-manage db sync',
      'service start openstack-nova-conductor',
      'service stop neutron-server',
      'manage neutron-db-manage upgrade heads',
      'service start neutron-server',
      'service stop openstack-cinder-api',
      'manage cinder-manage db sync',
      'service start openstack-cinder-scheduler',
      'service restart httpd',
      'manage nova-manage db online_data_migrations',
    ];
    const positions = sequence.map((line) => first(line));
    expect(
      positions.every((position) => position >= 0),
      JSON.stringify(sequence.filter((_, index) => positions[index] < 0)),
    ).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(
      Object.values(state.packages!)
        .flatMap((installed) => Object.values(installed))
        .every((entry) => entry.version === entry.available && entry.configKept),
    ).toBe(true);

    // The upgrade changed a config; then roll back with what the upgrade recorded.
    writeFileSync(path.join(etc, 'keystone', 'keystone.conf'), '[DEFAULT]\n# changed by the upgrade\n');
    // The dump the upgrade's db-backup wrote, as its journal recorded it.
    const upgradeRecords = journal(runId);
    const backup = finished(upgradeRecords, 'backup-databases')?.captures['backup-databases'] as { dump_file?: string } | undefined;
    const dumpFile = backup?.dump_file ?? '';
    expect(dumpFile.startsWith(backupPath)).toBe(true);
    expect(existsSync(dumpFile)).toBe(true);
    expect(existsSync(`${dumpFile}.manifest.json`)).toBe(true);
    const rollback = await opsdeck(
      'run',
      'upgrade-rollback',
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
      // One node after another: the lab's hosts share one file system, where four tars extracting the
      // same files at once collide ("Cannot open: File exists"); real nodes each have their own.
      '-p',
      `backup_path=${backupPath}`,
      '-p',
      `dump_file=${dumpFile}`,
      '-p',
      'restore_concurrency=1',
      '--decide',
      'go=rollback',
      '--confirm',
      'restore-configs=restore configs',
      '--confirm',
      'restore-databases=restore databases',
      '--manual',
      'remove-repositories=done',
    );
    expect(rollback.err).toBe('');
    expect(rollback.code, rollback.out.slice(-4000)).toBe(0);
    state = lab.readState();
    expect(readFileSync(path.join(etc, 'keystone', 'keystone.conf'), 'utf8')).toContain('keystone before the upgrade');
    expect(state.restored?.at(-1)?.firstLine).toMatch(/^-- MariaDB dump/);
    expect(state.packages!.controller01.keystone.version).toBe('2:22.0.2-1');
    expect(state.packages!.compute03['nova-compute'].version).toBe('2:26.2.2-1');
    const records = journal(runIdOf(rollback.out));
    expect(outputOf(records, 'downgrade-packages')).toContain('nova-api 2:26.2.2-1');
    expect(finished(records, 'versions-match')?.status).toBe('succeeded');
    // Stopped before the restores, started after them.
    const after = (state.calls ?? []).map((call) => `${call.tool} ${call.argv.join(' ')}`);
    const last = (prefix: string) => after.findLastIndex((line) => line.startsWith(prefix));
    const restore = after.lastIndexOf('mysql ');
    // (each unit is stopped and started on its own: the upgrade's last service action was its dashboard restart)
    expect(last('service stop httpd')).toBeGreaterThan(last('service restart httpd'));
    expect(last('service stop httpd')).toBeLessThan(restore);
    expect(restore).toBeLessThan(last('packages install-versions'));
    expect(last('packages install-versions')).toBeLessThan(last('service start httpd'));
  }, 300_000);
});

describe('control-plane-health', () => {
  it('passes on a healthy cloud and names what is wrong on a sick one', async () => {
    const healthy = await opsdeck('run', 'control-plane-health', '--env', lab.envFile, '--audit-dir', auditDir);
    expect(healthy.err).toBe('');
    expect(healthy.code, healthy.out.slice(-4000)).toBe(0);
    lab.updateState((state) => {
      service(state, 'compute02').disabled = true;
      service(state, 'compute02').disabledReason = 'firmware';
      service(state, 'compute03').running = false;
      state.queues!.push(['compute.compute03', 7, 0]);
    });
    const sick = await opsdeck('run', 'control-plane-health', '--env', lab.envFile, '--audit-dir', auditDir, '-p', 'settle_time=2s');
    expect(sick.code).toBe(1);
    const records = journal(runIdOf(sick.out));
    expect(outputOf(records, 'checks/services')).toContain('note: nova-compute on compute02 is disabled (firmware)');
    expect(outputOf(records, 'checks/services')).toContain('DOWN: nova-compute on compute03');
    expect(outputOf(records, 'checks/rabbitmq-queues')).toContain('NO CONSUMER on compute.compute03, 7 messages waiting');
  }, 60_000);
});

describe('the bundled runbooks', () => {
  it('all validate, and every runbook this suite owns is run end to end above', async () => {
    const result = await opsdeck('validate', path.join(ROOT, 'runbooks'));
    expect(result.out).toMatch(/runbooks valid/);
    expect(result.code).toBe(0);
    // Runs in file order after the tests above: each runbook of ours has a succeeded run in the lab.
    const list = await opsdeck('audit', 'list', '--audit-dir', auditDir, '--status', 'succeeded');
    for (const id of OWN_RUNBOOKS) expect(list.out, id).toMatch(new RegExp(`succeeded\\s+${id}\\s`));
  });
});
