/**
 * Starting and stopping the real lab's daemons by hand (no systemd here), shared by the lab and the
 * `systemctl` shim of its SSH hosts.
 *
 * Every daemon runs in its own session and process group (its PID is in <run>/pids/<member>.pid)
 * and in its own mount and UTS namespace: the lab's configuration directories are bind-mounted over
 * the standard paths (/etc/nova, /etc/keystone, /etc/rabbitmq, /etc/mysql, /var/lib/mysql,
 * /run/mysqld, /var/lib/rabbitmq/mnesia, /var/log/<service>), so the daemons, `nova-manage`,
 * `rabbitmqctl`, `mysql` and the rest find the lab where a packaged cloud has them, and the
 * machine's own /etc and services are untouched. The hostname is the lab host the daemon belongs to.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { API_PORTS, KEYSTONE_URL, PASSWORDS } from './configs';
import { logDir, member, type LabConfig, type LabHostName, type MemberName } from './units';

const run = promisify(execFile);

/** The bind mounts every lab process sees: [lab directory, standard path]. */
export function labBinds(config: LabConfig): Array<[string, string]> {
  const etc = `${config.state}/etc`;
  const log = logDir(config);
  return [
    ...['keystone', 'nova', 'glance', 'placement', 'neutron', 'rabbitmq', 'mysql'].map((service): [string, string] => [`${etc}/${service}`, `/etc/${service}`]),
    [`${config.state}/mysql`, '/var/lib/mysql'],
    [`${config.run}/mysqld`, '/run/mysqld'],
    [`${config.state}/rabbitmq/mnesia`, '/var/lib/rabbitmq/mnesia'],
    ...['nova', 'keystone', 'glance', 'neutron', 'placement', 'rabbitmq', 'mysql'].map((service): [string, string] => [`${log}/${service}`, `/var/log/${service}`]),
  ];
}

/**
 * argv that runs `argv` inside a fresh mount and UTS namespace with the lab's binds (plus `extra`)
 * and `hostname` set. unshare and sh exec, so the PID of the spawned process is the command's.
 */
export function inLab(config: LabConfig, hostname: string, argv: string[], extra: Array<[string, string]> = []): string[] {
  const mounts = [...labBinds(config), ...extra].map(([from, to]) => `mount --bind ${shellQuote(from)} ${shellQuote(to)}`);
  const script = ['set -e', ...mounts, 'hostname "$0"', 'exec "$@"'].join('\n');
  return ['unshare', '--mount', '--uts', '--propagation', 'private', '--', '/bin/sh', '-c', script, hostname, ...argv];
}

export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./=:@-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Runs a command inside the lab's namespaces (as the controller) and returns its output. */
export async function runInLab(config: LabConfig, argv: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string }> {
  const [file, ...args] = inLab(config, 'controller', argv);
  return run(file, args, { timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...options.env } });
}

export function pidFile(config: LabConfig, name: MemberName): string {
  return `${config.run}/pids/${name}.pid`;
}

export function failedFile(config: LabConfig, name: MemberName): string {
  return `${config.run}/failed/${name}`;
}

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  comm: string;
  state: string;
  uid: number;
}

export function processTable(): Proc[] {
  const table: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      const uidLine = readFileSync(`/proc/${entry}/status`, 'utf8')
        .split('\n')
        .find((line) => line.startsWith('Uid:'));
      table.push({ pid: Number(entry), state: fields[0], ppid: Number(fields[1]), pgid: Number(fields[2]), comm, uid: Number(uidLine?.split(/\s+/)[1] ?? -1) });
    } catch {
      // The process ended while we read.
    }
  }
  return table;
}

function alive(pid: number, table: Proc[]): boolean {
  const proc = table.find((candidate) => candidate.pid === pid);
  return proc !== undefined && proc.state !== 'Z';
}

/** The member's main PID when it runs (the PID file's process, not a zombie). */
export function mainPid(config: LabConfig, name: MemberName, table = processTable()): number | undefined {
  const pid = readPid(config, name);
  return pid && alive(pid, table) ? pid : undefined;
}

export function readPid(config: LabConfig, name: MemberName): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(config, name), 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Every live process of a member: its process group and every descendant of its main process. */
export function memberPids(config: LabConfig, name: MemberName, table = processTable()): number[] {
  const root = readPid(config, name);
  if (!root) return [];
  const found = new Set<number>();
  for (const proc of table) if (proc.pgid === root && proc.state !== 'Z') found.add(proc.pid);
  if (alive(root, table)) found.add(root);
  const queue = [...found];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const proc of table) {
      if (proc.ppid === parent && proc.state !== 'Z' && !found.has(proc.pid)) {
        found.add(proc.pid);
        queue.push(proc.pid);
      }
    }
  }
  return [...found].sort((a, b) => a - b);
}

/** The broker's own process (beam.smp) among RabbitMQ's. */
export function beamPid(config: LabConfig, table = processTable()): number | undefined {
  const pids = memberPids(config, 'rabbitmq', table);
  return table.find((proc) => pids.includes(proc.pid) && proc.comm === 'beam.smp')?.pid;
}

export function running(config: LabConfig, name: MemberName, table = processTable()): boolean {
  if (name === 'rabbitmq') return beamPid(config, table) !== undefined;
  return mainPid(config, name, table) !== undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a member unless it runs, and waits until it is ready where a unit would (MariaDB answers,
 * the broker booted); API daemons return once spawned, as Type=simple units do.
 */
export async function startMember(config: LabConfig, name: MemberName, options: { log?: (line: string) => void } = {}): Promise<void> {
  if (running(config, name)) return;
  const spec = member(config, name);
  if (name === 'rabbitmq' && !running(config, 'epmd')) await startMember(config, 'epmd', options);
  mkdirSync(`${config.run}/pids`, { recursive: true, mode: 0o755 });
  rmSync(failedFile(config, name), { force: true });
  const out = openSync(`${logDir(config)}/${name}.out`, 'a');
  const [file, ...args] = inLab(config, spec.host, spec.argv);
  const child = spawn(file, args, { detached: true, stdio: ['ignore', out, out], env: daemonEnv() });
  closeSync(out);
  const pid = child.pid;
  child.unref();
  if (!pid) throw new Error(`${name} did not start: ${file} could not be run`);
  writeFileSync(pidFile(config, name), `${pid}\n`, { mode: 0o644 });
  options.log?.(`started ${name} (pid ${pid})`);
  await ready(config, name);
}

/** The environment of a daemon: a plain root environment, nothing of the caller's shell. */
function daemonEnv(): NodeJS.ProcessEnv {
  return { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' };
}

async function ready(config: LabConfig, name: MemberName): Promise<void> {
  const spec = member(config, name);
  const gone = () => new Error(`${name} exited while starting; see ${spec.log} and ${logDir(config)}/${name}.out`);
  if (name === 'mariadb') {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (!running(config, name)) throw gone();
      if (await canConnect(`${config.run}/mysqld/mysqld.sock`)) return;
      await sleep(300);
    }
    throw new Error(`MariaDB did not answer within 120 s; see ${spec.log}`);
  }
  if (name === 'epmd') {
    await waitPort(config.ports.epmd, 10_000, name);
    return;
  }
  if (name === 'rabbitmq') {
    // Like Type=notify: back once the node has booted (users are not created here).
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline) {
      if (mainPid(config, name) === undefined && beamPid(config) === undefined) throw gone();
      try {
        await runInLab(config, ['rabbitmqctl', '-q', '-t', '20', 'await_startup'], { timeoutMs: 30_000, env: daemonEnv() });
        return;
      } catch {
        await sleep(1000);
      }
    }
    throw new Error(`RabbitMQ did not boot within 150 s; see ${spec.log}`);
  }
  // Type=simple: the process is up. A daemon that dies at once (bad config) shows as failed.
  await sleep(500);
  if (!running(config, name)) throw gone();
  if (name === 'neutron-server') await neutronWarmUp(config);
}

/**
 * neutron 21 (Zed): until some query has configured SQLAlchemy's mappers, GET /v2.0/ports answers
 * 500 ("type object 'Port' has no attribute 'port_forwardings'"), and nova's port lookups fail with
 * it. One GET /v2.0/networks per API worker configures them; done as part of the start.
 */
export async function neutronWarmUp(config: LabConfig): Promise<void> {
  await waitPort(API_PORTS.neutron, 120_000, 'neutron-server');
  const token = await adminToken();
  for (let attempt = 0; attempt < 3; attempt++) {
    await fetch(`http://127.0.0.1:${API_PORTS.neutron}/v2.0/networks`, { headers: { 'X-Auth-Token': token }, signal: AbortSignal.timeout(30_000) })
      .then((response) => response.arrayBuffer())
      .catch(() => undefined);
  }
  if (!running(config, 'neutron-server')) throw new Error('neutron-server exited after it started; see its log');
}

/** An admin token from keystone (plain HTTP: the CLI costs seconds). */
export async function adminToken(): Promise<string> {
  const body = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: PASSWORDS.admin } } },
      scope: { project: { name: 'admin', domain: { id: 'default' } } },
    },
  };
  const response = await fetch(`${KEYSTONE_URL}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  const token = response.headers.get('x-subject-token');
  if (!token) throw new Error(`keystone refused the admin token: HTTP ${response.status}`);
  return token;
}

/** Stops a member: its own stop command where it has one, then SIGTERM to all its processes, then SIGKILL. */
export async function stopMember(config: LabConfig, name: MemberName, options: { log?: (line: string) => void } = {}): Promise<void> {
  const spec = member(config, name);
  if (name === 'rabbitmq' && beamPid(config) !== undefined) {
    // systemd's ExecStop for rabbitmq-server; a hung broker does not answer it, the signals below follow.
    await runInLab(config, ['rabbitmqctl', '-q', '-t', '10', 'stop'], { timeoutMs: 20_000, env: daemonEnv() }).catch(() => undefined);
  }
  let pids = memberPids(config, name);
  if (pids.length > 0) {
    // SIGCONT too, as systemd sends it: a stopped process must be able to handle SIGTERM.
    for (const pid of pids) signal(pid, 'SIGTERM');
    for (const pid of pids) signal(pid, 'SIGCONT');
    const deadline = Date.now() + spec.stopTimeout * 1000;
    while (Date.now() < deadline && (pids = memberPids(config, name)).length > 0) await sleep(200);
    if (pids.length > 0) {
      options.log?.(`${name} did not stop within ${spec.stopTimeout} s: SIGKILL`);
      for (const pid of pids) signal(pid, 'SIGKILL');
      const killDeadline = Date.now() + 5000;
      while (Date.now() < killDeadline && memberPids(config, name).length > 0) await sleep(100);
    }
    options.log?.(`stopped ${name}`);
  }
  rmSync(pidFile(config, name), { force: true });
}

export function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

export function markFailed(config: LabConfig, name: MemberName, result: 'signal' | 'exit-code'): void {
  mkdirSync(`${config.run}/failed`, { recursive: true, mode: 0o755 });
  writeFileSync(failedFile(config, name), `${result}\n`, { mode: 0o644 });
}

export function failedResult(config: LabConfig, name: MemberName): string | undefined {
  const file = failedFile(config, name);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

async function canConnect(pathOrPort: string | number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = typeof pathOrPort === 'number' ? net.connect({ host: '127.0.0.1', port: pathOrPort }) : net.connect({ path: pathOrPort });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function waitPort(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline) throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs / 1000} s`);
    await sleep(300);
  }
}

export async function portInUse(port: number): Promise<boolean> {
  return canConnect(port);
}

export { run as execFileAsync };
export type { LabHostName };
