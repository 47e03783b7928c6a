/**
 * The OpenStack lab: the SSH lab (real sshd hosts on loopback) plus the stand-ins of
 * ./openstack-standin/standin.mjs for the tools that cannot run here (openstack, nova, systemctl,
 * rabbitmqctl, mysql, mysqlcheck, mysqldump, *-manage, the package manager), a deployment profile
 * whose words point at them by absolute path (nothing global changes on PATH), and a shared JSON
 * state that tests seed before a run and inspect after it.
 *
 * Privileged runbook steps say `sudo: true`, as they must on real nodes reached as heat-admin or
 * tripleo-admin. So the lab user gets password-less sudo through /etc/sudoers.d/<lab user> (the lab
 * already creates that user on the test machine; the file names only that user).
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureLabSudo, labUserIds, startSshLab, type LabHostOptions, type SshLab } from './sshd-lab';

export const STANDIN_SCRIPT = path.resolve(import.meta.dirname, 'openstack-standin/standin.mjs');

/** The hosts of the OpenStack lab: one controller carrying every control-plane role, three computes. */
export const OPENSTACK_LAB_HOSTS: LabHostOptions[] = [
  { name: 'controller01', roles: ['controller', 'db', 'mq', 'network', 'storage'] },
  { name: 'compute01', roles: ['compute'] },
  { name: 'compute02', roles: ['compute'] },
  { name: 'compute03', roles: ['compute'] },
];

/** The tools of the stand-in that get a wrapper in the lab's bin directory. */
const TOOLS = ['openstack', 'nova', 'service', 'rabbitmqctl', 'mysql', 'mysqlcheck', 'mysqldump', 'manage', 'packages'];

export interface StandinServer {
  id: string;
  name: string;
  hostname: string;
  status: 'ACTIVE' | 'SHUTOFF' | 'PAUSED' | 'ERROR';
  host: string;
  projectId: string;
  userId: string;
  flavor: { id: number; name: string; vcpus: number; ram: number; disk: number };
  image: { name: string; id: string };
  addresses?: Record<string, string[]>;
  created: string;
  updated: string;
  launchedAt: string;
  instanceName: string;
  reservationId: string;
  refuseMigration?: boolean;
  rebuiltFromImage?: boolean;
  pending?: { kind: string; target: string; migrationId: number; completeAt: number } | null;
}

export interface StandinService {
  id: string;
  binary: string;
  host: string;
  zone: string;
  disabled: boolean;
  disabledReason: string | null;
  forcedDown: boolean;
  running: boolean;
  updatedAt: string;
}

export interface StandinMigration {
  id: number;
  uuid: string;
  sourceNode: string;
  destNode: string;
  status: string;
  serverUuid: string;
  type: string;
  error?: string;
}

export interface StandinCall {
  tool: string;
  argv: string[];
  host: string;
  uid: number;
  time: string;
}

export interface StandinState {
  now?: string | null;
  auth?: 'ok' | 'bad-password';
  sharedStorage: boolean;
  migrationDelayMs?: number;
  evacuateDelayMs?: number;
  cpuAllocationRatio?: number;
  ramAllocationRatio?: number;
  currentProject: string;
  novaComputeUnit?: string;
  services: StandinService[];
  hypervisors: Array<{ id: string; hostname: string; type: string; hostIp: string; vcpus: number; memoryMb: number }>;
  servers: StandinServer[];
  migrations: StandinMigration[];
  nextMigrationId?: number;
  endpoints?: Array<{ id: string; region: string; serviceName: string; serviceType: string; enabled: boolean; interface: string; url: string }>;
  queues?: Array<[string, number, number]>;
  databases?: string[];
  tables?: Record<string, string[]>;
  corruptTables?: string[];
  packages?: Record<string, Record<string, { version: string; available?: string; configKept?: boolean }>>;
  units?: Record<string, Record<string, string>>;
  /** The service unit files each host has (`systemctl list-unit-files`); a host without a list accepts any unit. */
  unitFiles?: Record<string, string[]>;
  /** `host:unit` pairs whose stop fails (a unit that cannot stop). */
  unstoppable?: string[];
  restored?: Array<{ args: string[]; bytes: number; firstLine: string }>;
  calls?: StandinCall[];
  inflightMigrations?: number;
  maxInflightMigrations?: number;
}

export interface OpenStackLab {
  ssh: SshLab;
  /** The environment file (the SSH lab's hosts, the lab profile). */
  envFile: string;
  profileFile: string;
  stateFile: string;
  binDir: string;
  /** A directory the lab user can write, for backups. */
  scratchDir: string;
  readState(): StandinState;
  writeState(state: StandinState): void;
  /** Reads, changes and writes the state. */
  updateState(change: (state: StandinState) => void): StandinState;
  stop(): Promise<void>;
}

/** Starts the SSH lab and installs the stand-ins, the lab profile and the environment around it. */
export async function startOpenStackLab(options: { hosts?: LabHostOptions[]; apiPort?: number } = {}): Promise<OpenStackLab> {
  const ssh = await startSshLab({ hosts: options.hosts ?? OPENSTACK_LAB_HOSTS });
  try {
    await ensureLabSudo(ssh.user);
    // Not in the SSH lab's directory: that one is root's alone (0700), and the lab user runs these tools.
    const base = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-openstack-lab-'));
    const binDir = path.join(base, 'bin');
    const scratchDir = path.join(base, 'scratch');
    const owner = labUserIds(ssh.user);
    for (const dir of [base, scratchDir]) {
      mkdirSync(dir, { recursive: true });
      // Written by the lab user (plain steps) and by root (sudo steps), either of which may replace the
      // state file by rename: the lab user's, and nobody else's to write.
      chownSync(dir, owner.uid, owner.gid);
      chmodSync(dir, 0o755);
    }
    // The wrappers run as root (sudo steps): root's alone.
    mkdirSync(binDir, { mode: 0o755 });
    const stateFile = path.join(base, 'state.json');
    for (const tool of TOOLS) {
      const wrapper = path.join(binDir, tool);
      writeFileSync(wrapper, `#!/bin/sh\nOPSDECK_STANDIN_STATE=${stateFile} exec ${process.execPath} ${STANDIN_SCRIPT} ${tool} "$@"\n`);
      chmodSync(wrapper, 0o755);
    }
    const profileFile = path.join(base, 'lab-profile.yaml');
    writeFileSync(profileFile, labProfileYaml(binDir));
    const envFile = path.join(base, 'environment.yaml');
    writeFileSync(envFile, readFileSync(ssh.envFile, 'utf8').replace(/^profile: .*$/m, `profile: ${profileFile}`));

    const lab: OpenStackLab = {
      ssh,
      envFile,
      profileFile,
      stateFile,
      binDir,
      scratchDir,
      readState: () => JSON.parse(readFileSync(stateFile, 'utf8')) as StandinState,
      writeState: (state) => {
        const temporary = `${stateFile}.test.tmp`;
        writeFileSync(temporary, JSON.stringify(state, null, 2), { mode: 0o666 });
        chmodSync(temporary, 0o666);
        renameSync(temporary, stateFile);
      },
      updateState: (change) => {
        const state = lab.readState();
        change(state);
        lab.writeState(state);
        return state;
      },
      stop: async () => {
        await ssh.stop();
        rmSync(base, { recursive: true, force: true });
      },
    };
    lab.writeState(seedState(ssh, options.apiPort));
    return lab;
  } catch (error) {
    await ssh.stop();
    throw error;
  }
}

/**
 * The lab profile: every word of the bundled profiles (same set), pointing at the stand-ins where
 * the real tool cannot run here. Service names are the systemd profile's.
 */
export function labProfileYaml(binDir: string): string {
  const bundled = readFileSync(path.resolve(import.meta.dirname, '../../runbooks/profiles/systemd.yaml'), 'utf8');
  const words = new Map<string, string>();
  for (const line of bundled.split('\n')) {
    const match = /^ {2}([a-z0-9_]+): (.*)$/.exec(line);
    if (match) words.set(match[1], match[2]);
  }
  const bin = (tool: string) => `'${path.join(binDir, tool)}'`;
  const lab: Record<string, string> = {
    service_start: `'${path.join(binDir, 'service')} start'`,
    service_stop: `'${path.join(binDir, 'service')} stop'`,
    service_restart: `'${path.join(binDir, 'service')} restart'`,
    service_is_active: `'${path.join(binDir, 'service')} is-active'`,
    // The bundled word with systemctl replaced by the stand-in, which prints what systemctl prints.
    service_list: (words.get('service_list') ?? '').replace("'systemctl ", `'${path.join(binDir, 'service')} `),
    package_upgrade_simulate: `'${path.join(binDir, 'packages')} simulate'`,
    rabbitmq_start: `'${path.join(binDir, 'service')} start rabbitmq-server'`,
    rabbitmq_stop: `'${path.join(binDir, 'service')} stop rabbitmq-server'`,
    rabbitmq_restart: `'${path.join(binDir, 'service')} restart rabbitmq-server'`,
    rabbitmq_kill: `'${path.join(binDir, 'service')} stop rabbitmq-server'`,
    rabbitmqctl: bin('rabbitmqctl'),
    rabbitmq_plugins: `'true'`,
    mariadb_start: `'${path.join(binDir, 'service')} start mariadb'`,
    mariadb_stop: `'${path.join(binDir, 'service')} stop mariadb'`,
    mariadb_restart: `'${path.join(binDir, 'service')} restart mariadb'`,
    mysql: bin('mysql'),
    mysqldump: bin('mysqldump'),
    mysqlcheck: bin('mysqlcheck'),
    nova_manage: `'${path.join(binDir, 'manage')} nova-manage'`,
    keystone_manage: `'${path.join(binDir, 'manage')} keystone-manage'`,
    glance_manage: `'${path.join(binDir, 'manage')} glance-manage'`,
    neutron_manage: `'${path.join(binDir, 'manage')} neutron-db-manage'`,
    cinder_manage: `'${path.join(binDir, 'manage')} cinder-manage'`,
    openstack: bin('openstack'),
    nova: bin('nova'),
    installed_versions: `'${path.join(binDir, 'packages')} list'`,
    package_upgrade: `'${path.join(binDir, 'packages')} upgrade'`,
    package_install_versions: `'${path.join(binDir, 'packages')} install-versions'`,
  };
  for (const [word, text] of Object.entries(lab)) words.set(word, text);
  return [
    'id: openstack-lab',
    'title: OpsDeck OpenStack lab (stand-ins)',
    'description: |',
    '  The systemd profile with every tool that cannot run in the test lab replaced by the stand-ins',
    '  of test/lab/openstack-standin/standin.mjs (absolute paths; nothing global changes).',
    'words:',
    ...[...words].map(([word, text]) => `  ${word}: ${text}`),
    '',
  ].join('\n');
}

/** The units of an RDO (packstack) controller and compute node: every unit the systemd profile names. */
export const RDO_CONTROLLER_UNITS = [
  'httpd',
  'mariadb',
  'memcached',
  'rabbitmq-server',
  'openstack-glance-api',
  'neutron-server',
  'neutron-l3-agent',
  'neutron-dhcp-agent',
  'neutron-openvswitch-agent',
  'openstack-nova-api',
  'openstack-nova-conductor',
  'openstack-nova-scheduler',
  'openstack-nova-novncproxy',
  'openstack-cinder-api',
  'openstack-cinder-scheduler',
  'openstack-cinder-volume',
];
export const RDO_COMPUTE_UNITS = ['openstack-nova-compute', 'neutron-openvswitch-agent'];
/** A Debian (bookworm, Zed) cloud as the real lab has it: no novncproxy, cinder, memcached or agents. */
export const DEBIAN_CONTROLLER_UNITS = [
  'apache2',
  'mariadb',
  'rabbitmq-server',
  'openstack-glance-api',
  'neutron-server',
  'openstack-nova-api',
  'openstack-nova-conductor',
  'openstack-nova-scheduler',
];
export const DEBIAN_COMPUTE_UNITS = ['openstack-nova-compute'];

const PROJECT = '881c7aa66a504285b0bec288e66e0155';
const USER = '5db51ec221d844c1a4cc7be7d509a4e2';

/** nova's utils.sanitize_hostname: what a display name becomes as the guest's hostname. */
export function sanitizeHostname(name: string): string {
  let hostname = name.length > 63 ? name.slice(0, 63) : name;
  hostname = hostname.replace(/[ _.]/g, '-');
  hostname = hostname.replace(/[^\w.-]+/g, '');
  hostname = hostname.toLowerCase();
  return hostname.replace(/^[.-]+|[.-]+$/g, '');
}

/** A server as nova would have it, on `host`. */
export function makeServer(index: number, name: string, host: string, extra: Partial<StandinServer> = {}): StandinServer {
  const hex = index.toString(16).padStart(2, '0');
  return {
    id: `0000${hex}00-aaaa-4bbb-8ccc-0000000000${hex}`,
    name,
    hostname: sanitizeHostname(name),
    status: 'ACTIVE',
    host,
    projectId: PROJECT,
    userId: USER,
    flavor: { id: 1, name: 'm1.tiny', vcpus: 1, ram: 128, disk: 1 },
    image: { name: 'tiny-raw', id: '271808d7-18a3-4bc3-a39a-401679391358' },
    addresses: {},
    created: `2026-11-21T23:${String(10 + index).padStart(2, '0')}:11Z`,
    updated: `2026-11-21T23:${String(10 + index).padStart(2, '0')}:15Z`,
    launchedAt: `2026-11-21T23:${String(10 + index).padStart(2, '0')}:15.000000`,
    instanceName: `instance-${index.toString(16).padStart(8, '0')}`,
    reservationId: `r-${hex}lab${hex}x`,
    pending: null,
    ...extra,
  };
}

/**
 * The directory the hostile name would delete if it ever ran as shell: this process's own (a fixed
 * /tmp/x was removed by another checkout's run of the same tests on the shared machine).
 */
export const VICTIM_DIR = path.join(os.tmpdir(), `opsdeck-victim-${process.pid}`);
/** The name of the server whose name is shell syntax: it must arrive everywhere as plain text. */
export const HOSTILE_NAME = `web;rm -rf ${VICTIM_DIR} $(id)'q`;

/** A healthy cloud: every service up, four servers on compute01 (one with a hostile name), one on compute02. */
export function seedState(ssh: SshLab, apiPort = 9): StandinState {
  const computes = ssh.hosts.filter((host) => host.roles.includes('compute')).map((host) => host.name);
  const controller = ssh.hosts.find((host) => host.roles.includes('controller'))?.name ?? 'controller01';
  const at = '2026-11-21T23:54:37';
  const service = (index: number, binary: string, host: string, zone: string): StandinService => ({
    id: `5e7f0000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    binary,
    host,
    zone,
    disabled: false,
    disabledReason: null,
    forcedDown: false,
    running: true,
    updatedAt: at,
  });
  const api = `http://127.0.0.1:${apiPort}`;
  const endpoint = (index: number, serviceName: string, serviceType: string, port: string) => ({
    id: `e0000000000000000000000000000${String(index).padStart(3, '0')}`,
    region: 'RegionOne',
    serviceName,
    serviceType,
    enabled: true,
    interface: 'internal',
    url: `${api}/${port}`,
  });
  return {
    now: null,
    auth: 'ok',
    sharedStorage: true,
    migrationDelayMs: 300,
    evacuateDelayMs: 300,
    currentProject: PROJECT,
    novaComputeUnit: 'openstack-nova-compute',
    services: [
      service(1, 'nova-scheduler', controller, 'internal'),
      service(2, 'nova-conductor', controller, 'internal'),
      ...computes.map((host, index) => service(10 + index, 'nova-compute', host, 'nova')),
    ],
    hypervisors: computes.map((host, index) => ({
      id: `4add06f9-8d3d-42f5-a0f8-${String(index + 1).padStart(12, '0')}`,
      hostname: host,
      type: 'fake',
      hostIp: '127.0.0.1',
      vcpus: 4,
      memoryMb: 4096,
    })),
    servers: [
      makeServer(1, 'mnt1', computes[0]),
      makeServer(2, 'mnt2', computes[0]),
      makeServer(3, 'db-primary', computes[0], { flavor: { id: 2, name: 'm1.small', vcpus: 2, ram: 2048, disk: 20 } }),
      makeServer(4, HOSTILE_NAME, computes[0]),
      makeServer(5, 'other-host', computes[1]),
    ],
    migrations: [],
    nextMigrationId: 1,
    endpoints: [
      endpoint(1, 'keystone', 'identity', 'identity/v3'),
      endpoint(2, 'nova', 'compute', 'compute/v2.1'),
      endpoint(3, 'glance', 'image', 'image'),
      endpoint(4, 'placement', 'placement', 'placement'),
    ],
    queues: [
      ['conductor', 0, 1],
      ['scheduler', 0, 1],
      ...computes.map((host): [string, number, number] => [`compute.${host}`, 0, 1]),
      ['reply_fb9e26eba8654c97a514cd47c28e4092', 0, 1],
    ],
    databases: ['glance', 'information_schema', 'keystone', 'mysql', 'neutron', 'nova', 'nova_api', 'nova_cell0', 'performance_schema', 'placement', 'sys'],
    tables: {
      keystone: ['access_rule', 'endpoint', 'project', 'user'],
      nova: ['compute_nodes', 'instances', 'migrations', 'services'],
      nova_api: ['cell_mappings', 'host_mappings', 'request_specs'],
      glance: ['images'],
    },
    packages: Object.fromEntries(
      ssh.hosts.map((host): [string, Record<string, { version: string; available?: string }>] => [
        host.name,
        host.roles.includes('controller')
          ? {
              keystone: { version: '2:22.0.2-1', available: '2:23.0.0-1' },
              'glance-api': { version: '2:25.1.0-1', available: '2:26.0.0-1' },
              'nova-api': { version: '2:26.2.2-1', available: '2:27.0.0-1' },
              'nova-common': { version: '2:26.2.2-1', available: '2:27.0.0-1' },
              'neutron-server': { version: '2:21.0.0-1', available: '2:22.0.0-1' },
            }
          : {
              'nova-compute': { version: '2:26.2.2-1', available: '2:27.0.0-1' },
              'nova-common': { version: '2:26.2.2-1', available: '2:27.0.0-1' },
            },
      ]),
    ),
    units: {},
    unitFiles: Object.fromEntries(ssh.hosts.map((host): [string, string[]] => [host.name, host.roles.includes('controller') ? RDO_CONTROLLER_UNITS : RDO_COMPUTE_UNITS])),
    calls: [],
    inflightMigrations: 0,
    maxInflightMigrations: 0,
  };
}
