/**
 * The SSH lab: real OpenSSH sshd processes on loopback, one per "host", each on its own 127.0.0.x
 * address, free port, host key and hostname (UTS namespace), all letting one unprivileged user in with
 * one ed25519 key. Used by the integration tests, `lab-cli.ts` and the README's try-it-out.
 *
 * Needs root (useradd, unshare, sshd). Installs openssh-server when /usr/sbin/sshd is missing.
 * Everything it starts is killed by PID on stop() and on process exit.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { HostSpec } from '../../electron/core/inventory/model';

const run = promisify(execFile);

const SSHD = '/usr/sbin/sshd';
const DEFAULT_USER = 'opsdeck-lab';

export interface LabHostOptions {
  name: string;
  roles: string[];
}

/** The lab every README example, the console's LAB offer and most tests use. */
export const STANDARD_LAB_HOSTS: readonly LabHostOptions[] = [
  { name: 'controller01', roles: ['controller', 'db', 'mq'] },
  { name: 'compute01', roles: ['compute'] },
  { name: 'compute02', roles: ['compute'] },
];

export interface StartSshLabOptions {
  hosts: readonly LabHostOptions[];
  /** Work directory; default a new os.tmpdir()/opsdeck-lab-XXXX. A given directory is kept by stop(). */
  dir?: string;
  /** Keep the work directory after stop() (logs, keys) even when the lab created it. */
  keep?: boolean;
  /** sshd LogLevel; VERBOSE logs each connection, auth and channel without flooding. */
  logLevel?: 'INFO' | 'VERBOSE' | 'DEBUG1' | 'DEBUG2' | 'DEBUG3';
}

export interface SshLab {
  /** One HostSpec per host, with the lab user and key filled in. */
  hosts: HostSpec[];
  knownHostsFile: string;
  /** The client private key (unencrypted) authorized on every host. */
  keyFile: string;
  /** The OpsDeck environment YAML describing the lab. */
  envFile: string;
  dir: string;
  user: string;
  /** The HostSpec of a host by name (throws for an unknown name). */
  host(hostName: string): HostSpec;
  /** The host's current public host key file (`ssh-keygen -lf` it for the fingerprint). */
  hostPublicKeyFile(hostName: string): string;
  /** The host's sshd log file. */
  logFile(hostName: string): string;
  /** Authorizes another public key (an `ssh-ed25519 AAAA... comment` line) on every host. */
  authorizeKey(publicKeyLine: string): Promise<void>;
  /** Number of client connections the host's sshd is serving now (its per-connection children). */
  connectionCount(hostName: string): number;
  /** Kills the host's per-connection sshd processes: every connection drops, mid-command. Returns how many. */
  killSessions(hostName: string): number;
  /** SIGSTOPs every sshd process of the host: it stops answering without closing anything. */
  freeze(hostName: string): void;
  /** SIGCONTs what freeze() stopped. */
  thaw(hostName: string): void;
  /** Gives the host a new host key and restarts its listener (known_hosts is not updated). */
  rotateHostKey(hostName: string): Promise<void>;
  /** Restarts the host's listener on the same address and port; open connections survive. */
  restart(hostName: string): Promise<void>;
  /** Kills everything the lab started and removes the work directory unless kept. */
  stop(): Promise<void>;
}

interface LabHostState {
  spec: HostSpec;
  dir: string;
  configFile: string;
  hostKeyFile: string;
  logFile: string;
  process: ChildProcess | null;
  pid: number;
}

/** Starts one sshd per host and writes the known_hosts and environment files. */
export async function startSshLab(options: StartSshLabOptions): Promise<SshLab> {
  await ensureSshd();
  await ensureLabUser(DEFAULT_USER);
  const createdDir = options.dir === undefined;
  const dir = options.dir ? path.resolve(options.dir) : mkdtempSync(path.join(os.tmpdir(), 'opsdeck-lab-'));
  await fs.mkdir(dir, { recursive: true });
  // sshd reads authorized_keys as the lab user, so the directory must be traversable by it.
  await fs.chmod(dir, 0o755);
  await fs.mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  const keyFile = path.join(dir, 'id_ed25519');
  const authorizedKeysFile = path.join(dir, 'authorized_keys');
  const knownHostsFile = path.join(dir, 'known_hosts');
  const envFile = path.join(dir, 'environment.yaml');
  await rmFiles(keyFile, `${keyFile}.pub`);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'opsdeck-lab-client', '-f', keyFile]);
  await fs.writeFile(authorizedKeysFile, await fs.readFile(`${keyFile}.pub`, 'utf8'), { mode: 0o644 });
  await fs.chmod(authorizedKeysFile, 0o644);

  const states = new Map<string, LabHostState>();
  const lab: SshLab = {
    hosts: [],
    knownHostsFile,
    keyFile,
    envFile,
    dir,
    user: DEFAULT_USER,
    host: (name) => stateOf(name).spec,
    hostPublicKeyFile: (name) => `${stateOf(name).hostKeyFile}.pub`,
    logFile: (name) => stateOf(name).logFile,
    authorizeKey: async (line) => {
      await fs.appendFile(authorizedKeysFile, line.trim() + '\n');
    },
    connectionCount: (name) => connectionProcesses(stateOf(name).pid).length,
    killSessions: (name) => {
      const state = stateOf(name);
      const victims = descendants(state.pid).filter((proc) => proc.comm === 'sshd');
      for (const proc of victims) signal(proc.pid, 'SIGKILL');
      return victims.length;
    },
    freeze: (name) => {
      const state = stateOf(name);
      for (const pid of [state.pid, ...descendants(state.pid).filter((p) => p.comm === 'sshd').map((p) => p.pid)]) {
        signal(pid, 'SIGSTOP');
      }
    },
    thaw: (name) => {
      const state = stateOf(name);
      for (const pid of [state.pid, ...descendants(state.pid).filter((p) => p.comm === 'sshd').map((p) => p.pid)]) {
        signal(pid, 'SIGCONT');
      }
    },
    rotateHostKey: async (name) => {
      const state = stateOf(name);
      await rmFiles(state.hostKeyFile, `${state.hostKeyFile}.pub`);
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}-rotated`, '-f', state.hostKeyFile]);
      await restartHost(state);
    },
    restart: async (name) => restartHost(stateOf(name)),
    stop: async () => {
      process.removeListener('exit', killAllSync);
      killTreesSync();
      await Promise.all([...states.values()].map((state) => waitForExit(state.pid, 3000)));
      if (createdDir && !options.keep) rmSync(dir, { recursive: true, force: true });
    },
  };

  function stateOf(name: string): LabHostState {
    const state = states.get(name);
    if (!state) throw new Error(`The lab has no host named ${name}`);
    return state;
  }

  function killAllSync(): void {
    killTreesSync();
    if (createdDir && !options.keep) rmSync(dir, { recursive: true, force: true });
  }

  function killTreesSync(): void {
    // One read of the process table for every host: with hundreds of hosts, one each cost seconds.
    const table = processTable();
    for (const state of states.values()) {
      // Children first: once the listener is gone they are reparented and harder to find.
      const tree = descendants(state.pid, table);
      signal(state.pid, 'SIGCONT');
      signal(state.pid, 'SIGKILL');
      for (const proc of tree) {
        signal(proc.pid, 'SIGCONT');
        signal(proc.pid, 'SIGKILL');
      }
    }
  }
  process.on('exit', killAllSync);

  async function restartHost(state: LabHostState): Promise<void> {
    signal(state.pid, 'SIGCONT');
    signal(state.pid, 'SIGTERM');
    await waitForExit(state.pid, 5000);
    await launch(state);
  }

  try {
    for (let index = 0; index < options.hosts.length; index++) {
      const { name, roles } = options.hosts[index];
      const address = labAddress(index);
      const port = await freePort(address);
      const hostDir = path.join(dir, 'hosts', name);
      await fs.mkdir(hostDir, { recursive: true });
      const hostKeyFile = path.join(hostDir, 'ssh_host_ed25519_key');
      await rmFiles(hostKeyFile, `${hostKeyFile}.pub`);
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', hostKeyFile]);
      const state: LabHostState = {
        spec: { name, address, port, user: DEFAULT_USER, keyFile, roles },
        dir: hostDir,
        configFile: path.join(hostDir, 'sshd_config'),
        hostKeyFile,
        logFile: path.join(hostDir, 'sshd.log'),
        process: null,
        pid: 0,
      };
      await fs.writeFile(state.configFile, sshdConfig(state, authorizedKeysFile, options.logLevel ?? 'VERBOSE'));
      states.set(name, state);
      lab.hosts.push(state.spec);
    }
    // In batches: each launch polls the process table until its banner probe's child is gone, and a few
    // hundred doing so at once (bench/ starts 300 hosts) spend the cores reading /proc.
    const pending = [...states.values()];
    while (pending.length > 0) await Promise.all(pending.splice(0, LAUNCH_BATCH).map((state) => launch(state)));

    const knownHostsLines: string[] = [];
    for (const state of states.values()) {
      const [keyType, keyBase64] = (await fs.readFile(`${state.hostKeyFile}.pub`, 'utf8')).trim().split(/\s+/);
      knownHostsLines.push(`[${state.spec.address}]:${state.spec.port} ${keyType} ${keyBase64}`);
    }
    await fs.writeFile(knownHostsFile, knownHostsLines.join('\n') + '\n', { mode: 0o600 });
    await fs.writeFile(envFile, environmentYaml(lab));
    return lab;
  } catch (error) {
    await lab.stop();
    throw error;
  }
}

/** How many sshd the lab starts at once. */
const LAUNCH_BATCH = 25;

/**
 * The loopback address of the lab's host number `index`: 127.0.0.10, 127.0.0.11, … 127.0.0.254, then
 * 127.0.1.10 … (every 127.x.y.z is local on Linux; .0–.9 and .255 of each /24 are left alone).
 */
export function labAddress(index: number): string {
  const perBlock = 245;
  return `127.0.${Math.floor(index / perBlock)}.${10 + (index % perBlock)}`;
}

async function launch(state: LabHostState): Promise<void> {
  const { name } = state.spec;
  const child = spawn(
    'unshare',
    ['--uts', 'sh', '-c', `hostname "$1" && exec ${SSHD} -D -f "$2" -E "$3"`, 'sh', name, state.configFile, state.logFile],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // unshare and sh both exec, so the child's PID is the sshd listener's.
  state.process = child;
  state.pid = child.pid ?? 0;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, sig) => {
      const log = existsSync(state.logFile) ? readFileSync(state.logFile, 'utf8').split('\n').slice(-10).join('\n') : '';
      reject(new Error(`sshd for ${name} exited (${code ?? sig}) while starting: ${stderr}\n${log}`));
    });
    child.once('error', reject);
  });
  exited.catch(() => undefined);
  // Generous: on a loaded machine with hundreds of sshd starting (bench/), 15 s was not always enough.
  await Promise.race([waitForBanner(state.spec.address, state.spec.port, 60_000), exited]);
  // The banner probe's own sshd child lingers a moment; let it go so connection counts start at 0.
  const deadline = Date.now() + 3000;
  while (connectionProcesses(state.pid).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.stderr?.removeAllListeners('data');
  child.stderr?.resume();
  child.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
}

function sshdConfig(state: LabHostState, authorizedKeysFile: string, logLevel: string): string {
  return [
    `# OpsDeck SSH lab: ${state.spec.name}`,
    `ListenAddress ${state.spec.address}:${state.spec.port}`,
    `HostKey ${state.hostKeyFile}`,
    `PidFile ${path.join(state.dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authorizedKeysFile}`,
    // The lab lives under /tmp, which StrictModes rejects (world-writable parent).
    'StrictModes no',
    'UsePAM no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin no',
    `AllowUsers ${DEFAULT_USER}`,
    'AllowTcpForwarding yes',
    'X11Forwarding no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    // 30 hosts' worth of clients may connect at once (each bench/ host has its own sshd, so 300 hosts
    // never queue at one listener).
    'MaxStartups 200',
    'MaxSessions 10',
    'ClientAliveInterval 0',
    `LogLevel ${logLevel}`,
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

function environmentYaml(lab: SshLab): string {
  const lines = [
    'name: lab',
    'lab: true',
    'profile: systemd',
    `known_hosts: ${lab.knownHostsFile}`,
    `defaults: { user: ${lab.user}, key: ${lab.keyFile} }`,
    'hosts:',
    ...lab.hosts.map(
      (host) => `  ${host.name}: { address: ${host.address}, port: ${host.port}, roles: [${host.roles.join(', ')}] }`,
    ),
  ];
  return lines.join('\n') + '\n';
}

/** Installs OpenSSH from Debian's packages when sshd is missing (the CI machine may be fresh). */
async function ensureSshd(): Promise<void> {
  if (existsSync(SSHD) && existsSync('/usr/bin/ssh-keygen')) return;
  const install = ['install', '-y', '--no-install-recommends', 'openssh-server', 'openssh-client'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', install, { env, maxBuffer: 64 * 1024 * 1024 });
  } catch {
    await run('apt-get', ['update'], { env, maxBuffer: 64 * 1024 * 1024 });
    await run('apt-get', install, { env, maxBuffer: 64 * 1024 * 1024 });
  }
}

/**
 * The unprivileged user the lab logs in as: /bin/sh (root's bashrc costs ~350 ms a command here), and a
 * `*` password field, since `UsePAM no` refuses accounts locked with `!`.
 */
async function ensureLabUser(user: string): Promise<void> {
  try {
    await run('id', ['-u', user]);
  } catch {
    try {
      await run('useradd', ['--create-home', '--shell', '/bin/sh', user]);
    } catch (error) {
      // Another lab may have created it meanwhile.
      await run('id', ['-u', user]).catch(() => Promise.reject(error));
    }
  }
  const shadow = readFileSync('/etc/shadow', 'utf8')
    .split('\n')
    .find((line) => line.startsWith(`${user}:`));
  if (shadow?.split(':')[1] !== '*') await run('usermod', ['-p', '*', user]);
}

async function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForBanner(address: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: address, port });
      let data = '';
      const done = (result: boolean) => {
        socket.destroy();
        resolve(result);
      };
      // Each probe that gives up leaves sshd a half-open connection to serve: do not give up too soon.
      socket.setTimeout(5000, () => done(false));
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1');
        if (data.includes('\n')) done(data.startsWith('SSH-'));
      });
      socket.on('error', () => done(false));
      socket.on('close', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd on ${address}:${port} did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
}

function processTable(): ProcessInfo[] {
  const table: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // comm is parenthesised and may contain spaces: split after the last ')'.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      table.push({ pid: Number(entry), ppid, comm });
    } catch {
      // The process ended while we read.
    }
  }
  return table;
}

function descendants(pid: number, table: ProcessInfo[] = processTable()): ProcessInfo[] {
  if (!pid) return [];
  const result: ProcessInfo[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const proc of table) {
      if (proc.ppid === parent) {
        result.push(proc);
        queue.push(proc.pid);
      }
    }
  }
  return result;
}

/** The listener's direct sshd children: one per client connection. */
function connectionProcesses(listenerPid: number): ProcessInfo[] {
  return processTable().filter((proc) => proc.ppid === listenerPid && proc.comm === 'sshd');
}

function signal(pid: number, name: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pid && alive(pid)) {
    if (Date.now() > deadline) {
      signal(pid, 'SIGKILL');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function rmFiles(...files: string[]): Promise<void> {
  await Promise.all(files.map((file) => fs.rm(file, { force: true })));
}

/**
 * Lets the lab user run `sudo -n` (what runbooks' `sudo: true` steps do): installs sudo if missing and
 * writes /etc/sudoers.d/<user>, naming only that user. Idempotent, safe when several labs race.
 */
export async function ensureLabSudo(user: string): Promise<void> {
  const exec = promisify(execFile);
  if (!existsSync('/usr/bin/sudo')) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await exec('apt-get', ['install', '-y', '--no-install-recommends', 'sudo'], { env }).catch(async () => {
      await exec('apt-get', ['update'], { env });
      await exec('apt-get', ['install', '-y', '--no-install-recommends', 'sudo'], { env });
    });
  }
  const file = `/etc/sudoers.d/${user}`;
  const line = `${user} ALL=(root) NOPASSWD: ALL\n`;
  if (existsSync(file) && readFileSync(file, 'utf8') === line) return;
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, line, { mode: 0o440 });
  await exec('visudo', ['-c', '-f', temporary]);
  renameSync(temporary, file);
}
