/**
 * The bundled runbooks fit the cloud they find (issue 12, parts 3-5): a Debian-like cloud with only
 * controller and compute roles, no novncproxy, cinder, memcached or network agents. The real CLI
 * runs them over real SSH (the lab's sshd hosts) against the stand-ins of test/lab/openstack-standin,
 * whose `systemctl` (the lab's `service`) lists unit files and fails on a unit a host does not have
 * exactly as systemd 252 does.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../electron/core/audit/events';
import {
  DEBIAN_COMPUTE_UNITS,
  DEBIAN_CONTROLLER_UNITS,
  seedState,
  startOpenStackLab,
  type OpenStackLab,
  type StandinState,
} from '../lab/openstack-lab';
import { opsdeck, runIdOf, journal as readJournal, lastFinished as finished } from '../support/cli';

/** A small cloud: one controller (database and broker on it), two computes; no network or storage role. */
const HOSTS = [
  { name: 'controller01', roles: ['controller', 'db', 'mq'] },
  { name: 'compute01', roles: ['compute'] },
  { name: 'compute02', roles: ['compute'] },
];

let lab: OpenStackLab;
let work: string;
let auditDir: string;

beforeAll(async () => {
  lab = await startOpenStackLab({ hosts: HOSTS });
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-fit-'));
  chmodSync(work, 0o755);
  auditDir = path.join(work, 'audit');
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The Debian cloud: its units installed and running. */
function debianCloud(change: (state: StandinState) => void = () => undefined): void {
  const state = seedState(lab.ssh);
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
      'run', 'db-restore', '--env', lab.envFile, '--audit-dir', auditDir, '--on-failure', 'rollback',
      '-p', `dump=${novaDump()}`, '-p', 'project=nova', '-p', 'db_host=controller01', '--decide', 'go=go',
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
    expect(serviceCalls(state, 'stop')).toEqual([
      'controller01 openstack-nova-api', 'controller01 openstack-nova-scheduler', 'controller01 openstack-nova-conductor',
    ]);
    // The absent unit was never touched (on the old runbook its stop killed the loop after nova-api was down).
    expect(JSON.stringify(state.calls)).not.toContain('novncproxy');

    // The rollback started exactly what the run had stopped, and the run says so.
    expect(serviceCalls(state, 'start').sort()).toEqual(['controller01 openstack-nova-api', 'controller01 openstack-nova-scheduler']);
    expect(state.units?.controller01).toMatchObject({
      'openstack-nova-api': 'active', 'openstack-nova-scheduler': 'active', 'openstack-nova-conductor': 'active',
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
      'run', 'db-restore', '--env', lab.envFile, '--audit-dir', auditDir, '--on-failure', 'rollback',
      '-p', `dump=${novaDump()}`, '-p', 'project=nova', '-p', 'db_host=controller01', '--decide', 'go=go',
    );
    const records = journal(runIdOf(run.out));
    const end = runFinished(records);
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(/Nothing was undone/);
    expect(run.out).not.toContain('Run rolled-back');
    expect(serviceCalls(lab.readState(), 'start')).toEqual([]);
  }, 180_000);
});
