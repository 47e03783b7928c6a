/**
 * compute-evacuation's fencing against a real BMC simulator: Debian's ipmi_sim (test/lab/ipmi-lab.ts)
 * on loopback, driven by the real ipmitool, which the runbook runs on the lab's controller (a real
 * sshd host) over SSH, exactly as it would on a real controller. The cloud around it is the OpenStack
 * lab's stand-ins (test/lab/openstack-lab.ts). Three BMCs: one that powers off and says so, one that
 * is silent (stopped), one that lies (accepts the power off, keeps saying on).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../electron/core/audit/events';
import { startIpmiLab, type IpmiLab } from '../lab/ipmi-lab';
import { seedState, startOpenStackLab, type OpenStackLab, type StandinState } from '../lab/openstack-lab';
import { filesUnder, finishedSteps, journal, opsdeck, runIdOf } from '../support/cli';

let lab: OpenStackLab;
let work: string;
let auditDir: string;
const bmcs: IpmiLab[] = [];
let api: http.Server;
let apiPort: number;

beforeAll(async () => {
  // The endpoints' URLs answer like keystone's version document (control-plane-health checks them).
  api = http.createServer((request, response) => {
    response.writeHead(request.url?.includes('compute') ? 401 : 300, { 'content-type': 'application/json' });
    response.end('{}');
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiPort = (api.address() as AddressInfo).port;
  lab = await startOpenStackLab({ apiPort });
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-fencing-'));
  auditDir = path.join(work, 'audit');
}, 120_000);

afterAll(async () => {
  for (const bmc of bmcs) await bmc.dispose();
  await lab?.stop();
  await new Promise((resolve) => api?.close(resolve));
  if (work) rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  lab.writeState(seedState(lab.ssh, apiPort));
  // compute01 died: its nova-compute stopped reporting.
  lab.updateState((state) => {
    state.services.find((service) => service.binary === 'nova-compute' && service.host === 'compute01')!.running = false;
  });
});

/** The lab's environment with compute01's BMC; its password comes from OPSDECK_TEST_BMC_PASSWORD. */
function environmentWithBmc(bmc: IpmiLab, name: string): string {
  const text = readFileSync(lab.envFile, 'utf8');
  const withBmc = text.replace(
    /^( {2}compute01: \{.*)\}$/m,
    (_, head: string) => `${head}, bmc: { address: ${bmc.address}, port: ${bmc.port}, user: ${bmc.user}, password: { env: OPSDECK_TEST_BMC_PASSWORD }, cipher_suite: 3 } }`,
  );
  expect(withBmc).not.toBe(text);
  const file = path.join(path.dirname(lab.envFile), `${name}.yaml`);
  writeFileSync(file, withBmc);
  process.env.OPSDECK_TEST_BMC_PASSWORD = bmc.password;
  return file;
}

async function evacuate(envFile: string, ...extra: string[]) {
  return opsdeck(
    'run',
    'compute-evacuation',
    '--env',
    envFile,
    '--audit-dir',
    auditDir,
    '-p',
    'host=compute01',
    '-p',
    'host_address=192.0.2.1',
    '--confirm',
    'fence=compute01',
    '--decide',
    'confirm-down=down',
    '--confirm',
    'force-down=compute01',
    ...extra,
  );
}

function outputOf(records: JournalRecord[], step: string): string {
  return records
    .filter((record): record is Extract<JournalRecord, { type: 'step.output' }> => record.type === 'step.output' && record.step === step)
    .map((record) => record.data)
    .join('');
}

/** Stand-in calls that change the cloud: a service set or an evacuation. */
function changes(state: StandinState) {
  return (state.calls ?? []).filter((call) => (call.tool === 'openstack' && call.argv.slice(0, 3).join(' ') === 'compute service set') || call.tool === 'nova');
}

/** Nothing in the audit directory (journals, transcripts) holds the BMC password. */
function expectPasswordNowhere(bmc: IpmiLab): void {
  for (const file of filesUnder(auditDir)) expect(readFileSync(file, 'utf8'), file).not.toContain(bmc.password);
}

describe('compute-evacuation fences the failed host through its BMC before anything moves', () => {
  it('powers compute01 off, sees chassis power status off, then disables, forces down and evacuates', async () => {
    const bmc = await startIpmiLab();
    bmcs.push(bmc);
    const run = await evacuate(environmentWithBmc(bmc, 'env-bmc-ok'));
    expect(run.err).toBe('');
    expect(run.code, run.out.slice(-4000)).toBe(0);
    const records = journal(auditDir, runIdOf(run.out));

    // The BMC really switched the machine off, and was asked for its status after that.
    expect(bmc.power()).toBe('off');
    const calls = bmc.calls();
    const off = calls.findIndex((call) => call.action === 'set' && call.power === 'off');
    expect(off).toBeGreaterThan(0);
    expect(calls.slice(off + 1).some((call) => call.action === 'get')).toBe(true);

    const fence = finishedSteps(records, 'fence')[0];
    expect(fence.status).toBe('succeeded');
    expect(fence.captures.fencing).toBe(`fenced: compute01 powered off through its BMC 127.0.0.1; chassis power status: off`);
    expect(outputOf(records, 'fence')).toContain('before: Chassis Power is on');
    // With a BMC the operator's promise is not asked for: the fence replaced it.
    expect(finishedSteps(records, 'confirm-down')[0].status).toBe('skipped');
    expect(finishedSteps(records, 'not-fenced')[0].status).toBe('skipped');

    // Everything that changed the cloud came after the verified power off.
    const state = lab.readState();
    const firstChange = Math.min(...changes(state).map((call) => Date.parse(call.time)));
    const verified = calls.at(-1)!.time;
    expect(firstChange).toBeGreaterThanOrEqual(verified);
    expect(state.servers.filter((server) => server.host === 'compute01')).toEqual([]);

    // The password went on stdin: not in the command the journal shows, nor anywhere on disk.
    const command = records.find((record): record is Extract<JournalRecord, { type: 'step.command' }> => record.type === 'step.command' && record.step === 'fence')!;
    expect(command.command).toContain('ipmitool "$@" chassis power off');
    expectPasswordNowhere(bmc);
  }, 120_000);

  it('stops before any evacuation when the BMC does not answer', async () => {
    const bmc = await startIpmiLab();
    bmcs.push(bmc);
    await bmc.stop();
    const run = await evacuate(environmentWithBmc(bmc, 'env-bmc-silent'));
    expect(run.code, run.out.slice(-4000)).not.toBe(0);
    const records = journal(auditDir, runIdOf(run.out));
    const fence = finishedSteps(records, 'fence')[0];
    expect(fence.status).toBe('failed');
    expect(outputOf(records, 'fence')).toContain('NOT FENCED: the BMC of compute01 (127.0.0.1) does not answer (chassis power status failed). Nothing was moved.');
    expect(finishedSteps(records, 'disable-service')).toEqual([]);
    expect(changes(lab.readState())).toEqual([]);
    expect(lab.readState().servers.filter((server) => server.host === 'compute01')).toHaveLength(4);
    expect(records.at(-1)).toMatchObject({ type: 'run.finished', status: 'failed' });
    expectPasswordNowhere(bmc);
  }, 120_000);

  it('stops before any evacuation when the BMC still says on after the power off', async () => {
    const bmc = await startIpmiLab({ lying: true });
    bmcs.push(bmc);
    const run = await evacuate(environmentWithBmc(bmc, 'env-bmc-lying'), '-p', 'fence_deadline=4');
    expect(run.code, run.out.slice(-4000)).not.toBe(0);
    const records = journal(auditDir, runIdOf(run.out));
    // The power off was asked for and accepted; the BMC kept saying on.
    expect(bmc.calls().some((call) => call.action === 'set' && call.power === 'off')).toBe(true);
    expect(outputOf(records, 'fence')).toContain(
      "NOT FENCED: the BMC of compute01 (127.0.0.1) still reports 'Chassis Power is on' 4 s after the power off: compute01 may still be running its instances. Nothing was moved.",
    );
    expect(finishedSteps(records, 'fence')[0].status).toBe('failed');
    expect(finishedSteps(records, 'disable-service')).toEqual([]);
    expect(changes(lab.readState())).toEqual([]);
    expectPasswordNowhere(bmc);
  }, 120_000);

  it('without a BMC keeps the operator\'s decision and records "not fenced, operator confirmed"', async () => {
    const run = await evacuate(lab.envFile);
    expect(run.code, run.out.slice(-4000)).toBe(0);
    const records = journal(auditDir, runIdOf(run.out));
    expect(finishedSteps(records, 'fence')[0]).toMatchObject({ status: 'skipped' });
    expect(records.some((record) => record.type === 'operator.action' && record.action === 'decide' && record.step === 'confirm-down' && record.choice === 'down')).toBe(true);
    expect(finishedSteps(records, 'not-fenced')[0].captures.fencing).toMatch(
      /^not fenced, operator confirmed: compute01 has no BMC in environment lab; \S+ answered that it is down/,
    );
    expect(lab.readState().servers.filter((server) => server.host === 'compute01')).toEqual([]);
  }, 120_000);
});
