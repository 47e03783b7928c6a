/**
 * The SSH pool against real OpenSSH sshd processes (test/lab/sshd-lab.ts): one connection per host,
 * channel queueing, commands really stopped on timeout/abort, every typed failure, ProxyJump, PTY shells.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../electron/core/errors';
import type { HostSpec } from '../../electron/core/inventory/model';
import {
  HostKeyChangedError,
  HostKeyUnknownError,
  SshAuthError,
  SshConnectionLostError,
  SshDnsError,
  SshJumpError,
  SshKeyError,
  SshRefusedError,
  SshTimeoutError,
} from '../../electron/core/ssh/errors';
import { SshPool, type SshPoolOptions } from '../../electron/core/ssh/pool';
import type { ExecOptions } from '../../electron/core/ssh/types';
import { ensureLabSudo, STANDARD_LAB_HOSTS, startSshLab, type SshLab } from '../lab/sshd-lab';

let lab: SshLab;
let scratch: string;
const pools: SshPool[] = [];

beforeAll(async () => {
  lab = await startSshLab({
    hosts: STANDARD_LAB_HOSTS,
  });
  scratch = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-ssh-test-'));
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

afterAll(async () => {
  await lab?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function newPool(options: Partial<SshPoolOptions> = {}): SshPool {
  const pool = new SshPool({
    knownHostsFile: lab.knownHostsFile,
    resolveHost: (name) => lab.hosts.find((host) => host.name === name),
    ...options,
  });
  pools.push(pool);
  return pool;
}

async function run(pool: SshPool, host: HostSpec, command: string, options: ExecOptions = {}) {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const result = await pool.exec(host, command, {
    ...options,
    onStdout: (chunk) => {
      stdout.push(chunk);
      options.onStdout?.(chunk);
    },
    onStderr: (chunk) => stderr.push(chunk),
  });
  return { ...result, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString() };
}

async function waitFor(predicate: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** PIDs of local processes whose argv is exactly `argv` (the lab's hosts are this machine). */
function processesWithArgv(argv: string[]): number[] {
  const wanted = argv.join('\0');
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0$/, '');
      if (cmdline === wanted) found.push(Number(entry));
    } catch {
      // Ended while we looked.
    }
  }
  return found;
}

function fingerprintOfFile(pubFile: string): string {
  return execFileSync('ssh-keygen', ['-lf', pubFile], { encoding: 'utf8' }).split(' ')[1];
}

function knownHostsWithout(hostName: string): string {
  const host = lab.host(hostName);
  const file = path.join(scratch, `known_hosts_without_${hostName}_${Date.now()}`);
  const lines = readFileSync(lab.knownHostsFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith(`[${host.address}]:${host.port} `));
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function uniqueSleep(): string {
  return `30.${Math.floor(Math.random() * 1e6)}`;
}

describe('exec', () => {
  it('reports exit codes, stdout and stderr exactly', async () => {
    const pool = newPool();
    const host = lab.host('controller01');
    const result = await run(pool, host, 'echo out; echo err >&2; exit 3');
    expect(result).toMatchObject({ exitCode: 3, signal: null, timedOut: false, stderr: 'err\n' });
    expect(result.stdout.toString()).toBe('out\n');
    expect((await run(pool, host, 'hostname')).stdout.toString()).toBe('controller01\n');
    expect((await run(pool, host, 'id -un')).stdout.toString()).toBe(`${lab.user}\n`);
  });

  it('passes stdin and binary output through unchanged', async () => {
    const pool = newPool();
    const host = lab.host('controller01');
    const input = Buffer.from([0, 1, 2, 255, 10, 13, 65]);
    const echoed = await run(pool, host, 'cat', { stdin: input });
    expect(echoed.stdout.equals(input)).toBe(true);
    const binary = await run(pool, host, `printf '\\000\\377OPSDECK-PID:x\\n'`);
    expect(binary.stdout.equals(Buffer.from([0, 255, ...Buffer.from('OPSDECK-PID:x\n')]))).toBe(true);
    // Quotes, dollars and newlines survive the wrapper.
    const quoted = await run(pool, host, `x='it'"'"'s $HOME'; printf '%s\\n' "$x"\nprintf 'two\\n'`);
    expect(quoted.stdout.toString()).toBe(`it's $HOME\ntwo\n`);
    // Without stdin the command sees end of file at once.
    expect((await run(pool, host, 'cat; echo done')).stdout.toString()).toBe('done\n');
  });

  it('reports the signal that killed the command', async () => {
    const pool = newPool();
    const result = await run(pool, lab.host('controller01'), 'kill -KILL $$');
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe('KILL');
  });

  it('never loses an exit status, even when exit and close arrive in one read', async () => {
    const pool = newPool();
    const host = lab.host('controller01');
    for (let round = 0; round < 20; round++) {
      const results = await Promise.all([pool.exec(host, 'kill -KILL $$'), pool.exec(host, 'exit 7'), pool.exec(host, 'kill -TERM $$')]);
      expect(results.map((result) => [result.exitCode, result.signal])).toEqual([
        [null, 'KILL'],
        [7, null],
        [null, 'TERM'],
      ]);
    }
  });

  it('loads under plain Node ESM, as the CLI runs it (ssh2 is CommonJS)', () => {
    const output = execFileSync('npx', ['tsx', '-e', "import('./electron/core/ssh/pool.ts').then((m) => console.log(typeof m.SshPool))"], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(output.trim()).toBe('function');
  });

  it('runs 200 sequential commands over one connection', async () => {
    const pool = newPool();
    const host = lab.host('compute02');
    await waitFor(() => lab.connectionCount('compute02') === 0, 'no connection to compute02');
    for (let index = 0; index < 200; index++) {
      const result = await run(pool, host, `echo ${index}`);
      expect(result.stdout.toString()).toBe(`${index}\n`);
    }
    expect(pool.stats().connectionsOpened).toBe(1);
    expect(lab.connectionCount('compute02')).toBe(1);
  });

  it('queues 30 concurrent commands on one host beyond the channel limit instead of failing', async () => {
    const pool = newPool();
    const host = lab.host('compute01');
    const results = await Promise.all(Array.from({ length: 30 }, (_, index) => run(pool, host, `sleep 0.2; echo ${index}`)));
    results.forEach((result, index) => {
      expect(result.exitCode).toBe(0);
      expect(result.stdout.toString()).toBe(`${index}\n`);
    });
    expect(pool.stats().connectionsOpened).toBe(1);
  });

  it('sudo runs the command as root through sudo -n, and sudo -n fails fast where no rule allows it', async () => {
    await ensureLabSudo(lab.user);
    const pool = newPool();
    const root = await run(pool, lab.host('controller01'), 'id -u', { sudo: true });
    expect(root.exitCode).toBe(0);
    expect(root.stdout.toString().trim()).toBe('0');
    // The lab's rule allows root only: asking for another user must fail at once, never prompt.
    const refused = await run(pool, lab.host('controller01'), 'sudo -n -u nobody id -u', { timeoutMs: 10_000 });
    expect(refused.timedOut).toBe(false);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/sudo/);
  });
});

describe('stopping remote commands', () => {
  it('a timeout kills the remote command: no process left, its next command never runs', async () => {
    const pool = newPool({ killGraceMs: 500 });
    const host = lab.host('controller01');
    const duration = uniqueSleep();
    const marker = path.join('/tmp', `opsdeck-marker-${process.pid}-${Date.now()}`);
    const result = await run(pool, host, `sleep ${duration}; touch ${marker}`, { timeoutMs: 1000 });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    await waitFor(() => processesWithArgv(['sleep', duration]).length === 0, 'the remote sleep to be gone', 5000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(processesWithArgv(['sleep', duration])).toEqual([]);
    expect(existsSync(marker)).toBe(false);
    // The connection is still good.
    expect((await run(pool, host, 'echo still')).stdout.toString()).toBe('still\n');
  });

  it('kills background children of the command too', async () => {
    const pool = newPool({ killGraceMs: 500 });
    const duration = uniqueSleep();
    const result = await run(pool, lab.host('controller01'), `sleep ${duration} & sleep ${duration}; wait`, {
      timeoutMs: 800,
    });
    expect(result.timedOut).toBe(true);
    await waitFor(() => processesWithArgv(['sleep', duration]).length === 0, 'both sleeps to be gone', 5000);
  });

  it('an abort kills the remote command and rejects with CancelledError', async () => {
    const pool = newPool({ killGraceMs: 500 });
    const host = lab.host('controller01');
    const duration = uniqueSleep();
    const marker = path.join('/tmp', `opsdeck-marker-abort-${process.pid}-${Date.now()}`);
    const controller = new AbortController();
    const pending = run(pool, host, `echo started; sleep ${duration}; touch ${marker}`, {
      signal: controller.signal,
      onStdout: () => controller.abort(),
    });
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
    await waitFor(() => processesWithArgv(['sleep', duration]).length === 0, 'the remote sleep to be gone', 5000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(existsSync(marker)).toBe(false);
  });

  it('closing the pool stops running commands on their hosts', async () => {
    const pool = new SshPool({ knownHostsFile: lab.knownHostsFile, killGraceMs: 500 });
    const duration = uniqueSleep();
    let started = false;
    const outcome = pool.exec(lab.host('controller01'), `echo started; sleep ${duration}`, { onStdout: () => (started = true) }).catch((caught: unknown) => caught);
    await waitFor(() => started, 'the command to start');
    await pool.close();
    expect(await outcome).toBeInstanceOf(CancelledError);
    await waitFor(() => processesWithArgv(['sleep', duration]).length === 0, 'the remote sleep to be gone', 5000);
    await expect(pool.exec(lab.host('controller01'), 'true')).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('host keys', () => {
  it('reports an unknown host key with the fingerprint ssh-keygen prints, and connects once accepted', async () => {
    const knownHostsFile = path.join(scratch, 'fresh', 'known_hosts');
    const pool = newPool({ knownHostsFile });
    const host = lab.host('compute01');
    const error = await pool.check(host).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HostKeyUnknownError);
    const unknown = error as HostKeyUnknownError;
    expect(unknown.presented.fingerprint).toBe(fingerprintOfFile(lab.hostPublicKeyFile('compute01')));
    expect(unknown.presented.keyType).toBe('ssh-ed25519');
    expect(unknown.userMessage).toContain(unknown.presented.fingerprint);
    expect(unknown.userMessage).toContain(`compute01 (${host.address}:${host.port})`);
    expect(pool.stats().connectionsOpened).toBe(0);
    await pool.acceptHostKey(unknown.presented);
    expect((await pool.check(host)).fingerprint).toBe(unknown.presented.fingerprint);
    expect((await run(pool, host, 'hostname')).stdout.toString()).toBe('compute01\n');
  });

  it('verifies hashed known_hosts entries written by ssh-keygen -H', async () => {
    const knownHostsFile = path.join(scratch, 'hashed_known_hosts');
    copyFileSync(lab.knownHostsFile, knownHostsFile);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', knownHostsFile], { stdio: 'ignore' });
    expect(readFileSync(knownHostsFile, 'utf8')).not.toContain('127.0.0.');
    const pool = newPool({ knownHostsFile });
    expect((await run(pool, lab.host('controller01'), 'hostname')).stdout.toString()).toBe('controller01\n');
  });
});

describe('connection failures', () => {
  it('a key the host does not accept is an SshAuthError naming the key', async () => {
    const keyFile = path.join(scratch, 'stranger_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    const pool = newPool();
    const host = { ...lab.host('controller01'), keyFile };
    const error = await pool.check(host).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshAuthError);
    expect((error as SshAuthError).userMessage).toContain(`publickey with ${keyFile}`);
  });

  it('a closed port is an SshRefusedError', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as net.AddressInfo;
        server.close(() => resolve(free));
      });
    });
    const pool = newPool();
    const error = await pool.check({ ...lab.host('controller01'), address: '127.0.0.1', port }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshRefusedError);
    expect((error as SshRefusedError).userMessage).toContain(`127.0.0.1:${port}`);
  });

  it('a name that does not resolve is an SshDnsError', async () => {
    const pool = newPool();
    const error = await pool.check({ ...lab.host('controller01'), address: 'no-such-host.invalid', port: 22 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshDnsError);
  });

  it('an encrypted key works with its passphrase; a wrong or missing one is an SshKeyError', async () => {
    const keyFile = path.join(scratch, 'encrypted_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', keyFile]);
    await lab.authorizeKey(readFileSync(`${keyFile}.pub`, 'utf8'));
    const pool = newPool();
    const base = lab.host('controller01');
    const ok = await run(pool, { ...base, keyFile, passphrase: 'correct horse' }, 'echo ok');
    expect(ok.stdout.toString()).toBe('ok\n');
    // Connections are shared per user@address:port, so the failure cases need a pool of their own.
    const freshPool = newPool();
    const wrongFresh = await freshPool.check({ ...base, keyFile, passphrase: 'battery staple' }).catch((caught: unknown) => caught);
    expect(wrongFresh).toBeInstanceOf(SshKeyError);
    expect((wrongFresh as SshKeyError).problem).toBe('passphrase-wrong');
    const missing = await freshPool.check({ ...base, keyFile }).catch((caught: unknown) => caught);
    expect(missing).toBeInstanceOf(SshKeyError);
    expect((missing as SshKeyError).problem).toBe('passphrase-missing');
  });

  it('a host that accepts TCP but never speaks SSH is an SshTimeoutError', async () => {
    const pool = newPool({ readyTimeoutMs: 1000 });
    lab.freeze('compute02');
    try {
      const error = await pool.check(lab.host('compute02')).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SshTimeoutError);
      expect((error as SshTimeoutError).phase).toBe('handshake');
    } finally {
      lab.thaw('compute02');
    }
  });

  it('connects to many hosts a few handshakes at a time, each with its own full handshake timeout', async () => {
    // Six hosts that accept TCP and never speak SSH. Hundreds of handshakes started at once on a busy
    // machine each waited for CPU behind all the others and ran out of readyTimeout (bench/ case 2 at
    // 300 hosts: 174 failed); the pool now queues them, and a host's clock starts when its turn does.
    const open = new Set<net.Socket>();
    let accepted = 0;
    const servers = await Promise.all(
      Array.from(
        { length: 6 },
        () =>
          new Promise<net.Server>((resolve) => {
            const server = net.createServer((socket) => {
              accepted++;
              open.add(socket);
              socket.on('close', () => open.delete(socket));
              socket.on('error', () => undefined);
            });
            server.listen(0, '127.0.0.1', () => resolve(server));
          }),
      ),
    );
    try {
      const pool = newPool({ readyTimeoutMs: 2000, maxHandshakesAtOnce: 2 });
      const hosts = servers.map((server, index) => ({ ...lab.host('compute01'), name: `silent${index}`, address: '127.0.0.1', port: (server.address() as net.AddressInfo).port }));
      const outcome = Promise.all(hosts.map((host) => pool.check(host).catch((caught: unknown) => caught)));
      await waitFor(() => accepted >= 2, 'the first two connections');
      // Well inside the first two hosts' 2 s: the others wait their turn.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(accepted).toBe(2);
      const errors = await outcome;
      expect(errors.map((error) => error instanceof SshTimeoutError && error.phase)).toEqual(Array(6).fill('handshake'));
      expect(accepted).toBe(6);
      // The queue drains for real hosts too: one handshake at a time, every command runs.
      const one = newPool({ maxHandshakesAtOnce: 1 });
      const outputs = await Promise.all(lab.hosts.map(async (host) => (await run(one, host, 'hostname')).stdout.toString()));
      expect(outputs).toEqual(lab.hosts.map((host) => `${host.name}\n`));
    } finally {
      for (const socket of open) socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });

  it('a connection dropped mid-command rejects with SshConnectionLostError, and the next exec reconnects', async () => {
    const pool = newPool();
    const host = lab.host('compute01');
    let started = false;
    const pending = pool.exec(host, 'echo started; sleep 10', { onStdout: () => (started = true) });
    const outcome = pending.catch((caught: unknown) => caught);
    await waitFor(() => started, 'the command to start');
    expect(lab.killSessions('compute01')).toBeGreaterThan(0);
    const error = await outcome;
    expect(error).toBeInstanceOf(SshConnectionLostError);
    expect((error as SshConnectionLostError).reason).toBe('closed');
    expect((error as SshConnectionLostError).userMessage).toMatch(/unknown/);
    expect((await run(pool, host, 'hostname')).stdout.toString()).toBe('compute01\n');
    expect(pool.stats().connectionsOpened).toBe(2);
  });

  it('a host that stops answering mid-command is declared lost by the keepalive', async () => {
    const pool = newPool({ keepaliveIntervalMs: 300, keepaliveCountMax: 2 });
    const host = lab.host('compute02');
    let started = false;
    const outcome = pool.exec(host, 'echo started; sleep 20', { onStdout: () => (started = true) }).catch((caught: unknown) => caught);
    try {
      await waitFor(() => started, 'the command to start');
      lab.freeze('compute02');
      const error = await outcome;
      expect(error).toBeInstanceOf(SshConnectionLostError);
      expect((error as SshConnectionLostError).reason).toBe('keepalive');
    } finally {
      lab.thaw('compute02');
    }
    expect((await run(pool, host, 'hostname')).stdout.toString()).toBe('compute02\n');
  });
});

describe('ProxyJump', () => {
  it('reaches compute01 through controller01 on one jump connection', async () => {
    const pool = newPool();
    const before = lab.connectionCount('controller01');
    const target = { ...lab.host('compute01'), jump: 'controller01' };
    expect((await run(pool, target, 'hostname')).stdout.toString()).toBe('compute01\n');
    expect((await run(pool, target, 'echo again')).stdout.toString()).toBe('again\n');
    expect(pool.stats().connectionsOpened).toBe(2);
    expect(lab.connectionCount('controller01')).toBe(before + 1);
    // The jump host's own connection is shared with its own commands.
    expect((await run(pool, lab.host('controller01'), 'hostname')).stdout.toString()).toBe('controller01\n');
    expect(pool.stats().connectionsOpened).toBe(2);
  });

  it("verifies the jump host's key too", async () => {
    const pool = newPool({ knownHostsFile: knownHostsWithout('controller01') });
    const target = { ...lab.host('compute01'), jump: 'controller01' };
    const error = await pool.check(target).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshJumpError);
    expect((error as SshJumpError).cause).toBeInstanceOf(HostKeyUnknownError);
    expect((error as SshJumpError).userMessage).toContain('controller01');
    expect((error as SshJumpError).userMessage).toContain('compute01');
  });

  it("verifies the target's key through the jump", async () => {
    const pool = newPool({ knownHostsFile: knownHostsWithout('compute01') });
    const target = { ...lab.host('compute01'), jump: 'controller01' };
    const error = await pool.check(target).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HostKeyUnknownError);
    expect((error as HostKeyUnknownError).presented.fingerprint).toBe(fingerprintOfFile(lab.hostPublicKeyFile('compute01')));
  });
});

describe('PTY shell', () => {
  it('echoes a command back, resizes, and closes', async () => {
    const pool = newPool();
    const shell = await pool.shell(lab.host('controller01'), { cols: 80, rows: 24 });
    let output = '';
    const stopListening = shell.onData((chunk) => (output += chunk.toString()));
    let closed = false;
    shell.onClose(() => (closed = true));
    shell.write('echo hi-$((40+2))\n');
    await waitFor(() => output.includes('hi-42'), 'the echo');
    shell.resize(100, 40);
    shell.write('stty size\n');
    await waitFor(() => output.includes('40 100'), 'the new size');
    shell.pause();
    shell.resume();
    shell.write('exit 0\n');
    await waitFor(() => closed, 'the shell to close');
    stopListening();
  });
});

describe('changed host key (rotates compute02: keep last)', () => {
  it('refuses a changed host key with the expected and presented fingerprints', async () => {
    const expected = fingerprintOfFile(lab.hostPublicKeyFile('compute02'));
    await lab.rotateHostKey('compute02');
    const presented = fingerprintOfFile(lab.hostPublicKeyFile('compute02'));
    const pool = newPool();
    const error = await pool.check(lab.host('compute02')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HostKeyChangedError);
    const changed = error as HostKeyChangedError;
    expect(changed.expectedFingerprint).toBe(expected);
    expect(changed.presented.fingerprint).toBe(presented);
    expect(changed.line).toBe(3);
    expect(changed.userMessage).toContain('man-in-the-middle');
    expect(changed.userMessage).toContain(`line 3 from ${lab.knownHostsFile}`);
    expect(pool.stats().connectionsOpened).toBe(0);
  });
});
