/**
 * The SSH lab: real OpenSSH sshd processes on loopback, one per "host", each on its own 127.0.0.x
 * address, free port, host key and hostname (UTS namespace), all letting one unprivileged user in with
 * one ed25519 key. Used by the integration tests, `lab-cli.ts` and the README's try-it-out.
 *
 * Needs root (useradd, unshare, sshd). Installs openssh-server when /usr/sbin/sshd is missing.
 * Everything it starts is killed by PID on stop() and on process exit.
 *
 * Safe on a machine other people use (review of issue 11, item 3): its work directory is made by
 * root, mode 0700 (a directory someone else made or can write is refused: they could have put an
 * sshd_config or keys there); each lab has a user of its own (`opsdeck-lab-xxxxxx`), whose
 * authorized_keys is in its home, root-owned and read-only to it, under sshd's `StrictModes yes`;
 * and on stop (also at process exit and on Ctrl-C in lab-cli) that user, its home, its processes
 * and its sudo rule are removed. Labs started at the same time never share a user, so one lab's
 * stop cannot take away another's.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, promises as fs, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { HostSpec } from '../../electron/core/inventory/model';
import { freePort, waitForSshBanner } from './ports';

const run = promisify(execFile);

const SSHD = '/usr/sbin/sshd';
/** Every lab user's name starts with this; the rest is random (useradd allows 32 characters). */
export const LAB_USER_PREFIX = 'opsdeck-lab-';

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
  /**
   * Work directory; default a new os.tmpdir()/opsdeck-lab-XXXX. A given directory is made (0700) when
   * missing and kept by stop(); an existing one must be root's and writable by nobody else.
   */
  dir?: string;
  /** Keep the work directory after stop() (logs, keys) even when the lab created it. */
  keep?: boolean;
  /** sshd LogLevel; VERBOSE logs each connection, auth and channel without flooding. */
  logLevel?: 'INFO' | 'VERBOSE' | 'DEBUG1' | 'DEBUG2' | 'DEBUG3';
  /**
   * Variables every session on every host gets (sshd's SetEnv), as an operator's sourced rc file
   * would give them, e.g. the OS_* credentials of the openstack client. sudo drops them, as it does
   * on a real node.
   */
  sessionEnv?: Record<string, string>;
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
  /** This lab's own user (removed with its home and sudo rule by stop()). */
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
  /** Kills everything the lab started, removes its user and sudo rule, and the work directory unless kept. */
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
  const createdDir = options.dir === undefined;
  // Checked before anything is created: a refused directory leaves nothing behind.
  const dir = options.dir ? prepareGivenDir(path.resolve(options.dir)) : mkdtempSync(path.join(os.tmpdir(), 'opsdeck-lab-'));
  await fs.chmod(dir, 0o700);
  await fs.mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const user = await createLabUser();
  const removeUser = () => removeLabUser(user);

  const keyFile = path.join(dir, 'id_ed25519');
  const knownHostsFile = path.join(dir, 'known_hosts');
  const envFile = path.join(dir, 'environment.yaml');
  let authorizedKeysFile = '';
  const states = new Map<string, LabHostState>();
  let stopped = false;

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
  // After killAllSync (exit listeners run in order): a test that throws, or a CLI that exits, must not
  // leave a user with sudo behind.
  process.on('exit', removeUser);

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killAllSync);
    killTreesSync();
    await Promise.all([...states.values()].map((state) => waitForExit(state.pid, 3000)));
    removeUser();
    process.removeListener('exit', removeUser);
    if (createdDir && !options.keep) rmSync(dir, { recursive: true, force: true });
  };

  try {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'opsdeck-lab-client', '-f', keyFile]);
    authorizedKeysFile = await writeAuthorizedKeys(user, await fs.readFile(`${keyFile}.pub`, 'utf8'));
  } catch (error) {
    await stop();
    throw error;
  }

  const lab: SshLab = {
    hosts: [],
    knownHostsFile,
    keyFile,
    envFile,
    dir,
    user,
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
      for (const pid of [
        state.pid,
        ...descendants(state.pid)
          .filter((p) => p.comm === 'sshd')
          .map((p) => p.pid),
      ]) {
        signal(pid, 'SIGSTOP');
      }
    },
    thaw: (name) => {
      const state = stateOf(name);
      for (const pid of [
        state.pid,
        ...descendants(state.pid)
          .filter((p) => p.comm === 'sshd')
          .map((p) => p.pid),
      ]) {
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
    stop,
  };

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
        spec: { name, address, port, user, keyFile, roles },
        dir: hostDir,
        configFile: path.join(hostDir, 'sshd_config'),
        hostKeyFile,
        logFile: path.join(hostDir, 'sshd.log'),
        process: null,
        pid: 0,
      };
      await fs.writeFile(state.configFile, sshdConfig(state, user, authorizedKeysFile, options.logLevel ?? 'VERBOSE', options.sessionEnv ?? {}), { mode: 0o600 });
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
  const child = spawn('unshare', ['--uts', 'sh', '-c', `hostname "$1" && exec ${SSHD} -D -f "$2" -E "$3"`, 'sh', name, state.configFile, state.logFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
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
  await Promise.race([waitForSshBanner(state.spec.address, state.spec.port, 60_000), exited]);
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

function sshdConfig(state: LabHostState, user: string, authorizedKeysFile: string, logLevel: string, sessionEnv: Record<string, string>): string {
  for (const [key, value] of Object.entries(sessionEnv)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) || /[\s"\\]/.test(value)) {
      throw new Error(`The session variable ${key} cannot be given through sshd's SetEnv (a plain name and a value without blanks, quotes or backslashes).`);
    }
  }
  const env = Object.entries(sessionEnv).map(([key, value]) => `${key}=${value}`);
  return [
    `# OpsDeck SSH lab: ${state.spec.name}`,
    `ListenAddress ${state.spec.address}:${state.spec.port}`,
    `HostKey ${state.hostKeyFile}`,
    `PidFile ${path.join(state.dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authorizedKeysFile}`,
    // authorized_keys is in the lab user's home, root's and read-only to the user (writeAuthorizedKeys).
    'StrictModes yes',
    'UsePAM no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin no',
    `AllowUsers ${user}`,
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
    ...(env.length > 0 ? [`SetEnv ${env.join(' ')}`] : []),
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
    ...lab.hosts.map((host) => `  ${host.name}: { address: ${host.address}, port: ${host.port}, roles: [${host.roles.join(', ')}] }`),
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

/** What the lab writes in its directory: an existing directory loses these first, so all is made afresh. */
const LAB_ENTRIES = ['id_ed25519', 'id_ed25519.pub', 'authorized_keys', 'known_hosts', 'environment.yaml', 'hosts'];

const NEW_DIR_HINT = 'remove it, or start the lab without --dir (it then makes a new private directory and prints its path).';

/**
 * A work directory given by the caller (`npm run lab -- --dir DIR`): made here, mode 0700, when
 * missing; an existing one must be a real directory of the user starting the lab that nobody else can
 * write, under parents nobody else can rename it in. Anyone who made it, or can write it, could have
 * put an sshd_config, host keys or authorized_keys there, which the lab would run as root.
 */
export function prepareGivenDir(dir: string): string {
  const uid = process.getuid?.() ?? 0;
  mkdirSync(path.dirname(dir), { recursive: true });
  for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
    const stat = statSync(parent);
    const sticky = (stat.mode & 0o1000) !== 0;
    if ((stat.uid !== 0 && stat.uid !== uid) || ((stat.mode & 0o022) !== 0 && !sticky)) {
      throw new Error(`The lab directory ${dir} is inside ${parent}, which another user owns or may write: ${NEW_DIR_HINT}`);
    }
    if (parent === path.dirname(parent)) break;
  }
  try {
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink() || !stat.isDirectory()) {
    throw new Error(`The lab directory ${dir} exists and is not a directory (a symbolic link or a file someone placed there): ${NEW_DIR_HINT}`);
  }
  if (stat.uid !== uid) {
    throw new Error(
      `The lab directory ${dir} already exists and belongs to another user (uid ${stat.uid}), who could have put keys or an sshd configuration in it: ${NEW_DIR_HINT}`,
    );
  }
  if ((stat.mode & 0o022) !== 0) {
    throw new Error(`The lab directory ${dir} can be written by other users (mode ${(stat.mode & 0o7777).toString(8)}): ${NEW_DIR_HINT}`);
  }
  for (const entry of LAB_ENTRIES) rmSync(path.join(dir, entry), { recursive: true, force: true });
  return dir;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The user's uid and home from /etc/passwd, or undefined when there is no such user. */
function passwdEntry(user: string): { uid: number; home: string } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${user}:`));
  if (!line) return undefined;
  const fields = line.split(':');
  return { uid: Number(fields[2]), home: fields[5] };
}

/** A lab user's uid and gid (to give it a directory of its own). */
export function labUserIds(user: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${user}:`));
  if (!line) throw new Error(`There is no user ${user}: is its lab still running?`);
  const fields = line.split(':');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/**
 * A new user for this lab alone: /bin/sh (root's bashrc costs ~350 ms a command here), and a `*`
 * password field, since `UsePAM no` refuses accounts locked with `!`. A random name, so labs started
 * at once never share (or remove) each other's user.
 */
async function createLabUser(): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const user = `${LAB_USER_PREFIX}${randomBytes(3).toString('hex')}`;
    try {
      await run('useradd', ['--create-home', '--shell', '/bin/sh', '--password', '*', user]);
      return user;
    } catch (error) {
      // 9: the name is taken; 10: another useradd or userdel holds /etc/passwd's lock.
      if (attempt >= 40) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200));
    }
  }
}

/**
 * The user's ~/.ssh/authorized_keys, owned by root and read-only to the user (so no one but root
 * changes who may log in), in a root-owned ~/.ssh: what sshd's StrictModes asks for.
 */
async function writeAuthorizedKeys(user: string, publicKeyLine: string): Promise<string> {
  const entry = passwdEntry(user);
  if (!entry) throw new Error(`The lab user ${user} disappeared before its key could be authorized.`);
  const sshDir = path.join(entry.home, '.ssh');
  await fs.rm(sshDir, { recursive: true, force: true });
  await fs.mkdir(sshDir, { mode: 0o755 });
  await fs.chmod(sshDir, 0o755);
  const file = path.join(sshDir, 'authorized_keys');
  await fs.writeFile(file, publicKeyLine.trim() + '\n', { mode: 0o644, flag: 'wx' });
  await fs.chmod(file, 0o644);
  return file;
}

/** PIDs of the processes running as `uid` (real uid), read from /proc. */
function processesOfUid(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const match = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      if (match && Number(match[1]) === uid) pids.push(Number(entry));
    } catch {
      // The process ended while we read.
    }
  }
  return pids;
}

/**
 * Removes a lab user: its sudo rule, its processes (a run's command left in the background; this
 * lab's sshd started them), the user, its group and its home. Synchronous, so it also runs at exit.
 */
export function removeLabUser(user: string): void {
  if (!user.startsWith(LAB_USER_PREFIX)) throw new Error(`${user} is not a lab user; the lab removes only its own users.`);
  rmSync(`/etc/sudoers.d/${user}`, { force: true });
  for (let attempt = 1; ; attempt++) {
    const entry = passwdEntry(user);
    if (!entry) return;
    for (const pid of processesOfUid(entry.uid)) signal(pid, 'SIGKILL');
    try {
      execFileSync('userdel', ['--remove', user], { stdio: 'ignore' });
      return;
    } catch (error) {
      // 8: a process of the user was still ending; 10: another useradd or userdel holds the lock.
      if (attempt >= 50) throw new Error(`The lab user ${user} could not be removed (userdel failed 50 times): ${(error as Error).message}`);
      sleepSync(100);
    }
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

/** Installs sudo when it is missing (a fresh CI machine). */
export async function ensureSudoInstalled(): Promise<void> {
  if (existsSync('/usr/bin/sudo')) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['install', '-y', '--no-install-recommends', 'sudo'], { env }).catch(async () => {
    await run('apt-get', ['update'], { env });
    await run('apt-get', ['install', '-y', '--no-install-recommends', 'sudo'], { env });
  });
}

/**
 * Lets a lab's user run `sudo -n` (what runbooks' `sudo: true` steps do): writes
 * /etc/sudoers.d/<user>, naming only that user, checked by visudo. The lab's stop() removes it with
 * the user. Only lab users (`opsdeck-lab-…`) get it. Idempotent; each lab has its own user and file.
 */
export function grantLabSudo(user: string): void {
  if (!user.startsWith(LAB_USER_PREFIX) || !passwdEntry(user)) {
    throw new Error(`${user} is not a running lab's user; sudo is granted to a lab's own user only.`);
  }
  writeSudoRule(user);
}

/**
 * Writes /etc/sudoers.d/<user> (NOPASSWD for that user only), checked by visudo. For a user a lab
 * created itself and removes again when it stops (the caller's duty): the SSH labs through
 * {@link grantLabSudo}, the real OpenStack lab for its operator.
 */
export function writeSudoRule(user: string): void {
  if (!passwdEntry(user)) throw new Error(`${user} is not a user of this machine; no sudo rule written.`);
  const file = `/etc/sudoers.d/${user}`;
  const line = `${user} ALL=(root) NOPASSWD: ALL\n`;
  if (existsSync(file) && readFileSync(file, 'utf8') === line) return;
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, line, { mode: 0o440 });
  execFileSync('visudo', ['-c', '-q', '-f', temporary], { stdio: 'ignore' });
  renameSync(temporary, file);
}

/** {@link ensureSudoInstalled} then {@link grantLabSudo}. */
export async function ensureLabSudo(user: string): Promise<void> {
  await ensureSudoInstalled();
  grantLabSudo(user);
}
