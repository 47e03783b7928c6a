/**
 * runbooks/rabbitmq-hang-recovery.yaml against a REAL RabbitMQ node (test/lab/rabbitmq-lab.ts), run
 * through the real CLI over real SSH (the SSH lab), with the lab profile's words driving the node and
 * stand-in OpenStack services that hold real AMQP consumers and, like nova-compute after a long
 * outage, do not reconnect by themselves.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../electron/core/audit/events';
import { startRabbitLab, type RabbitLab } from '../lab/rabbitmq-lab';
import { alive, startServiceLab, type ServiceLab } from '../lab/service-standins';
import { STANDARD_LAB_HOSTS, startSshLab, type SshLab } from '../lab/sshd-lab';
import { opsdeck, runIdOf, journal as readJournal, lastFinished as finished } from '../support/cli';

/** The run's journal, read back. */
const journal = (runId: string) => readJournal(auditDir, runId);

const RUNBOOK = path.resolve(import.meta.dirname, '../../runbooks/rabbitmq-hang-recovery.yaml');
const PASSWORD = "Rabbit-p4ss'w0rd$x";
const CONTROLLER_SERVICES = [
  'nova-conductor',
  'nova-scheduler',
  'nova-api',
  'neutron-server',
  'cinder-scheduler',
  'cinder-api',
  'cinder-volume',
  'neutron-openvswitch-agent',
  'neutron-l3-agent',
  'neutron-dhcp-agent',
];
const COMPUTE_SERVICES = ['nova-compute', 'neutron-openvswitch-agent'];
const EXPECTED_QUEUES = ['conductor', 'scheduler', 'compute.compute01', 'compute.compute02', 'q-plugin', 'cinder-volume'];

let ssh: SshLab;
let services: ServiceLab;
let rabbit: RabbitLab;
let envFile: string;
let auditDir: string;
let passwordFile: string;

beforeAll(async () => {
  [ssh, services] = await Promise.all([
    startSshLab({
      hosts: STANDARD_LAB_HOSTS,
    }),
    startServiceLab(),
  ]);
  rabbit = await startRabbitLab(services);
  expect((await rabbit.ctl('add_user', 'openstack', PASSWORD)).code).toBe(0);
  expect((await rabbit.ctl('set_permissions', 'openstack', '.*', '.*', '.*')).code).toBe(0);
  services.setEnv({ AMQP_URL: rabbit.amqpUrl('openstack', PASSWORD) });
  for (const name of CONTROLLER_SERVICES) await services.service('start', name, 'controller01');
  for (const host of ['compute01', 'compute02']) for (const name of COMPUTE_SERVICES) await services.service('start', name, host);
  envFile = services.writeEnvironment(ssh);
  auditDir = path.join(services.dir, 'audit');
  // The secret from a file, as operators are told to give it (-p would warn that ps shows it).
  passwordFile = path.join(services.dir, 'rabbit-password');
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  await waitUntil(async () => everyQueueConsumed(await rabbit.consumers()), 30_000, 'the stand-in services to consume');
}, 120_000);

afterAll(async () => {
  services?.stopServices();
  await rabbit?.stop();
  await ssh?.stop();
  if (services) rmSync(services.dir, { recursive: true, force: true });
});

describe('rabbitmq-hang-recovery on a real broker', () => {
  it('diagnoses a live broker, turns tracing on, and turns it off again when the run is aborted', async () => {
    // A queue holding messages that nobody consumes: the diagnosis must point it out.
    await rabbit.publish('openstack', PASSWORD, 'cinder-backup', 3);
    const run = await opsdeck(
      'run',
      RUNBOOK,
      '--env',
      envFile,
      '--audit-dir',
      auditDir,
      '-p',
      'broker_host=controller01',
      '--param-file',
      `rabbit_password=${passwordFile}`,
      '-p',
      'expected_queues=conductor,scheduler,q-plugin,cinder-volume',
      '--decide',
      'recover=reconnect',
      '--decide',
      'trace=on',
      // No answer for the manual inspect-trace step: without a terminal the run is aborted there.
    );
    expect(run.out).toContain('STUCK cinder-backup (3 messages, no consumer)');
    expect(run.code).toBe(3);
    const records = journal(runIdOf(run.out));
    logDurations('aborted run', records);
    expect(finished(records, 'status')?.captures).toEqual({ broker_state: 'answering' });
    expect(finished(records, 'restart')?.status).toBe('skipped');
    expect(finished(records, 'ensure-user')?.status).toBe('succeeded');
    expect(finished(records, 'trace-on')?.status).toBe('succeeded');
    expect(commandOutput(records, 'trace-on')).toMatch(/\ttrue/);
    expect(finished(records, 'wait-consumers')?.status).toBe('succeeded');
    expect(finished(records, 'finally/trace-off')?.status).toBe('succeeded');
    expect(records.at(-1)).toMatchObject({ type: 'run.finished', status: 'aborted' });
    const tracing = await rabbit.ctl('-q', '--no-table-headers', 'list_vhosts', 'name', 'tracing');
    expect(tracing.stdout.trim()).toBe('/\tfalse');
    expect(JSON.stringify(records)).not.toContain(PASSWORD);
  }, 120_000);

  it('recovers a hung broker: kill, mnesia reset (moved aside), user and permissions again, consumers back, tracing off', async () => {
    await rabbit.declare('openstack', PASSWORD, ['opsdeck.marker'], true);
    expect((await rabbit.consumers()).has('opsdeck.marker')).toBe(true);
    const hungPid = rabbit.beamPid();
    const consumingBefore = countConsuming('nova-compute', 'compute01');
    rabbit.hang();

    const started = Date.now();
    const run = await opsdeck(
      'run',
      RUNBOOK,
      '--env',
      envFile,
      '--audit-dir',
      auditDir,
      '-p',
      'broker_host=controller01',
      '--param-file',
      `rabbit_password=${passwordFile}`,
      '-p',
      'expected_queues=conductor,scheduler,q-plugin,cinder-volume',
      '--decide',
      'recover=restart',
      '--decide',
      'still-failing=reset',
      '--confirm',
      'reset-mnesia=reset controller01',
      '--decide',
      'trace=on',
      '--manual',
      'inspect-trace=done:read the trace',
    );
    const seconds = (Date.now() - started) / 1000;
    expect(run.err).toBe('');
    expect(run.code, run.out.slice(-3000)).toBe(0);
    const records = journal(runIdOf(run.out));
    logDurations('hang recovery', records);

    // Diagnosed as wedged by the status timeout (exit 75), the diagnostics that need answers skipped.
    expect(finished(records, 'status')?.captures).toEqual({ broker_state: 'wedged' });
    expect(commandOutput(records, 'status')).toMatch(/exit 75|exit 69/);
    expect(finished(records, 'cluster-status')?.status).toBe('skipped');
    // The restart could not stop it; beam.smp was killed and the broker started again.
    expect(finished(records, 'restart')?.status).toBe('failed');
    expect(finished(records, 'kill-beam')?.status).toBe('succeeded');
    expect(alive(hungPid)).toBe(false);
    expect(finished(records, 'partitions')?.status).toBe('succeeded');

    // The broker answers again, on a new beam.smp.
    expect((await rabbit.ctl('-t', '10', 'status')).code).toBe(0);
    expect(rabbit.beamPid()).not.toBe(hungPid);

    // mnesia was reset: the old contents moved aside (not deleted), the marker queue is gone.
    const backup = finished(records, 'reset-mnesia')?.captures?.mnesia_backup as string;
    expect(backup).toMatch(new RegExp(`^${escape(rabbit.mnesiaDir)}-before-reset-\\d{8}T\\d{6}Z$`));
    expect(readdirSync(backup)).toContain(rabbit.nodeName);
    expect(existsSync(path.join(backup, rabbit.nodeName))).toBe(true);
    expect(readdirSync(rabbit.mnesiaDir)).toContain(rabbit.nodeName);
    const queues = await rabbit.consumers();
    expect(queues.has('opsdeck.marker')).toBe(false);

    // The user and its permissions exist again, with the services' password.
    expect((await rabbit.ctl('authenticate_user', 'openstack', PASSWORD)).code).toBe(0);
    const permissions = await rabbit.ctl('-q', '--no-table-headers', 'list_user_permissions', 'openstack');
    expect(permissions.stdout.trim()).toBe('/\t.*\t.*\t.*');

    // Every expected queue has a consumer again: real AMQP consumers of the restarted stand-ins.
    for (const queue of EXPECTED_QUEUES) expect(queues.get(queue), queue).toBeGreaterThan(0);
    expect(countConsuming('nova-compute', 'compute01')).toBe(consumingBefore + 1);
    expect(finished(records, 'wait-consumers')?.status).toBe('succeeded');

    // Tracing was on while the services reconnected, and the finally step turned it off.
    expect(commandOutput(records, 'trace-on')).toMatch(/\ttrue/);
    expect(finished(records, 'finally/trace-off')?.status).toBe('succeeded');
    expect((await rabbit.ctl('-q', '--no-table-headers', 'list_vhosts', 'name', 'tracing')).stdout.trim()).toBe('/\tfalse');
    expect(records.at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded' });
    expect(JSON.stringify(records)).not.toContain(PASSWORD);
    console.log(`hang recovery run: ${seconds.toFixed(1)} s`);
  }, 240_000);
});

// ---- helpers --------------------------------------------------------------------------------

/** One line with each step's duration: where the minutes of a recovery go. */
function logDurations(what: string, records: JournalRecord[]): void {
  const steps = records.flatMap((record) => (record.type === 'step.finished' && record.status !== 'skipped' ? [`${record.step} ${(record.durationMs / 1000).toFixed(1)}s`] : []));
  console.log(`${what}: ${steps.join(', ')}`);
}

function everyQueueConsumed(consumers: Map<string, number>): boolean {
  return EXPECTED_QUEUES.every((queue) => (consumers.get(queue) ?? 0) > 0);
}

/** How many times the stand-in of a service has started consuming (one per connection). */
function countConsuming(service: string, host: string): number {
  return services
    .serviceLog(service, host)
    .split('\n')
    .filter((line) => line.includes(`consuming from compute.${host}`)).length;
}

/** Everything a step printed, as the journal recorded it. */
function commandOutput(records: JournalRecord[], step: string): string {
  return records.flatMap((record) => (record.type === 'step.output' && record.step === step ? [record.data] : [])).join('');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
