/**
 * The stand-in against the real thing: every command captured from python-openstackclient 6.0 /
 * nova 26 (test/fixtures/openstack-cli/*.txt, copied from shared/openstack-cli) is replayed against
 * test/lab/openstack-standin/standin.mjs with the same state, and stdout, stderr and the exit code
 * must match byte for byte (request ids aside, which are random in both).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STANDIN_SCRIPT, type StandinServer, type StandinService, type StandinState } from '../lab/openstack-lab';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/openstack-cli');
const work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-standin-'));
const stateFile = path.join(work, 'state.json');

afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Block {
  command: string;
  stdout: string;
  stderr: string;
  exit: number;
}

/** The blocks of a capture file: `$ command`, stdout, optional `# (stderr:)` + stderr, `[exit N]`. */
function blocks(file: string): Block[] {
  const text = readFileSync(path.join(FIXTURES, file), 'utf8');
  const result: Block[] = [];
  const pattern = /^\$ (.*)\n([\s\S]*?)^\[exit (\d+)\]\n/gm;
  for (const match of text.matchAll(pattern)) {
    const [stdout, stderr = ''] = match[2].split(/^# \(stderr:\)\n/m);
    result.push({ command: match[1], stdout, stderr, exit: Number(match[3]) });
  }
  return result;
}

/** Splits a captured command line as sh would (quotes only; the captures use nothing else). */
function words(command: string): { env: Record<string, string>; argv: string[] } {
  const argv: string[] = [];
  for (const match of command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) argv.push(match[1] ?? match[2] ?? match[3]);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(argv[0])) {
    const [name, ...value] = argv.shift()!.split('=');
    env[name] = value.join('=');
  }
  return { env, argv };
}

function standin(argv: string[]): { stdout: string; stderr: string; status: number | null } {
  const [tool, ...rest] = argv;
  const result = spawnSync(process.execPath, [STANDIN_SCRIPT, tool, ...rest], {
    env: { ...process.env, OPSDECK_STANDIN_STATE: stateFile },
    encoding: 'utf8',
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

function withoutRequestIds(text: string): string {
  return text.replace(/req-[0-9a-f-]{36}/g, 'req-<id>');
}

function write(state: StandinState): void {
  writeFileSync(stateFile, JSON.stringify(state));
}

function read(): StandinState {
  return JSON.parse(readFileSync(stateFile, 'utf8')) as StandinState;
}

/** Replays one block: same stdout, stderr and exit code. */
function replay(block: Block): void {
  const { env, argv } = words(block.command);
  if (env.OS_PASSWORD === 'wrong-password') write({ ...read(), auth: 'bad-password' });
  const result = standin(argv);
  expect({ stdout: result.stdout, stderr: withoutRequestIds(result.stderr), exit: result.status }, block.command).toEqual({
    stdout: block.stdout,
    stderr: withoutRequestIds(block.stderr),
    exit: block.exit,
  });
  if (env.OS_PASSWORD) write({ ...read(), auth: 'ok' });
}

/** Sets each service's heartbeat to what the block shows (time passed between the captures). */
function heartbeatsFrom(block: Block): void {
  const state = read();
  for (const service of state.services) {
    const match =
      new RegExp(`${service.id}[^\\n]*?(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d)\\.000000`).exec(block.stdout) ??
      new RegExp(`"ID": "${service.id}"[\\s\\S]*?"Updated At": "([^.]+)\\.000000"`).exec(block.stdout);
    if (match) service.updatedAt = match[1];
  }
  write(state);
}

const PROJECT = '881c7aa66a504285b0bec288e66e0155';

function capturedDeployment(): StandinState {
  const service = (id: string, binary: string, host: string, zone: string): StandinService => ({
    id,
    binary,
    host,
    zone,
    disabled: false,
    disabledReason: null,
    forcedDown: false,
    running: true,
    updatedAt: '2026-11-21T23:54:37',
  });
  const server = (id: string, name: string, index: number, created: string, launched: string, reservation: string): StandinServer => ({
    id,
    name,
    hostname: name,
    status: 'ACTIVE',
    host: 'compute01',
    projectId: PROJECT,
    userId: '5db51ec221d844c1a4cc7be7d509a4e2',
    flavor: { id: 1, name: 'm1.tiny', vcpus: 1, ram: 128, disk: 1 },
    image: { name: 'tiny-raw', id: '271808d7-18a3-4bc3-a39a-401679391358' },
    addresses: {},
    created,
    updated: `${launched}Z`,
    launchedAt: `${launched}.000000`,
    instanceName: `instance-${index.toString(16).padStart(8, '0')}`,
    reservationId: reservation,
    pending: null,
  });
  return {
    now: '2026-11-21T23:56:42',
    auth: 'ok',
    sharedStorage: false,
    migrationDelayMs: 50,
    currentProject: PROJECT,
    services: [
      service('d7c1d27d-4256-470d-a1d8-a8d4c381f2ad', 'nova-scheduler', 'vm', 'internal'),
      service('f35c0ed1-b24d-4f23-afeb-ec3a13a0a4fe', 'nova-conductor', 'vm', 'internal'),
      service('b9fd403e-f52b-4161-a6be-6bc24bcb6f7c', 'nova-compute', 'compute01', 'nova'),
      service('c1eb3e3e-66fd-4826-942c-52e0f69380fd', 'nova-compute', 'compute02', 'nova'),
    ],
    hypervisors: [
      { id: '4add06f9-8d3d-42f5-a0f8-7dcb0d63483a', hostname: 'compute01', type: 'fake', hostIp: '127.0.0.1', vcpus: 1000, memoryMb: 800000 },
      { id: '13f55c03-2f86-4052-bb3c-2eccda32fc4e', hostname: 'compute02', type: 'fake', hostIp: '127.0.0.1', vcpus: 1000, memoryMb: 800000 },
    ],
    servers: [
      server('e229b1a4-81b0-4601-bb34-c1fc7cfa8800', 'mnt1', 8, '2026-11-21T23:52:11Z', '2026-11-21T23:52:15', 'r-7vcmuas3'),
      server('79a78e28-e12c-4a2a-a0c1-ae8be53cbb68', 'mnt2', 9, '2026-11-21T23:52:20Z', '2026-11-21T23:52:24', 'r-lab00009'),
    ],
    migrations: [],
    nextMigrationId: 7,
  };
}

describe('the openstack stand-in matches python-openstackclient 6.0 byte for byte', () => {
  it('compute service list / set (compute-service-list.txt)', () => {
    write(capturedDeployment());
    const captured = blocks('compute-service-list.txt');
    expect(captured.length).toBe(11);
    for (const block of captured) {
      heartbeatsFrom(block);
      replay(block);
    }
    const [compute01, compute02] = read().services.slice(2);
    expect(compute01).toMatchObject({ disabled: false, disabledReason: null });
    expect(compute02).toMatchObject({ forcedDown: false });
  });

  it('server list and server show (server-list.txt, server-show.txt)', () => {
    write(capturedDeployment());
    const captured = [...blocks('server-list.txt'), ...blocks('server-show.txt')];
    expect(captured.length).toBe(4);
    // hostId is nova's sha224(project_id + host): the captured value proves the formula.
    for (const block of captured) replay(block);
  });

  it('hypervisor list, and hypervisor show failing as it does there (hypervisor.txt)', () => {
    write(capturedDeployment());
    const captured = blocks('hypervisor.txt');
    // The two `--os-compute-api-version 2.87 hypervisor show` blocks are not replayed: runbooks must
    // not depend on hypervisor show, so the stand-in implements only its failure.
    const replayed = captured.filter((block) => !block.command.includes('--os-compute-api-version'));
    expect(replayed.length).toBe(5);
    for (const block of replayed) replay(block);
  });

  it('live migration and the migration list (live-migration.txt)', () => {
    write(capturedDeployment());
    const [migrate, listJson, listTable] = blocks('live-migration.txt');
    replay(migrate);
    const after = read();
    expect(after.servers.find((server) => server.name === 'mnt2')?.host).toBe('compute02');
    expect(after.migrations.at(-1)).toMatchObject({ type: 'live-migration', status: 'completed', sourceNode: 'compute01', destNode: 'compute02' });
    // The listing's records, as nova had them then.
    const record = (id: number, uuid: string, server: string, created: string, updated: string) => ({
      id,
      uuid,
      sourceNode: 'compute01',
      destNode: 'compute02',
      sourceCompute: 'compute01',
      destCompute: 'compute02',
      destHost: null,
      status: 'completed',
      serverUuid: server,
      oldFlavor: 1,
      newFlavor: 1,
      type: 'live-migration',
      createdAt: created,
      updatedAt: updated,
    });
    write({
      ...after,
      migrations: [
        record(7, '6a649184-1226-44f9-8e2d-f41bd09bae2d', '79a78e28-e12c-4a2a-a0c1-ae8be53cbb68', '2026-11-21T23:56:33', '2026-11-21T23:56:42'),
        record(8, '2b8a6e84-48b6-48f7-973b-ede1b1e9df07', 'e229b1a4-81b0-4601-bb34-c1fc7cfa8800', '2026-11-21T23:56:50', '2026-11-21T23:56:56'),
      ],
    });
    replay(listJson);
    replay(listTable);
  });

  it('errors: texts on stderr, exit 1 (errors.txt)', () => {
    write(capturedDeployment());
    const captured = blocks('errors.txt');
    expect(captured.length).toBe(5);
    for (const block of captured) replay(block);
  });

  it('mysql -e SHOW DATABASES (mysql.txt)', () => {
    write({
      ...capturedDeployment(),
      databases: ['glance', 'information_schema', 'keystone', 'mysql', 'neutron', 'nova', 'nova_api', 'nova_cell0', 'performance_schema', 'placement', 'sys'],
    });
    const [block] = blocks('mysql.txt');
    replay(block);
  });
});

describe('the stand-in mirrors the documented behaviour the captures do not show', () => {
  it('a live migration nova refuses still prints Complete (OSC --wait polls for ACTIVE), and the server stays', () => {
    write({ ...capturedDeployment(), sharedStorage: false });
    const result = standin(['openstack', 'server', 'migrate', '--live-migration', '--shared-migration', '--wait', 'mnt1']);
    expect(result).toMatchObject({ stdout: 'Complete\n', stderr: '', status: 0 });
    const state = read();
    expect(state.servers.find((server) => server.name === 'mnt1')?.host).toBe('compute01');
    expect(state.migrations.at(-1)).toMatchObject({ status: 'error', error: 'not on shared storage' });
    // With no flag OSC sends block_migration=auto and nova block-migrates.
    expect(standin(['openstack', 'server', 'migrate', '--live-migration', '--wait', 'mnt1']).stdout).toBe('Complete\n');
    expect(read().servers.find((server) => server.name === 'mnt1')?.host).toBe('compute02');
  });

  it('nova evacuate: the deprecation notice, refused while the source service is up, silent on success', () => {
    // The rebuild lasts a minute here, so the server show below (a new process, slow to start on a
    // loaded machine) sees it under way whatever the machine is doing.
    write({ ...capturedDeployment(), evacuateDelayMs: 60_000 });
    const refused = standin(['nova', 'evacuate', 'mnt1']);
    expect(refused.status).toBe(1);
    expect(withoutRequestIds(refused.stderr)).toBe(
      'nova CLI is deprecated and will be removed in a future release\nERROR (BadRequest): Compute service of compute01 is still in use. (HTTP 400) (Request-ID: req-<id>)\n',
    );
    const unknown = standin(['nova', 'evacuate', 'no-such-server']);
    expect(unknown.stderr).toBe("nova CLI is deprecated and will be removed in a future release\nERROR (CommandError): No server with a name or ID of 'no-such-server' exists.\n");
    expect(standin(['openstack', 'compute', 'service', 'set', '--down', 'compute01', 'nova-compute']).status).toBe(0);
    const accepted = standin(['nova', 'evacuate', 'mnt1']);
    expect(accepted).toMatchObject({ stdout: '', stderr: 'nova CLI is deprecated and will be removed in a future release\n', status: 0 });
    const during = JSON.parse(standin(['openstack', 'server', 'show', 'mnt1', '-f', 'json']).stdout) as Record<string, unknown>;
    expect(during).toMatchObject({ status: 'REBUILD', 'OS-EXT-STS:task_state': 'rebuilding', host_status: 'DOWN' });
  });

  it('JSON is written as Python writes it: non-ASCII escaped, so a name arrives unchanged', () => {
    const state = capturedDeployment();
    state.servers[0].name = `web;rm -rf /tmp/x $(id)'q "ü"`;
    write(state);
    const out = standin(['openstack', 'server', 'list', '--all-projects', '--host', 'compute01', '-f', 'json']).stdout;
    expect(out).toContain('"Name": "web;rm -rf /tmp/x $(id)\'q \\"\\u00fc\\""');
    expect((JSON.parse(out) as Array<{ Name: string }>).map((row) => row.Name)).toContain(state.servers[0].name);
    expect(standin(['openstack', 'server', 'list', '--host', 'nowhere', '--all-projects']).stdout).toBe('');
  });
});
