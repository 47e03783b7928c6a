/**
 * The real OpenStack lab: a small Zed cloud from Debian bookworm's packages (keystone, placement,
 * glance, neutron-server, nova-api/conductor/scheduler, two nova-compute with nova's in-tree fake
 * driver, MariaDB, RabbitMQ) started by hand on loopback, and three SSH hosts in front of it
 * (controller, compute01, compute02), each a real sshd with its own address, host key and hostname,
 * whose `systemctl` drives the lab's daemons (systemctl.ts). `npm run test:openstack` runs the bundled
 * runbooks against it; docs/openstack-lab.md says how it is built and what was found building it.
 *
 * Needs root (apt, unshare, mount, useradd, sshd). Packages are installed when missing
 * (.ci/install-openstack-packages.sh). State (databases, mnesia, keys, configs) is kept in
 * OPSDECK_OPENSTACK_LAB_STATE (default /var/lib/opsdeck-openstack-lab, root, 0700) and reused by the
 * next start when its bootstrap completed, which makes that start about a minute faster.
 * Nothing of the machine's own /etc changes but the lab user, its sudoers file and mount points.
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureSudoInstalled, writeSudoRule } from '../sshd-lab';
import { adminEnv, API_PORTS, BOOTSTRAP_CATALOG_PY, configFiles, KEYSTONE_URL, PASSWORDS, RABBIT_USER, REGION } from './configs';
import { beamPid, inLab, labBinds, mainPid, neutronWarmUp, portInUse, processTable, readPid, runInLab, signal, startMember, stopMember, waitPort } from './daemons';
import { COMPUTE_HOSTS, LAB_HOST_NAMES, logDir, MEMBER_ORDER, type LabConfig, type LabHostName, type MemberName } from './units';
import { freePort, waitForSshBanner } from '../ports';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');

export const DEFAULT_STATE = '/var/lib/opsdeck-openstack-lab';
export const RUN_DIR = '/run/opsdeck-openstack-lab';
/** The unprivileged operator account on the three hosts (key only, password-less sudo). */
export const LAB_USER = 'opsdeck-ops';
const HOST_ADDRESSES: Record<LabHostName, string> = { controller: '127.0.0.21', compute01: '127.0.0.22', compute02: '127.0.0.23' };
/** The image and flavor every test server boots from. */
export const IMAGE = 'tiny-raw';
export const FLAVOR = 'm1.tiny';
/** Bump when the bootstrap changes: a state bootstrapped by another version is rebuilt. */
const BOOTSTRAP_VERSION = '1';

export interface RealLabHost {
  name: LabHostName;
  address: string;
  port: number;
}

export interface RealOpenStackLab {
  config: LabConfig;
  hosts: RealLabHost[];
  /** The OpsDeck environment file (profile systemd) describing the three hosts and the database. */
  envFile: string;
  keyFile: string;
  knownHostsFile: string;
  /** The variable the environment's database password is read from (set in this process). */
  dbPasswordEnv: string;
  /** How the start went: seconds, and whether it bootstrapped. */
  startup: { seconds: number; bootstrapped: boolean };
  /** `openstack ...` with admin credentials, from this machine (the real client). */
  openstack(...args: string[]): Promise<string>;
  /** `openstack ... -f json`, parsed. */
  openstackJson<T = unknown>(...args: string[]): Promise<T>;
  /** `rabbitmqctl ...` against the lab broker. */
  rabbitmqctl(...args: string[]): Promise<string>;
  /** `mysql -N -B -e SQL` as root on the lab database. */
  mysql(sql: string): Promise<string>;
  /** The main PID of a member, and the broker's own beam.smp. */
  pid(name: MemberName): number | undefined;
  beamPid(): number | undefined;
  /** Start or stop one daemon directly (not through a host). */
  startMember(name: MemberName): Promise<void>;
  stopMember(name: MemberName): Promise<void>;
  /**
   * Makes `systemctl stop` (and restart) of a member's unit fail on the hosts, as a unit whose stop
   * job fails; `false` repairs it. The one fault the lab injects.
   */
  breakStop(name: MemberName, broken: boolean): void;
  /**
   * Starts whatever is stopped, puts a compute left forced down or disabled back in service, and
   * waits until the cloud answers with every service up (each thing it changes is logged).
   */
  heal(): Promise<void>;
  /** Forces up and enables every nova-compute left forced down or disabled; says which it changed. */
  putBackInService(): Promise<string[]>;
  /** Waits until nova reports every service up and both hypervisors. */
  waitAllUp(timeoutMs?: number): Promise<void>;
  /** Stops the hosts and every daemon; the state stays for the next start. */
  stop(): Promise<void>;
}

export interface StartRealLabOptions {
  state?: string;
  log?: (line: string) => void;
}

export async function startRealOpenStackLab(options: StartRealLabOptions = {}): Promise<RealOpenStackLab> {
  const started = Date.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`[openstack-lab] ${line}\n`));
  if (process.getuid?.() !== 0) throw new Error('The real OpenStack lab needs root (apt, unshare, mount, sshd).');
  await ensurePackages(log);

  const state = path.resolve(options.state ?? process.env.OPSDECK_OPENSTACK_LAB_STATE ?? DEFAULT_STATE);
  mkdirSync(RUN_DIR, { recursive: true, mode: 0o755 });
  const previous = readPreviousConfig();
  if (previous) await stopEverything(previous, log);
  await checkApiPortsFree();

  const config: LabConfig = {
    state,
    run: RUN_DIR,
    ports: await choosePorts(state),
    uwsgi: existsSync('/usr/bin/uwsgi_python3') ? '/usr/bin/uwsgi_python3' : '/usr/bin/uwsgi-core',
    node: process.execPath,
  };
  const bootstrapped = stateIsBootstrapped(state);
  if (!bootstrapped && existsSync(state)) {
    log(`${state} holds no complete bootstrap: starting from an empty state`);
    rmSync(state, { recursive: true, force: true });
  }
  prepareDirectories(config);
  writeConfigs(config);
  await bundleShim(config);
  writeFileSync(`${RUN_DIR}/lab.json`, JSON.stringify(config, null, 2) + '\n', { mode: 0o644 });
  writeFileSync(path.join(state, 'ports.json'), JSON.stringify(config.ports) + '\n', { mode: 0o600 });

  const lab = makeLab(config, { seconds: 0, bootstrapped: !bootstrapped }, log);
  try {
    if (!bootstrapped) await initMariaDb(config, log);
    await startMember(config, 'mariadb', { log });
    if (!bootstrapped) await bootstrapDatabases(config, log);
    await ensureOpsdeckDbUser(config);
    if (bootstrapped) await followPortsInCellMappings(config);
    await startMember(config, 'epmd', { log });
    await startMember(config, 'rabbitmq', { log });
    await ensureRabbitUser(config);
    if (!bootstrapped) await bootstrapKeystone(config, log);
    await startMember(config, 'keystone', { log });
    await waitHttp(KEYSTONE_URL, 120_000, 'keystone');
    if (!bootstrapped) await bootstrapServices(config, log);
    await cheapPasswordHashes(config);
    for (const name of MEMBER_ORDER.slice(MEMBER_ORDER.indexOf('placement'))) await startMember(config, name, { log });
    await waitHttp(`http://127.0.0.1:${API_PORTS.nova}/`, 120_000, 'nova-api');
    if (bootstrapped) await clearComputeState(lab, log);
    await lab.waitAllUp(300_000);
    if (!bootstrapped) await bootstrapCloud(lab, config, log);
    await startHosts(lab, config, log);
  } catch (error) {
    log(`start failed: ${(error as Error).message}`);
    await lab.stop().catch(() => undefined);
    throw error;
  }
  lab.startup.seconds = Math.round((Date.now() - started) / 1000);
  log(`lab up in ${lab.startup.seconds} s (${bootstrapped ? 'state reused' : 'bootstrapped'})`);
  return lab;
}

/** Installs the Debian packages when one is missing (the script checks each, quickly). */
async function ensurePackages(log: (line: string) => void): Promise<void> {
  const script = path.join(ROOT, '.ci/install-openstack-packages.sh');
  const { stdout } = await run('bash', [script], { maxBuffer: 64 * 1024 * 1024, timeout: 30 * 60_000 });
  for (const line of stdout.trim().split('\n')) if (line) log(line);
}

function readPreviousConfig(): LabConfig | undefined {
  try {
    return JSON.parse(readFileSync(`${RUN_DIR}/lab.json`, 'utf8')) as LabConfig;
  } catch {
    return undefined;
  }
}

/** A lab left running by an earlier run that died: stopped by its own PID files before anything else. */
async function stopEverything(config: LabConfig, log: (line: string) => void): Promise<void> {
  for (const host of LAB_HOST_NAMES) {
    const pid = hostPid(config, host);
    if (pid) {
      signal(pid, 'SIGTERM');
      rmSync(hostPidFile(config, host), { force: true });
    }
  }
  for (const name of [...MEMBER_ORDER].reverse()) {
    if (readPid(config, name) !== undefined) await stopMember(config, name, { log });
  }
  rmSync(`/etc/sudoers.d/${LAB_USER}`, { force: true });
}

async function checkApiPortsFree(): Promise<void> {
  const busy: string[] = [];
  for (const [service, port] of Object.entries(API_PORTS)) if (await portInUse(port)) busy.push(`${service} ${port}`);
  if (busy.length > 0) {
    throw new Error(
      `The OpenStack lab needs the usual API ports on 127.0.0.1, and something else listens on: ${busy.join(', ')}. ` + 'Stop that (another OpenStack lab?) and start again.',
    );
  }
}

function stateIsBootstrapped(state: string): boolean {
  try {
    return (
      readFileSync(path.join(state, '.bootstrapped'), 'utf8').trim() === BOOTSTRAP_VERSION &&
      existsSync(path.join(state, 'mysql/mysql')) &&
      existsSync(path.join(state, 'etc/keystone/fernet-keys/0'))
    );
  } catch {
    return false;
  }
}

/**
 * MariaDB's, RabbitMQ's and epmd's ports: the previous run's when still free (nova keeps the cell
 * databases' and brokers' URLs in nova_api.cell_mappings), free ones otherwise.
 */
async function choosePorts(state: string): Promise<LabConfig['ports']> {
  let previous: Partial<LabConfig['ports']> = {};
  try {
    previous = JSON.parse(readFileSync(path.join(state, 'ports.json'), 'utf8')) as LabConfig['ports'];
  } catch {
    // First start.
  }
  const pick = async (port: number | undefined) => (port && !(await portInUse(port)) && (await canBind(port)) ? port : freePort());
  return { db: await pick(previous.db), amqp: await pick(previous.amqp), epmd: await pick(previous.epmd), rabbitDist: await pick(previous.rabbitDist) };
}

async function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** nova_api.cell_mappings hold the cells' database and transport URLs, ports included: they follow the lab's. */
async function followPortsInCellMappings(config: LabConfig): Promise<void> {
  await mysqlAsRoot(
    config,
    [
      'UPDATE nova_api.cell_mappings SET',
      `database_connection = REGEXP_REPLACE(database_connection, '@127\\.0\\.0\\.1:[0-9]+/', '@127.0.0.1:${config.ports.db}/'),`,
      `transport_url = REGEXP_REPLACE(transport_url, '@127\\.0\\.0\\.1:[0-9]+/', '@127.0.0.1:${config.ports.amqp}/');`,
    ].join('\n'),
  );
}

function uidOf(user: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${user}:`));
  if (!line) throw new Error(`No ${user} user on this machine: is its package installed?`);
  const fields = line.split(':');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

function prepareDirectories(config: LabConfig): void {
  const { state } = config;
  mkdirSync(state, { recursive: true, mode: 0o700 });
  chmodSync(state, 0o700);
  chownSync(state, 0, 0);
  const mysql = uidOf('mysql');
  const rabbit = uidOf('rabbitmq');
  for (const dir of ['etc', 'keys', 'hosts', 'glance/images', 'glance/staging', 'glance/tasks', 'neutron', 'nova/tmp', 'log']) {
    mkdirSync(path.join(state, dir), { recursive: true, mode: 0o700 });
  }
  for (const host of COMPUTE_HOSTS) mkdirSync(path.join(state, 'nova', host, 'instances'), { recursive: true });
  // The package's own files (paste configs, policies, rootwrap) once, then the lab's configs over them.
  // MariaDB and RabbitMQ get only the lab's files (Debian's my.cnf is a symlink into /etc/alternatives).
  for (const service of ['keystone', 'nova', 'glance', 'placement', 'neutron']) {
    const copy = path.join(state, 'etc', service);
    if (!existsSync(copy)) {
      mkdirSync(`/etc/${service}`, { recursive: true });
      cpSync(`/etc/${service}`, copy, { recursive: true, preserveTimestamps: true });
    }
  }
  for (const service of ['rabbitmq', 'mysql']) mkdirSync(path.join(state, 'etc', service), { recursive: true, mode: 0o755 });
  mkdirSync(path.join(state, 'mysql'), { recursive: true, mode: 0o750 });
  chownSync(path.join(state, 'mysql'), mysql.uid, mysql.gid);
  mkdirSync(path.join(state, 'rabbitmq/mnesia'), { recursive: true, mode: 0o750 });
  chownSync(path.join(state, 'rabbitmq/mnesia'), rabbit.uid, rabbit.gid);
  chownSync(path.join(state, 'etc/rabbitmq'), rabbit.uid, rabbit.gid);
  for (const service of ['nova', 'keystone', 'glance', 'neutron', 'placement', 'rabbitmq', 'mysql']) {
    const dir = path.join(logDir(config), service);
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    if (service === 'mysql') chownSync(dir, mysql.uid, mysql.gid);
    if (service === 'rabbitmq') chownSync(dir, rabbit.uid, rabbit.gid);
  }
  rmSync(path.join(RUN_DIR, 'faults'), { recursive: true, force: true });
  for (const dir of ['pids', 'failed', 'bin', 'faults']) mkdirSync(path.join(RUN_DIR, dir), { recursive: true, mode: 0o755 });
  mkdirSync(path.join(RUN_DIR, 'mysqld'), { recursive: true, mode: 0o755 });
  chownSync(path.join(RUN_DIR, 'mysqld'), mysql.uid, mysql.gid);
  // Mount points for the lab's binds: they exist on a machine with the packages; made if not.
  for (const [, target] of labBinds(config)) mkdirSync(target, { recursive: true });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
}

function writeConfigs(config: LabConfig): void {
  for (const [file, text] of Object.entries(configFiles(config))) {
    const target = path.join(config.state, 'etc', file);
    mkdirSync(path.dirname(target), { recursive: true });
    // Never write through a copied symlink: it may point at the machine's own /etc.
    rmSync(target, { force: true });
    writeFileSync(target, text, { mode: 0o644, flag: 'wx' });
  }
}

/** The shim as one ES module (esbuild, already a dev dependency): starts in ~50 ms, not tsx's ~500. */
async function bundleShim(config: LabConfig): Promise<void> {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [path.join(import.meta.dirname, 'systemctl-cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: path.join(RUN_DIR, 'bin/systemctl.mjs'),
    logLevel: 'warning',
  });
  for (const host of LAB_HOST_NAMES) {
    const wrapper = path.join(RUN_DIR, 'bin', `systemctl-${host}`);
    writeFileSync(
      wrapper,
      `#!/bin/sh\n# systemctl of the lab host ${host} (test/lab/openstack-real/systemctl.ts)\nexec ${config.node} ${RUN_DIR}/bin/systemctl.mjs ${RUN_DIR}/lab.json ${host} "$@"\n`,
      { mode: 0o755 },
    );
    chmodSync(wrapper, 0o755);
  }
}

async function initMariaDb(config: LabConfig, log: (line: string) => void): Promise<void> {
  log('initialising the MariaDB data directory');
  await runInLab(config, ['mariadb-install-db', '--user=mysql', '--datadir=/var/lib/mysql', '--skip-test-db', '--auth-root-authentication-method=socket']);
}

async function mysqlAsRoot(config: LabConfig, sql: string): Promise<string> {
  const { stdout } = await runInLab(config, ['mysql', '-N', '-B', '-e', sql]);
  return stdout;
}

async function bootstrapDatabases(config: LabConfig, log: (line: string) => void): Promise<void> {
  log('creating the databases and their users');
  const statements: string[] = [];
  for (const database of ['keystone', 'placement', 'glance', 'nova_api', 'nova', 'nova_cell0', 'neutron']) {
    const user = database.startsWith('nova') ? 'nova' : database;
    statements.push(`CREATE DATABASE IF NOT EXISTS ${database};`);
    for (const host of ['127.0.0.1', 'localhost']) {
      statements.push(`CREATE USER IF NOT EXISTS '${user}'@'${host}' IDENTIFIED BY '${PASSWORDS.db}';`);
      statements.push(`GRANT ALL PRIVILEGES ON ${database}.* TO '${user}'@'${host}';`);
    }
  }
  await mysqlAsRoot(config, statements.join('\n'));
}

async function ensureOpsdeckDbUser(config: LabConfig): Promise<void> {
  await mysqlAsRoot(
    config,
    [`CREATE USER IF NOT EXISTS 'opsdeck'@'127.0.0.1' IDENTIFIED BY '${PASSWORDS.opsdeckDb}';`, `GRANT SELECT, SHOW VIEW ON *.* TO 'opsdeck'@'127.0.0.1';`].join('\n'),
  );
}

/**
 * Keystone hashes passwords with bcrypt at cost 12 and checks one at every token request, i.e. every
 * `openstack` call: ~0.25 s of CPU each, several seconds on the loaded 2-core machine, which added up
 * to minutes per scenario. The lab's passwords are public constants, so their hashes are rewritten at
 * cost 4 (~1 ms); keystone.conf says the same for new ones. Nothing a runbook or test checks changes.
 */
async function cheapPasswordHashes(config: LabConfig): Promise<void> {
  const hash = async (password: string) => {
    const { stdout } = await run('/usr/bin/python3', ['-c', 'import sys, passlib.hash; print(passlib.hash.bcrypt.using(rounds=4).hash(sys.argv[1]))', password]);
    return stdout.trim();
  };
  const statements = [];
  for (const [users, password] of [
    [['admin'], PASSWORDS.admin],
    [['nova', 'placement', 'glance', 'neutron'], PASSWORDS.service],
  ] as const) {
    const names = users.map((name) => `'${name}'`).join(', ');
    statements.push(
      `UPDATE keystone.password p JOIN keystone.local_user u ON p.local_user_id = u.id SET p.password_hash = '${await hash(password)}' ` +
        `WHERE u.name IN (${names}) AND p.password_hash NOT LIKE '$2b$04$%';`,
    );
  }
  await mysqlAsRoot(config, statements.join('\n'));
}

/** The user every service's transport_url names (a fresh mnesia has only guest). */
async function ensureRabbitUser(config: LabConfig): Promise<void> {
  const ctl = (...args: string[]) => runInLab(config, ['rabbitmqctl', '-q', ...args], { timeoutMs: 60_000 });
  const { stdout } = await ctl('--no-table-headers', 'list_users');
  if (!stdout.split('\n').some((line) => line.split('\t')[0] === RABBIT_USER)) await ctl('add_user', RABBIT_USER, PASSWORDS.rabbit);
  await ctl('set_permissions', '-p', '/', RABBIT_USER, '.*', '.*', '.*');
}

async function manage(config: LabConfig, log: (line: string) => void, ...argv: string[]): Promise<void> {
  const started = Date.now();
  try {
    await runInLab(config, argv, { timeoutMs: 600_000 });
  } catch (error) {
    const failure = error as Error & { stderr?: string; stdout?: string };
    throw new Error(`${argv.join(' ')} failed: ${(failure.stderr || failure.stdout || failure.message).slice(-3000)}`);
  }
  log(`${argv.slice(0, 3).join(' ')}: ${Math.round((Date.now() - started) / 100) / 10} s`);
}

async function bootstrapKeystone(config: LabConfig, log: (line: string) => void): Promise<void> {
  await manage(config, log, 'keystone-manage', 'db_sync');
  await manage(config, log, 'keystone-manage', 'fernet_setup', '--keystone-user', 'root', '--keystone-group', 'root');
  await manage(config, log, 'keystone-manage', 'credential_setup', '--keystone-user', 'root', '--keystone-group', 'root');
  await manage(
    config,
    log,
    'keystone-manage',
    'bootstrap',
    '--bootstrap-password',
    PASSWORDS.admin,
    '--bootstrap-admin-url',
    `${KEYSTONE_URL}/`,
    '--bootstrap-internal-url',
    `${KEYSTONE_URL}/`,
    '--bootstrap-public-url',
    `${KEYSTONE_URL}/`,
    '--bootstrap-region-id',
    REGION,
  );
}

async function bootstrapServices(config: LabConfig, log: (line: string) => void): Promise<void> {
  const script = path.join(config.state, 'bootstrap_catalog.py');
  writeFileSync(script, BOOTSTRAP_CATALOG_PY, { mode: 0o600 });
  await manage(
    config,
    log,
    '/usr/bin/python3',
    script,
    KEYSTONE_URL,
    PASSWORDS.admin,
    PASSWORDS.service,
    REGION,
    `nova=compute=http://127.0.0.1:${API_PORTS.nova}/v2.1`,
    `placement=placement=http://127.0.0.1:${API_PORTS.placement}`,
    `glance=image=http://127.0.0.1:${API_PORTS.glance}`,
    `neutron=network=http://127.0.0.1:${API_PORTS.neutron}`,
  );
  await manage(config, log, 'placement-manage', 'db', 'sync');
  await manage(config, log, 'glance-manage', 'db_sync');
  await manage(config, log, 'neutron-db-manage', '--config-file', '/etc/neutron/neutron.conf', '--config-file', '/etc/neutron/plugins/ml2/ml2_conf.ini', 'upgrade', 'head');
  await manage(config, log, 'nova-manage', 'api_db', 'sync');
  await manage(config, log, 'nova-manage', 'cell_v2', 'map_cell0');
  await manage(config, log, 'nova-manage', 'cell_v2', 'create_cell', '--name=cell1');
  await manage(config, log, 'nova-manage', 'db', 'sync');
}

async function bootstrapCloud(lab: RealOpenStackLab, config: LabConfig, log: (line: string) => void): Promise<void> {
  await manage(config, log, 'nova-manage', 'cell_v2', 'discover_hosts');
  await lab.openstack('flavor', 'create', '--id', '1', '--vcpus', '1', '--ram', '128', '--disk', '1', FLAVOR);
  await lab.openstack('flavor', 'create', '--id', '2', '--vcpus', '1', '--ram', '512', '--disk', '2', 'm1.small');
  const image = path.join(config.state, 'tiny-raw.img');
  writeFileSync(image, Buffer.alloc(8192, 7));
  await lab.openstack('image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--public', '--file', image, IMAGE);
  writeFileSync(path.join(config.state, '.bootstrapped'), `${BOOTSTRAP_VERSION}\n`);
  log('bootstrap done: catalog, cells, flavors, image');
}

/**
 * A run that ended early may have left a compute forced down or disabled (an evacuation does): put
 * back in service, each one logged. Nova refuses to force up a host whose `done` evacuation records
 * its nova-compute has not yet cleaned up at start-up ("Unable to force up host ... as `done`
 * evacuation migration records remain"): asked again until it accepts, within a generous deadline.
 */
async function clearComputeState(lab: RealOpenStackLab, log: (line: string) => void = () => undefined): Promise<string[]> {
  const services = await lab.openstackJson<Array<{ Host: string; Status: string; 'Forced Down': boolean }>>('compute', 'service', 'list', '--long', '--service', 'nova-compute');
  const changed: string[] = [];
  for (const service of services) {
    if (service['Forced Down']) {
      const deadline = Date.now() + 300_000;
      for (;;) {
        try {
          await lab.openstack('compute', 'service', 'set', '--up', service.Host, 'nova-compute');
          break;
        } catch (error) {
          if (!/evacuation migration records remain/.test((error as Error).message) || Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 5000));
        }
      }
      changed.push(`${service.Host} forced up`);
    }
    if (service.Status === 'disabled') {
      await lab.openstack('compute', 'service', 'set', '--enable', service.Host, 'nova-compute');
      changed.push(`${service.Host} enabled`);
    }
  }
  if (changed.length > 0) log(`nova-compute put back in service: ${changed.join(', ')}`);
  return changed;
}

async function waitHttp(url: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function hostPidFile(config: LabConfig, host: LabHostName): string {
  return path.join(config.run, 'pids', `host-${host}.pid`);
}

function hostPid(config: LabConfig, host: LabHostName): number | undefined {
  try {
    const pid = Number(readFileSync(hostPidFile(config, host), 'utf8').trim());
    return pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function ensureLabUser(): Promise<{ uid: number; gid: number; home: string }> {
  try {
    await run('id', ['-u', LAB_USER]);
  } catch {
    await run('useradd', ['--create-home', '--shell', '/bin/bash', '--comment', 'OpsDeck OpenStack lab operator', LAB_USER]);
  }
  const shadow = readFileSync('/etc/shadow', 'utf8')
    .split('\n')
    .find((line) => line.startsWith(`${LAB_USER}:`));
  // '*': no password, yet not locked ('!'), which sshd refuses without PAM.
  if (shadow?.split(':')[1] !== '*') await run('usermod', ['-p', '*', LAB_USER]);
  const { uid, gid } = uidOf(LAB_USER);
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${LAB_USER}:`))!;
  return { uid, gid, home: line.split(':')[5] };
}

async function startHosts(lab: RealOpenStackLab, config: LabConfig, log: (line: string) => void): Promise<void> {
  const user = await ensureLabUser();
  await ensureSudoInstalled();
  // Only while the lab runs: stop() and a start after a crash (stopEverything) take it away again.
  writeSudoRule(LAB_USER);
  await assignHostPorts(lab);
  const keyFile = lab.keyFile;
  if (!existsSync(keyFile)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'opsdeck-openstack-lab', '-f', keyFile]);
  // StrictModes yes: the home and ~/.ssh belong to the user and nobody else may write them.
  const sshDir = path.join(user.home, '.ssh');
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  chmodSync(user.home, 0o750);
  chmodSync(sshDir, 0o700);
  const authorized = path.join(sshDir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(`${keyFile}.pub`, 'utf8'), { mode: 0o600 });
  chmodSync(authorized, 0o600);
  for (const file of [user.home, sshDir, authorized]) chownSync(file, user.uid, user.gid);

  const hostsFile = path.join(config.state, 'hosts', 'etc-hosts');
  const names = LAB_HOST_NAMES.map((host) => `${HOST_ADDRESSES[host]} ${host}`).join('\n');
  writeFileSync(hostsFile, `${readFileSync('/etc/hosts', 'utf8').trimEnd()}\n# OpsDeck OpenStack lab hosts\n${names}\n`, { mode: 0o644 });

  const knownHosts: string[] = [];
  for (const host of lab.hosts) {
    const dir = path.join(config.state, 'hosts', host.name);
    const root = path.join(dir, 'root');
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const hostKey = path.join(dir, 'ssh_host_ed25519_key');
    if (!existsSync(hostKey)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${host.name}`, '-f', hostKey]);
    for (const file of ['.bashrc', '.profile']) {
      const from = existsSync(`/usr/share/base-files/dot${file}`) ? `/usr/share/base-files/dot${file}` : `/etc/skel/${file}`;
      if (existsSync(from)) copyFileSync(from, path.join(root, file));
    }
    const [keyType, keyBase64] = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
    knownHosts.push(`[${host.address}]:${host.port} ${keyType} ${keyBase64}`);
    const sshdConfig = path.join(dir, 'sshd_config');
    writeFileSync(sshdConfig, sshdConfigText(host, hostKey), { mode: 0o600 });
    const extra: Array<[string, string]> = [
      [root, '/root'],
      [path.join(config.run, 'bin', `systemctl-${host.name}`), '/usr/bin/systemctl'],
      [hostsFile, '/etc/hosts'],
    ];
    const [file, ...args] = inLab(config, host.name, ['/usr/sbin/sshd', '-D', '-f', sshdConfig, '-E', path.join(logDir(config), `sshd-${host.name}.log`)], extra);
    const child = spawn(file, args, { detached: true, stdio: 'ignore' });
    child.unref();
    writeFileSync(hostPidFile(config, host.name), `${child.pid}\n`, { mode: 0o644 });
  }
  writeFileSync(lab.knownHostsFile, knownHosts.join('\n') + '\n', { mode: 0o600 });
  for (const host of lab.hosts) await waitBanner(host, 60_000, config);
  writeFileSync(lab.envFile, environmentYaml(lab), { mode: 0o600 });
  log(`hosts up: ${lab.hosts.map((host) => `${host.name} ${host.address}:${host.port}`).join(', ')}`);
}

function sshdConfigText(host: RealLabHost, hostKey: string): string {
  const env =
    host.name === 'controller'
      ? Object.entries(adminEnv())
          .map(([key, value]) => `${key}=${value}`)
          .join(' ')
      : '';
  return [
    `# OpsDeck OpenStack lab host ${host.name}`,
    `ListenAddress ${host.address}:${host.port}`,
    `HostKey ${hostKey}`,
    'PidFile none',
    'AuthorizedKeysFile .ssh/authorized_keys',
    'StrictModes yes',
    'UsePAM no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin no',
    `AllowUsers ${LAB_USER}`,
    'AllowTcpForwarding yes',
    'X11Forwarding no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'MaxStartups 100',
    'MaxSessions 50',
    'LogLevel VERBOSE',
    'Subsystem sftp internal-sftp',
    // The controller is where an operator has keystonerc sourced: admin credentials in every session.
    ...(env ? [`SetEnv ${env}`] : []),
    '',
  ].join('\n');
}

async function waitBanner(host: RealLabHost, timeoutMs: number, config: LabConfig): Promise<void> {
  try {
    await waitForSshBanner(host.address, host.port, timeoutMs);
  } catch (error) {
    const logFile = path.join(logDir(config), `sshd-${host.name}.log`);
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-10).join('\n') : '';
    throw new Error(`The lab host ${host.name}: ${(error as Error).message}:\n${tail}`);
  }
}

function environmentYaml(lab: RealOpenStackLab): string {
  const roles: Record<LabHostName, string> = { controller: 'controller, db, mq', compute01: 'compute', compute02: 'compute' };
  return [
    '# The real OpenStack lab (test/lab/openstack-real): three SSH hosts in front of a Zed cloud on loopback.',
    'name: openstack-lab',
    'lab: true',
    'profile: systemd',
    `known_hosts: ${lab.knownHostsFile}`,
    `defaults: { user: ${LAB_USER}, key: ${lab.keyFile} }`,
    'hosts:',
    ...lab.hosts.map((host) => `  ${host.name}: { address: ${host.address}, port: ${host.port}, roles: [${roles[host.name]}] }`),
    'databases:',
    '  openstack:',
    '    host: controller',
    '    address: 127.0.0.1',
    `    port: ${lab.config.ports.db}`,
    '    user: opsdeck',
    `    password: { env: ${lab.dbPasswordEnv} }`,
    '',
  ].join('\n');
}

function makeLab(config: LabConfig, startup: { seconds: number; bootstrapped: boolean }, log: (line: string) => void): RealOpenStackLab {
  const dbPasswordEnv = 'OPSDECK_OPENSTACK_LAB_DB_PASSWORD';
  process.env[dbPasswordEnv] = PASSWORDS.opsdeckDb;
  const hosts: RealLabHost[] = LAB_HOST_NAMES.map((name) => ({ name, address: HOST_ADDRESSES[name], port: 0 }));
  const openstack = async (...args: string[]) => {
    try {
      const { stdout } = await run('openstack', args, { env: { ...process.env, ...adminEnv() }, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
      return stdout;
    } catch (error) {
      const failure = error as Error & { stderr?: string };
      throw new Error(`openstack ${args.join(' ')} failed: ${failure.stderr?.trim() || failure.message}`);
    }
  };
  const lab: RealOpenStackLab = {
    config,
    hosts,
    envFile: path.join(config.state, 'environment.yaml'),
    keyFile: path.join(config.state, 'keys', 'id_ed25519'),
    knownHostsFile: path.join(config.state, 'keys', 'known_hosts'),
    dbPasswordEnv,
    startup,
    openstack,
    openstackJson: async <T>(...args: string[]) => JSON.parse(await openstack(...args, '-f', 'json')) as T,
    rabbitmqctl: async (...args) => (await runInLab(config, ['rabbitmqctl', ...args], { timeoutMs: 120_000 })).stdout,
    mysql: (sql) => mysqlAsRoot(config, sql),
    pid: (name) => mainPid(config, name),
    beamPid: () => beamPid(config, processTable()),
    startMember: (name) => startMember(config, name, { log }),
    stopMember: (name) => stopMember(config, name, { log }),
    breakStop: (name, broken) => {
      const file = path.join(config.run, 'faults', `${name}.stop`);
      if (broken) writeFileSync(file, 'stop refused (test fault)\n', { mode: 0o644 });
      else rmSync(file, { force: true });
    },
    heal: async () => {
      for (const name of MEMBER_ORDER) await startMember(config, name, { log });
      await ensureRabbitUser(config);
      await neutronWarmUp(config);
      // Before waiting: a compute left forced down never reports up.
      await clearComputeState(lab, log);
      await lab.waitAllUp();
    },
    putBackInService: () => clearComputeState(lab, log),
    waitAllUp: async (timeoutMs = 240_000) => {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        try {
          const services = await lab.openstackJson<Array<{ Binary: string; Host: string; State: string }>>('compute', 'service', 'list');
          const hypervisors = await lab.openstackJson<Array<{ 'Hypervisor Hostname': string; State: string }>>('hypervisor', 'list');
          const down = services.filter((service) => service.State !== 'up').map((service) => `${service.Binary}@${service.Host}`);
          const computes = services.filter((service) => service.Binary === 'nova-compute' && service.State === 'up').length;
          last = `services down: ${down.join(', ') || 'none'}; nova-compute up: ${computes}; hypervisors: ${hypervisors.length}`;
          if (down.length === 0 && computes === COMPUTE_HOSTS.length && services.length >= 4 && hypervisors.length >= COMPUTE_HOSTS.length) return;
        } catch (error) {
          last = (error as Error).message;
        }
        await new Promise((resolve) => setTimeout(resolve, 3000));
      }
      throw new Error(`The cloud did not come up within ${timeoutMs / 1000} s: ${last}`);
    },
    stop: async () => {
      for (const host of LAB_HOST_NAMES) {
        const pid = hostPid(config, host);
        if (pid) signal(pid, 'SIGTERM');
        rmSync(hostPidFile(config, host), { force: true });
      }
      for (const name of [...MEMBER_ORDER].reverse()) await stopMember(config, name, { log });
      rmSync(`/etc/sudoers.d/${LAB_USER}`, { force: true });
    },
  };
  return lab;
}

/** Ports of the three hosts: free ones on their addresses, chosen when the hosts start. */
export async function assignHostPorts(lab: RealOpenStackLab): Promise<void> {
  for (const host of lab.hosts) {
    host.port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, host.address, () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
  }
}

export { waitPort };
