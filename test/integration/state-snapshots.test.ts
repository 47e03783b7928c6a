/**
 * State snapshots on a real drain: compute-maintenance empties compute01 through the real CLI over
 * SSH on the OpenStack lab's sshd hosts (the cloud is the stand-ins of test/lab/openstack-standin,
 * whose outputs mirror the real clients'). The environment asks for snapshots; the run journals one
 * at its start and one at its end, `audit verify` checks them in the hash chain, and the report says
 * which instances moved where and what happened to nova-compute.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActiveRun } from '../../electron/api/contract';
import { ConsoleService } from '../../electron/app/service';
import type { JournalRecord } from '../../electron/core/audit/events';
import { BUNDLED_RUNBOOKS_DIR } from '../../electron/core/inventory/environment';
import { seedState, startOpenStackLab, type OpenStackLab } from '../lab/openstack-lab';
import { journal, opsdeck, runIdOf } from '../support/cli';

let lab: OpenStackLab;
let work: string;
let auditDir: string;
let api: http.Server;
let envFile: string;

beforeAll(async () => {
  // The endpoints' URLs answer like keystone's version document (control-plane-health checks them).
  api = http.createServer((request, response) => {
    response.writeHead(request.url?.includes('compute') ? 401 : 300, { 'content-type': 'application/json' });
    response.end('{}');
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const apiPort = (api.address() as AddressInfo).port;
  lab = await startOpenStackLab({ apiPort });
  apiPortNumber = apiPort;
  seed();
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-snapshots-'));
  auditDir = path.join(work, 'audit');
  envFile = path.join(path.dirname(lab.envFile), 'environment-snapshots.yaml');
  writeFileSync(envFile, readFileSync(lab.envFile, 'utf8').replace(/^lab: true$/m, 'lab: true\nsnapshots: true'));
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  await new Promise((resolve) => api?.close(resolve));
  if (work) rmSync(work, { recursive: true, force: true });
});

type Snapshot = Extract<JournalRecord, { type: 'run.snapshot' }>;

let apiPortNumber = 9;

/** A running cloud: the lab's seed, with every unit each host has active. */
function seed(): void {
  const state = seedState(lab.ssh, apiPortNumber);
  state.units = Object.fromEntries(Object.entries(state.unitFiles ?? {}).map(([host, units]) => [host, Object.fromEntries(units.map((unit) => [unit, 'active']))]));
  lab.writeState(state);
}

describe('state snapshots of a drain (compute-maintenance on compute01)', () => {
  let runId: string;
  let records: JournalRecord[];

  it('journals a snapshot at the start (before the first step) and at the end (before run.finished)', async () => {
    const run = await opsdeck(
      'run',
      'compute-maintenance',
      '--env',
      envFile,
      '--audit-dir',
      auditDir,
      '-p',
      'host=compute01',
      '-p',
      'reason=replace DIMM B2',
      '--decide',
      'how=migrate',
      '--confirm',
      'disable-service=compute01',
      '--manual',
      'maintenance=done:DIMM replaced',
    );
    expect(run.err).toBe('');
    expect(run.code, run.out.slice(-4000)).toBe(0);
    runId = runIdOf(run.out);
    records = journal(auditDir, runId);
    const snapshots = records.filter((record): record is Snapshot => record.type === 'run.snapshot');
    expect(snapshots.map((snapshot) => snapshot.label)).toEqual(['start', 'end']);
    const types = records.map((record) => record.type);
    expect(types.indexOf('run.snapshot')).toBeLessThan(types.indexOf('step.started'));
    expect(types.at(-2)).toBe('run.snapshot');
    expect(types.at(-1)).toBe('run.finished');

    // The probes ran where a runbook's steps would, and the stand-in answered them as the real clients do.
    const start = snapshots[0];
    const byId = (id: string) => start.probes.filter((probe) => probe.id === id);
    expect(byId('nova_services')[0]).toMatchObject({ host: 'controller01', exitCode: 0 });
    // One `server list --all-projects --long -f json`: every server with its host.
    expect((JSON.parse(byId('instances')[0].stdout) as Array<{ Host: string }>).map((server) => server.Host)).toContain('compute01');
    expect(byId('rabbitmq_queues')[0].exitCode).toBe(0);
    // Unit states on the hosts the run touches: the controller and compute01, nowhere else.
    expect(
      byId('units')
        .map((probe) => probe.host)
        .sort(),
    ).toEqual(['compute01', 'controller01']);
    expect(byId('units').find((probe) => probe.host === 'compute01')!.stdout).toContain('openstack-nova-compute active');
  }, 120_000);

  it('the report names the moved instances and the service changes; audit verify checks the snapshots in the chain', async () => {
    const report = await opsdeck('audit', 'export', runId, '--format', 'md', '--audit-dir', auditDir);
    expect(report.code, report.err).toBe(0);
    const section = report.out.slice(report.out.indexOf('## What changed (state snapshots)'));
    expect(section).toMatch(/^## What changed \(state snapshots\)/);
    // Four instances left compute01 (the stand-in's scheduler spreads them over compute02 and compute03).
    const moved = [...section.matchAll(/^- (\d+) instances? moved compute01 → (compute0\d): (.*)$/gm)];
    expect(moved.reduce((sum, match) => sum + Number(match[1]), 0)).toBe(4);
    const names = moved.flatMap((match) => match[3].split(', '));
    for (const name of ['mnt1', 'mnt2', 'db-primary']) expect(names).toContain(name);
    // The service was disabled and enabled again, its unit stopped and started: the same at both ends.
    expect(section).not.toMatch(/nova-compute on compute01:/);
    // The database probe asks for wsrep status, which the stand-in's mysql does not implement: not compared, said so.
    expect(section).toMatch(/database cluster \(controller01\): failed at start \(exit 64\)/);

    const verified = await opsdeck('audit', 'verify', runId, '--audit-dir', auditDir);
    expect(verified.code, verified.out + verified.err).toBe(0);

    // A snapshot edited afterwards breaks the chain.
    const file = path.join(auditDir, 'runs', runId, 'journal.jsonl');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('"label":"start"', '"label":"begin"'));
    const tampered = await opsdeck('audit', 'verify', runId, '--audit-dir', auditDir);
    expect(tampered.code).not.toBe(0);
    writeFileSync(file, original);
  }, 60_000);

  it('a failed host: nova-compute forced down and the instances evacuated, as sentences', async () => {
    lab.updateState((state) => {
      state.services.find((service) => service.binary === 'nova-compute' && service.host === 'compute02')!.running = false;
    });
    const run = await opsdeck(
      'run',
      'compute-evacuation',
      '--env',
      envFile,
      '--audit-dir',
      auditDir,
      '-p',
      'host=compute02',
      '-p',
      'host_address=192.0.2.1',
      '--decide',
      'confirm-down=down',
      '--confirm',
      'force-down=compute02',
    );
    expect(run.code, run.out.slice(-4000)).toBe(0);
    const report = await opsdeck('audit', 'export', runIdOf(run.out), '--format', 'md', '--audit-dir', auditDir);
    const section = report.out.slice(report.out.indexOf('## What changed (state snapshots)'));
    expect(section).toContain('- nova-compute on compute02: enabled/down → disabled/down (forced), reason "host failed; instances evacuated"');
    expect(section).toMatch(/^- \d+ instances? moved compute02 → compute0[13]: /m);
  }, 120_000);

  it('the operator takes one during the run, at the step it waits at (run:snapshot)', async () => {
    const service = new ConsoleService({
      auditDir,
      bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
      userRunbooksDir: path.join(work, 'runbooks'),
      environmentsDir: path.join(work, 'environments'),
      environmentFiles: [envFile],
      lab: { availability: () => ({ available: false, reason: 'not needed' }), start: () => Promise.reject(new Error('no lab')) },
    });
    seed();
    try {
      const started = await service.dispatch('run:start', { runbookId: 'compute-maintenance', environmentId: envFile, params: { host: 'compute03' }, onFailure: 'stop' });
      expect(started.ok, JSON.stringify(started)).toBe(true);
      const runId = (started as { ok: true; value: { runId: string } }).value.runId;
      const waiting = async () => {
        const list = await service.dispatch('run:list', {});
        const run = list.ok ? (list.value as ActiveRun[]).find((candidate) => candidate.runId === runId) : undefined;
        return run?.events.some((envelope) => envelope.event.type === 'step.awaiting' && envelope.event.step === 'disable-service');
      };
      const deadline = Date.now() + 60_000;
      while (!(await waiting())) {
        if (Date.now() > deadline) throw new Error('the run never came to wait at disable-service');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(await service.dispatch('run:snapshot', { runId, label: 'before the drain' })).toEqual({ ok: true, value: { taken: true } });
      expect(await service.dispatch('run:snapshot', { runId, label: '' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
      await service.dispatch('run:abort', { runId, reason: 'test over', rollback: false });
      const end = Date.now() + 60_000;
      while (!journal(auditDir, runId).some((record) => record.type === 'run.finished')) {
        if (Date.now() > end) throw new Error('the run did not finish');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const snapshots = journal(auditDir, runId).filter((record): record is Snapshot => record.type === 'run.snapshot');
      expect(snapshots.map((snapshot) => [snapshot.label, snapshot.step])).toEqual([
        ['start', undefined],
        ['before the drain', 'disable-service'],
        ['end', undefined],
      ]);
      // The console's audit view gets the diff of the first and last ones (nothing moved: aborted before the drain).
      const detail = await service.dispatch('audit:show', { runId });
      expect(detail).toMatchObject({ ok: true, value: { stateChanges: { from: 'start', to: 'end', changes: [] } } });
    } finally {
      await service.close();
    }
  }, 120_000);
});
