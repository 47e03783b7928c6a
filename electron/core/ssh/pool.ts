/**
 * The SSH connection pool: one ssh2 connection per host, shared by every command and terminal on that
 * host as channels; host keys checked against OpenSSH known_hosts; ProxyJump through another host of
 * the pool; typed errors for every failure (./errors.ts).
 *
 * Stopping a remote command. Closing an exec channel without a PTY does not stop the remote process
 * (sshd only closes its pipes; a `sleep` never writes, so it never notices), and a PTY would change the
 * command's bytes (CRLF, echo, stderr merged into stdout). So every command runs under a small wrapper:
 *
 *     printf 'OPSDECK-PID:<nonce>:%s\n' "$$"; eval '<command>'
 *
 * sshd starts each non-PTY session with setsid(), so `$$` of the login shell is the session id and the
 * process group id of everything the command starts (a non-interactive shell does no job control).
 * `eval` runs the command in that same login shell, as `ssh host '<command>'` does: same PID, stdin,
 * stdout, stderr and exit status as OpenSSH would give them, and no second shell to start (an
 * `exec "$SHELL" -c` here cost ~0.9 ms a command). The marker line is cut from stdout before anything
 * reaches the caller (any output a shell start-up file prints before it is passed on). On timeout or abort the pool
 * opens a second exec channel on the same connection and signals the whole group and session:
 * TERM, then KILL after `killGraceMs` if anything is left (through `sudo -n` when the command ran with
 * sudo). Commands that leave their session on purpose (setsid, daemons) are not followed: like under
 * OpenSSH, those outlive the step. The wrapper needs a Bourne-like login shell (sh, dash, bash, zsh, ksh).
 */
import { shellQuote, sudoCommand } from './command-line';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Duplex } from 'node:stream';
import ssh2, { type Client as SshClient, type ClientChannel, type ConnectConfig } from 'ssh2';
import { CancelledError, OpsError } from '../errors';
import type { HostSpec } from '../inventory/model';
import {
  HostKeyChangedError,
  HostKeyRevokedError,
  HostKeyUnknownError,
  SshAuthError,
  SshChannelError,
  SshConnectionLostError,
  SshDnsError,
  SshError,
  SshJumpError,
  SshKeyError,
  SshRefusedError,
  SshTimeoutError,
  SshUnreachableError,
  describeHost,
} from './errors';
import { fingerprintOf, keyTypeOfBlob, KnownHostsFile } from './known-hosts';
import type { ExecOptions, ExecResult, PresentedHostKey, ShellOptions, ShellSession, SshConnector } from './types';

export interface SshPoolOptions {
  /** OpenSSH known_hosts file used to verify every host and jump host; accepted keys are appended. */
  knownHostsFile: string;
  /** Looks up a host named by `HostSpec.jump` (ProxyJump). */
  resolveHost?: (name: string) => HostSpec | undefined;
  /** Keepalive period; the connection is declared lost after `keepaliveCountMax` unanswered ones. Default 5000. */
  keepaliveIntervalMs?: number;
  /** Default 3. */
  keepaliveCountMax?: number;
  /** Time allowed to connect, exchange keys and authenticate; counted from the host's turn (below). Default 20000. */
  readyTimeoutMs?: number;
  /**
   * Handshakes (TCP connect, key exchange, authentication) in flight at once; more wait their turn.
   * Each costs CPU here and on the host: 300 started at once on a busy 2-core machine each waited
   * behind all the others and 174 ran out of readyTimeout (bench/ case 2). Default 32, as many as
   * parallel-ssh's default.
   */
  maxHandshakesAtOnce?: number;
  /**
   * Session channels (exec + shell) open at once per connection; more wait in a queue. OpenSSH's
   * MaxSessions defaults to 10; two are left for the channels that kill timed-out commands. Default 8.
   */
  maxChannelsPerConnection?: number;
  /** Between TERM and KILL when stopping a remote command. Default 2000. */
  killGraceMs?: number;
  /** Write accepted host keys hashed (OpenSSH's HashKnownHosts). Default false. */
  hashKnownHosts?: boolean;
}

/** Counters for tests and diagnostics. */
export interface SshPoolStats {
  /** Connections that completed authentication since the pool was created. */
  connectionsOpened: number;
  /** Connections open now. */
  connectionsOpen: number;
}

const DEFAULTS = {
  keepaliveIntervalMs: 5000,
  keepaliveCountMax: 3,
  readyTimeoutMs: 20_000,
  maxHandshakesAtOnce: 32,
  maxChannelsPerConnection: 8,
  killGraceMs: 2000,
};

// ssh2 is CommonJS: Node's ESM loader cannot see `utils` as a named export, so take both from the default.
const { Client, utils } = ssh2;

/** ssh2's default host key algorithm order; reordered so the types known_hosts has come first, as OpenSSH does. */
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** Stdout before the PID marker is held at most this long; a shell start-up file printing more disables killing. */
const MARKER_SEARCH_LIMIT = 64 * 1024;

/** Channel opens refused by the server are retried this many times (see Connection.openChannel). */
const CHANNEL_OPEN_ATTEMPTS = 10;

/** Extra time after the kill's KILL for the command's channel to close before the pool closes it itself. */
const CLOSE_AFTER_KILL_MS = 3000;

/**
 * What happened on a channel before its owner could listen: ssh2 emits `exit` and `close` as plain
 * events while parsing, so a server that sends data, exit status and close in one TCP read (common
 * under load) would fire them before an `await` resumes. Listened to inside ssh2's open callback.
 */
interface ChannelState {
  exit: { exitCode: number | null; signal: string | null } | null;
  closed: boolean;
}

/** ssh2 reports `SIGKILL`; the contract (and OpenSSH's wire format) says `KILL`. */
function exitOf(code: unknown, signalName: unknown): ChannelState['exit'] {
  return {
    exitCode: typeof code === 'number' ? code : null,
    signal: typeof signalName === 'string' ? signalName.replace(/^SIG/, '') : null,
  };
}

/** A counting semaphore whose waiters can be cancelled and failed all at once (channels, handshakes). */
class ChannelSlots {
  private used = 0;
  private readonly waiters: Array<{ grant: () => void; fail: (error: unknown) => void }> = [];

  constructor(private readonly limit: number) {}

  acquire(signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.used--;
        this.next();
      };
      if (this.used < this.limit) {
        this.used++;
        resolve(release);
        return;
      }
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new CancelledError('The command'));
      };
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.used++;
          resolve(release);
        },
        fail: (error: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  failAll(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) waiter.fail(error);
  }

  private next(): void {
    if (this.used < this.limit) this.waiters.shift()?.grant();
  }
}

/** One live, authenticated ssh2 connection. */
class Connection {
  readonly slots: ChannelSlots;
  /** Kill channels bypass `slots` (the commands they kill hold those) but stay within MaxSessions. */
  readonly killSlots = new ChannelSlots(2);
  /** Called with the loss error when the connection dies; every open channel registers here. */
  readonly lossListeners = new Set<(error: OpsError) => void>();
  /** Running commands: `cancel` stops one like an abort; `done` settles when its exec has. */
  readonly running = new Set<{ cancel: () => void; done: Promise<void> }>();
  lost: OpsError | null = null;
  closing = false;
  readonly closed: Promise<void>;

  constructor(
    readonly client: SshClient,
    readonly host: HostSpec,
    readonly presented: PresentedHostKey,
    channelLimit: number,
    private readonly keepaliveMs: number,
    private readonly onDead: (connection: Connection) => void,
  ) {
    this.slots = new ChannelSlots(channelLimit);
    this.closed = new Promise((resolve) => client.once('close', () => resolve()));
  }

  /** Marks the connection dead and fails everything using it. Idempotent. */
  markLost(cause?: unknown): void {
    if (this.lost) return;
    const keepalive = cause instanceof Error && /keepalive/i.test(cause.message);
    this.lost = this.closing
      ? new CancelledError('The SSH session')
      : new SshConnectionLostError(this.host, keepalive ? 'keepalive' : 'closed', { keepaliveMs: this.keepaliveMs }, { cause });
    // Evict first: a caller woken by the failures below must get a fresh connection, not this one.
    this.onDead(this);
    this.slots.failAll(this.lost);
    this.killSlots.failAll(this.lost);
    for (const listener of [...this.lossListeners]) listener(this.lost);
    this.lossListeners.clear();
  }

  /** The error for a command that was running when the connection died. */
  lostDuring(command: string): OpsError {
    const lost = this.lost;
    if (lost instanceof SshConnectionLostError) {
      return new SshConnectionLostError(this.host, lost.reason, { command, keepaliveMs: this.keepaliveMs }, { cause: lost.cause });
    }
    return lost ?? new SshConnectionLostError(this.host, 'closed', { command });
  }

  /**
   * Opens a session channel of the given kind, mapping failures to typed errors. sshd frees a closed
   * session a little after it confirms the close, so an open right after a release can meet
   * MaxSessions for a moment: "open failed" is retried with a short backoff before it is reported.
   */
  async openChannel(
    kind: 'exec' | 'shell',
    open: (callback: (error: Error | undefined, stream: ClientChannel) => void) => void,
  ): Promise<{ stream: ClientChannel; state: ChannelState }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.openChannelOnce(open);
      } catch (error) {
        if (this.lost) throw this.lost;
        const refused = error instanceof Error && /open failed/i.test(error.message);
        if (!refused || attempt >= CHANNEL_OPEN_ATTEMPTS) {
          throw new SshChannelError(this.host, kind === 'exec' ? 'a command channel' : 'a terminal', { cause: error });
        }
        await delay(20 * attempt);
      }
    }
  }

  private openChannelOnce(open: (callback: (error: Error | undefined, stream: ClientChannel) => void) => void): Promise<{ stream: ClientChannel; state: ChannelState }> {
    return new Promise((resolve, reject) => {
      if (this.lost) return reject(this.lost);
      try {
        open((error, stream) => {
          if (error) return reject(error);
          const state: ChannelState = { exit: null, closed: false };
          stream.on('exit', (code: unknown, signalName: unknown) => (state.exit = exitOf(code, signalName)));
          stream.once('close', () => (state.closed = true));
          resolve({ stream, state });
        });
      } catch (error) {
        // ssh2 throws synchronously when the socket is already gone.
        this.markLost(error);
        reject(this.lost ?? error);
      }
    });
  }
}

/** The connector the engine uses; see the module comment for how commands are stopped. */
export class SshPool implements SshConnector {
  private readonly options: Required<Omit<SshPoolOptions, 'resolveHost'>> & Pick<SshPoolOptions, 'resolveHost'>;
  private readonly knownHosts: KnownHostsFile;
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly live = new Set<Connection>();
  private opened = 0;
  private closed = false;
  private readonly handshakes: ChannelSlots;

  constructor(options: SshPoolOptions) {
    this.options = { ...DEFAULTS, hashKnownHosts: false, ...options };
    this.knownHosts = new KnownHostsFile(options.knownHostsFile);
    this.handshakes = new ChannelSlots(Math.max(1, this.options.maxHandshakesAtOnce));
  }

  /** Connects (or reuses the connection) and returns the host key the host presented. */
  async check(host: HostSpec): Promise<PresentedHostKey> {
    return (await this.connection(host)).presented;
  }

  /** Appends a host key the operator accepted to the known_hosts file; the next connect succeeds. */
  async acceptHostKey(presented: PresentedHostKey): Promise<void> {
    await this.knownHosts.append(presented.address, presented.port, presented.keyType, presented.keyBase64, {
      hashed: this.options.hashKnownHosts,
    });
  }

  stats(): SshPoolStats {
    return { connectionsOpened: this.opened, connectionsOpen: this.live.size };
  }

  async exec(host: HostSpec, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const started = Date.now();
    const { signal } = options;
    if (signal?.aborted) throw new CancelledError('The command');
    const connection = await abortable(this.connection(host), signal);
    const release = await connection.slots.acquire(signal);
    let stream: ClientChannel;
    let state: ChannelState;
    const nonce = randomBytes(8).toString('hex');
    try {
      // Not abortable: a channel opened after an abort must still be seen, and stopped, below.
      ({ stream, state } = await connection.openChannel('exec', (callback) => connection.client.exec(wrapCommand(command, nonce, options.sudo === true), callback)));
    } catch (error) {
      release();
      throw error;
    }
    return new Promise<ExecResult>((resolve, reject) => {
      let timedOut = false;
      let aborted = false;
      let settled = false;
      let pid: number | null = null;
      let killRequested = false;
      let pending: Buffer | null = Buffer.alloc(0);
      const timers: NodeJS.Timeout[] = [];
      let markDone = () => {};
      const entry = { cancel: () => onAbort(), done: new Promise<void>((resolveDone) => (markDone = resolveDone)) };

      const cleanup = () => {
        for (const timer of timers) clearTimeout(timer);
        connection.running.delete(entry);
        markDone();
        signal?.removeEventListener('abort', onAbort);
        connection.lossListeners.delete(onLost);
        stream.removeAllListeners('data');
        stream.stderr.removeAllListeners('data');
        release();
      };
      const settle = (error: Error | undefined) => {
        if (settled) return;
        settled = true;
        cleanup();
        if (error) return reject(error);
        if (aborted) return reject(new CancelledError('The command'));
        const exit = state.exit ?? { exitCode: null, signal: null };
        resolve({ exitCode: exit.exitCode, signal: exit.signal, timedOut, durationMs: Date.now() - started });
      };
      const onLost = () => {
        settle(connection.lostDuring(command));
        stream.destroy();
      };
      const stop = () => {
        if (killRequested) return;
        killRequested = true;
        // Belt and braces: OpenSSH >= 7.9 forwards a signal request to the session's process group leader.
        try {
          stream.signal('TERM');
        } catch {
          // The channel may already be closing.
        }
        if (pid !== null) void this.killRemote(connection, pid, options.sudo === true);
        timers.push(
          setTimeout(() => {
            stream.close();
            settle(undefined);
          }, this.options.killGraceMs + CLOSE_AFTER_KILL_MS),
        );
      };
      const onAbort = () => {
        aborted = true;
        stop();
      };

      const passStdout = (chunk: Buffer) => {
        if (chunk.length > 0) options.onStdout?.(chunk);
      };
      const flushPending = () => {
        if (pending && pending.length > 0) passStdout(pending);
        pending = null;
      };
      const marker = Buffer.from(`OPSDECK-PID:${nonce}:`);
      stream.on('data', (chunk: Buffer) => {
        if (pending === null) return passStdout(chunk);
        pending = Buffer.concat([pending, chunk]);
        const at = pending.indexOf(marker);
        const end = at >= 0 ? pending.indexOf(0x0a, at) : -1;
        if (at >= 0 && end >= 0) {
          pid = Number(pending.subarray(at + marker.length, end).toString('latin1'));
          options.onStarted?.(pid);
          const before = pending.subarray(0, at);
          const after = pending.subarray(end + 1);
          pending = null;
          passStdout(before);
          passStdout(after);
          if (killRequested) void this.killRemote(connection, pid, options.sudo === true);
        } else if (pending.length > MARKER_SEARCH_LIMIT) {
          flushPending();
        }
      });
      stream.stderr.on('data', (chunk: Buffer) => {
        if (chunk.length > 0) options.onStderr?.(chunk);
      });
      // Settle once the channel is closed AND its buffered output has been delivered.
      let stdoutEnded = false;
      let stderrEnded = false;
      const maybeFinish = () => {
        if (settled || !state.closed) return;
        if (!stdoutEnded || !stderrEnded) {
          // Output still buffered in the stream is delivered first; never wait on it forever.
          timers.push(setTimeout(() => finish(), 1000));
          return;
        }
        finish();
      };
      const finish = () => {
        if (settled) return;
        flushPending();
        // ssh2 closes every channel when the socket dies; the pool hears of it first (client 'close').
        if (connection.lost && state.exit === null) return onLost();
        settle(undefined);
      };
      stream.on('end', () => {
        stdoutEnded = true;
        maybeFinish();
      });
      stream.stderr.on('end', () => {
        stderrEnded = true;
        maybeFinish();
      });
      stream.on('close', maybeFinish);
      stream.on('error', (error: Error) => {
        if (connection.lost) return onLost();
        settle(new SshChannelError(connection.host, 'a command channel', { cause: error }));
      });

      connection.lossListeners.add(onLost);
      connection.running.add(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
      if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
        timers.push(
          setTimeout(() => {
            timedOut = true;
            stop();
          }, options.timeoutMs),
        );
      }
      if (options.stdin !== undefined) stream.end(options.stdin);
      else stream.end();
      if (state.closed) maybeFinish();
    });
  }

  async shell(host: HostSpec, options: ShellOptions): Promise<ShellSession> {
    const connection = await this.connection(host);
    const release = await connection.slots.acquire();
    let opened: { stream: ClientChannel; state: ChannelState };
    try {
      opened = await connection.openChannel('shell', (callback) =>
        connection.client.shell({ term: options.term ?? 'xterm-256color', cols: options.cols, rows: options.rows }, callback),
      );
    } catch (error) {
      release();
      throw error;
    }
    return new PoolShellSession(connection, opened.stream, opened.state, release);
  }

  /**
   * Whether processes of the session `remotePid` started are still running on the host. The command's
   * shell is its session leader (sshd gives every non-PTY session its own), so its session id is that
   * pid: children it left behind count too.
   */
  async probe(host: HostSpec, remotePid: number): Promise<'running' | 'gone'> {
    if (!Number.isInteger(remotePid) || remotePid <= 1) throw new OpsError('probe', `${remotePid} is not a process id.`);
    let answer = '';
    const script = `if command -v pgrep >/dev/null 2>&1; then pgrep -s ${remotePid} >/dev/null && echo running || echo gone; elif [ -d /proc/${remotePid} ]; then echo running; else echo gone; fi`;
    await this.exec(host, script, { timeoutMs: 15_000, onStdout: (chunk) => (answer += chunk.toString()) });
    return answer.trim() === 'running' ? 'running' : 'gone';
  }

  /**
   * Opens a TCP stream to address:port as seen from `host` (ssh2 forwardOut, like `ssh -L`), over the
   * host's shared connection: how `sql` steps reach a database that listens on a controller.
   */
  async forward(host: HostSpec, address: string, port: number): Promise<Duplex> {
    const connection = await this.connection(host);
    return new Promise((resolve, reject) => {
      try {
        connection.client.forwardOut('127.0.0.1', 0, address, port, (error, stream) => {
          if (!error) return resolve(stream);
          reject(
            new SshChannelError(host, `a tunnel to ${address}:${port} (${error.message}; does sshd allow TCP forwarding, and does anything listen there?)`, {
              cause: error,
            }),
          );
        });
      } catch (error) {
        connection.markLost(error);
        reject(connection.lostDuring(`tunnel to ${address}:${port}`));
      }
    });
  }

  /**
   * Closes every connection. Running commands are stopped on their hosts first, as an abort does
   * (they reject with CancelledError); terminals close.
   */
  async close(): Promise<void> {
    this.closed = true;
    // Hosts still waiting for their turn to connect never start.
    this.handshakes.failAll(new CancelledError('The SSH session'));
    const pending = [...this.connections.values()];
    this.connections.clear();
    const connections = await Promise.all(pending.map((promise) => promise.catch(() => null)));
    const all = [...new Set([...connections, ...this.live])].filter((connection): connection is Connection => connection !== null);
    const running = all.flatMap((connection) => [...connection.running]);
    for (const command of running) command.cancel();
    // Each stop settles within killGraceMs + CLOSE_AFTER_KILL_MS, so this wait is bounded.
    await Promise.all(running.map((command) => command.done));
    for (const connection of all) {
      connection.closing = true;
      connection.markLost();
      connection.client.end();
    }
    await Promise.all([...this.live].map((connection) => Promise.race([connection.closed, delay(2000).then(() => connection.client.destroy())])));
    this.live.clear();
  }

  /** Kills the command's process group and session on the host (see the module comment). */
  private async killRemote(connection: Connection, pid: number, sudo: boolean): Promise<void> {
    if (!Number.isInteger(pid) || pid <= 1) return;
    let release: (() => void) | undefined;
    try {
      release = await connection.killSlots.acquire();
      const graceTicks = Math.max(1, Math.ceil(this.options.killGraceMs / 100));
      const { stream, state } = await connection.openChannel('exec', (callback) => connection.client.exec(killScript(pid, sudo, graceTicks), callback));
      await new Promise<void>((resolve) => {
        if (state.closed) return resolve();
        stream.on('close', () => resolve());
        stream.on('error', () => resolve());
        stream.resume();
        stream.stderr.resume();
        stream.end();
      });
    } catch {
      // The connection is gone: the command's fate is reported as unknown by the exec itself.
    } finally {
      release?.();
    }
  }

  private connection(host: HostSpec): Promise<Connection> {
    if (this.closed) return Promise.reject(new CancelledError('The SSH session'));
    const key = connectionKey(host);
    const existing = this.connections.get(key);
    if (existing) return existing;
    const promise = this.connect(host, key);
    this.connections.set(key, promise);
    promise.then(
      (connection) => {
        connection.client.once('close', () => {
          if (this.connections.get(key) === promise) this.connections.delete(key);
          this.live.delete(connection);
        });
        if (connection.lost && this.connections.get(key) === promise) this.connections.delete(key);
      },
      () => {
        if (this.connections.get(key) === promise) this.connections.delete(key);
      },
    );
    return promise;
  }

  private async connect(host: HostSpec, key: string): Promise<Connection> {
    const auth = await authConfig(host);
    let sock: ConnectConfig['sock'];
    if (host.jump) sock = await this.openJump(host);

    const knownTypes = await this.knownHosts.knownKeyTypes([host.address], host.port);
    const client = new Client();
    let presented: PresentedHostKey | null = null;
    let verifyError: OpsError | null = null;
    const hostVerifier = (keyBlob: Buffer, verify: (valid: boolean) => void) => {
      let keyType: string;
      try {
        keyType = keyTypeOfBlob(keyBlob);
      } catch (error) {
        verifyError = new SshError('ssh-host-key-invalid', host, `${describeHost(host)} presented a malformed host key.`, { cause: error });
        return verify(false);
      }
      const offered: PresentedHostKey = {
        host: host.name,
        address: host.address,
        port: host.port,
        keyType,
        fingerprint: fingerprintOf(keyBlob),
        keyBase64: keyBlob.toString('base64'),
      };
      presented = offered;
      this.knownHosts.verify([host.address], host.port, keyType, keyBlob).then(
        (verdict) => {
          const file = this.knownHosts.file;
          if (verdict.status === 'known') return verify(true);
          if (verdict.status === 'unknown') verifyError = new HostKeyUnknownError(offered, file, verdict.otherKeyTypes);
          else if (verdict.status === 'changed') verifyError = new HostKeyChangedError(offered, verdict.expectedFingerprint, file, verdict.line);
          else verifyError = new HostKeyRevokedError(offered, file, verdict.line);
          verify(false);
        },
        (error: unknown) => {
          verifyError = new SshError(
            'ssh-known-hosts',
            host,
            `Cannot read the known_hosts file ${this.knownHosts.file} to check ${describeHost(host)}: ${(error as Error).message}.`,
            { cause: error },
          );
          verify(false);
        },
      );
    };

    const config: ConnectConfig = {
      host: host.address,
      port: host.port,
      username: host.user,
      ...auth.config,
      sock,
      readyTimeout: this.options.readyTimeoutMs,
      keepaliveInterval: this.options.keepaliveIntervalMs,
      keepaliveCountMax: this.options.keepaliveCountMax,
      hostVerifier,
      algorithms: knownTypes.length > 0 ? { serverHostKey: preferKnownTypes(knownTypes) as never } : undefined,
    };

    // The host's turn: readyTimeout (ssh2 starts it in connect()) counts from here, not from the queue.
    const releaseHandshake = await this.handshakes.acquire();
    if (this.closed) {
      releaseHandshake();
      throw new CancelledError('The SSH session');
    }
    return new Promise<Connection>((resolve, reject) => {
      let ready = false;
      const fail = (error: unknown) => {
        if (ready) return;
        ready = true; // settle once
        releaseHandshake();
        client.removeAllListeners('ready');
        client.destroy();
        reject(verifyError ?? mapConnectError(host, error, auth.methods, this.options.readyTimeoutMs));
      };
      client.once('ready', () => {
        if (ready) return;
        ready = true;
        releaseHandshake();
        // Without TCP_NODELAY every channel open waits on Nagle + delayed ACK (16x slower here).
        client.setNoDelay(true);
        const self = this.connections.get(key);
        const connection = new Connection(
          client,
          host,
          presented!,
          this.options.maxChannelsPerConnection,
          this.options.keepaliveIntervalMs * (this.options.keepaliveCountMax + 1),
          (dead) => {
            this.live.delete(dead);
            if (this.connections.get(key) === self) this.connections.delete(key);
          },
        );
        client.on('error', (error) => connection.markLost(error));
        client.on('end', () => connection.markLost());
        client.on('close', () => connection.markLost());
        this.opened++;
        this.live.add(connection);
        if (this.closed) {
          connection.closing = true;
          client.end();
        }
        resolve(connection);
      });
      client.on('error', fail);
      client.on('close', () => fail(new Error('Connection closed during the handshake')));
      try {
        client.connect(config);
        client.setNoDelay(true);
      } catch (error) {
        fail(error);
      }
    });
  }

  /** Connects to the jump host through the pool and opens a TCP channel from it to the target. */
  private async openJump(host: HostSpec): Promise<ClientChannel> {
    const jumpName = host.jump!;
    const jump = this.options.resolveHost?.(jumpName);
    if (!jump) {
      throw new SshJumpError(host, { name: jumpName, address: jumpName, port: 22 }, `no host named "${jumpName}" is defined in the environment.`);
    }
    if (jump.jump && connectionKey(jump) === connectionKey(host)) {
      throw new SshJumpError(host, jump, 'the jump hosts form a loop.');
    }
    let jumpConnection: Connection;
    try {
      jumpConnection = await this.connection(jump);
    } catch (error) {
      const detail = error instanceof OpsError ? error.userMessage : String(error);
      throw new SshJumpError(host, jump, detail, { cause: error });
    }
    return new Promise((resolve, reject) => {
      try {
        jumpConnection.client.forwardOut('127.0.0.1', 0, host.address, host.port, (error, stream) => {
          if (!error) return resolve(stream);
          reject(
            new SshJumpError(
              host,
              jump,
              `the jump host could not open a connection to ${host.address}:${host.port} (${error.message}). ` +
                `Check that the target's sshd runs and that the jump host allows TCP forwarding.`,
              { cause: error },
            ),
          );
        });
      } catch (error) {
        reject(new SshJumpError(host, jump, 'the connection to the jump host was lost.', { cause: error }));
      }
    });
  }
}

/** An interactive PTY shell on a pooled connection. */
class PoolShellSession implements ShellSession {
  private readonly dataListeners = new Set<(chunk: Buffer) => void>();
  private readonly closeListeners = new Set<(info: { exitCode: number | null; signal: string | null }) => void>();
  private done = false;

  constructor(
    private readonly connection: Connection,
    private readonly stream: ClientChannel,
    private readonly state: ChannelState,
    private readonly release: () => void,
  ) {
    const emit = (chunk: Buffer) => {
      for (const listener of this.dataListeners) listener(chunk);
    };
    stream.on('data', emit);
    stream.stderr.on('data', emit);
    // Finish once closed (the exit status comes before the close) and the buffered output is delivered
    // ('end'); never wait on the output forever.
    let ended = false;
    const tryFinish = () => {
      if (state.closed && ended) this.finish();
    };
    stream.on('end', () => {
      ended = true;
      tryFinish();
    });
    const onClosed = () => {
      tryFinish();
      setTimeout(() => this.finish(), 1000).unref();
    };
    stream.on('close', onClosed);
    stream.on('error', () => this.finish());
    connection.lossListeners.add(this.onLost);
    if (state.closed) onClosed();
  }

  private get exit(): { exitCode: number | null; signal: string | null } {
    return this.state.exit ?? { exitCode: null, signal: null };
  }

  private readonly onLost = () => {
    this.stream.destroy();
    this.finish();
  };

  write(data: string | Buffer): void {
    if (!this.done) this.stream.write(data);
  }

  resize(cols: number, rows: number): void {
    if (!this.done) this.stream.setWindow(rows, cols, 0, 0);
  }

  onData(listener: (chunk: Buffer) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  onClose(listener: (info: { exitCode: number | null; signal: string | null }) => void): () => void {
    if (this.done) {
      queueMicrotask(() => listener(this.exit));
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  close(): void {
    if (this.done) return;
    this.stream.close();
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.connection.lossListeners.delete(this.onLost);
    this.release();
    for (const listener of [...this.closeListeners]) listener(this.exit);
    this.closeListeners.clear();
    this.dataListeners.clear();
    this.stream.removeAllListeners('data');
    this.stream.stderr.removeAllListeners('data');
  }
}

export { shellQuote };

/** The remote command line for `command` (see the module comment). */
export function wrapCommand(command: string, nonce: string, sudo: boolean): string {
  const run = sudo ? `exec ${sudoCommand(command)}` : `eval ${shellQuote(command)}`;
  return `printf 'OPSDECK-PID:${nonce}:%s\\n' "$$"; ${run}`;
}

/** TERM the group and session, wait up to `graceTicks` × 100 ms, then KILL what is left. */
function killScript(pid: number, sudo: boolean, graceTicks: number): string {
  const as = sudo ? 'sudo -n ' : '';
  const left = `{ kill -0 -- -${pid} || pgrep -s ${pid}; } >/dev/null 2>&1`;
  return [
    // The unprivileged TERM reaches sudo itself, which relays it to the command.
    `kill -TERM -- -${pid} 2>/dev/null`,
    `${as}kill -TERM -- -${pid} 2>/dev/null`,
    `${as}pkill -TERM -s ${pid} 2>/dev/null`,
    `i=0; while [ $i -lt ${graceTicks} ] && ${left}; do sleep 0.1; i=$((i+1)); done`,
    `${as}kill -KILL -- -${pid} 2>/dev/null`,
    `${as}pkill -KILL -s ${pid} 2>/dev/null`,
    'exit 0',
  ].join('; ');
}

function connectionKey(host: HostSpec): string {
  return `${host.user}@${host.address}:${host.port}${host.jump ? ` via ${host.jump}` : ''}`;
}

function preferKnownTypes(knownTypes: string[]): string[] {
  const preferred = knownTypes.flatMap((type) => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]));
  const supported = preferred.filter((algorithm) => HOST_KEY_ALGORITHMS.includes(algorithm));
  return [...new Set([...supported, ...HOST_KEY_ALGORITHMS])];
}

/** Reads and checks the key up front so a bad key or passphrase is reported as such, not as an auth failure. */
async function authConfig(host: HostSpec): Promise<{ config: Partial<ConnectConfig>; methods: string[] }> {
  const config: Partial<ConnectConfig> = {};
  const methods: string[] = [];
  if (host.keyFile) {
    let key: Buffer;
    try {
      key = await fs.readFile(host.keyFile);
    } catch (error) {
      throw new SshKeyError(host, host.keyFile, 'unreadable', { cause: error });
    }
    const parsed = utils.parseKey(key, host.passphrase);
    if (parsed instanceof Error) {
      const message = parsed.message.toLowerCase();
      const problem = message.includes('no passphrase')
        ? 'passphrase-missing'
        : message.includes('passphrase') || message.includes('decrypt') || message.includes('bad decrypt')
          ? 'passphrase-wrong'
          : 'invalid';
      throw new SshKeyError(host, host.keyFile, problem, { cause: parsed });
    }
    config.privateKey = key;
    if (host.passphrase !== undefined) config.passphrase = host.passphrase;
    methods.push(`publickey with ${host.keyFile}`);
  }
  if (host.agent) {
    config.agent = host.agent;
    methods.push(`agent at ${host.agent}`);
  }
  if (host.password !== undefined) {
    config.password = host.password;
    config.tryKeyboard = true;
    methods.push('password');
  }
  return { config, methods };
}

function mapConnectError(host: HostSpec, error: unknown, methods: string[], readyTimeoutMs: number): OpsError {
  if (error instanceof OpsError) return error;
  const details = error as { code?: string; level?: string; message?: string };
  const message = details.message ?? String(error);
  switch (details.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return new SshDnsError(host, { cause: error });
    case 'ECONNREFUSED':
      return new SshRefusedError(host, { cause: error });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new SshUnreachableError(host, { cause: error });
    case 'ETIMEDOUT':
      return new SshTimeoutError(host, 'connect', readyTimeoutMs, { cause: error });
  }
  if (details.level === 'client-authentication') return new SshAuthError(host, host.user, methods, { cause: error });
  if (details.level === 'client-timeout') return new SshTimeoutError(host, 'handshake', readyTimeoutMs, { cause: error });
  if (details.level === 'client-dns') return new SshDnsError(host, { cause: error });
  if (/privateKey|private key/i.test(message) && host.keyFile) {
    return new SshKeyError(host, host.keyFile, 'invalid', { cause: error });
  }
  return new SshError('ssh-connect', host, `Cannot connect to ${describeHost(host)}: ${message}.`, { cause: error });
}

function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new CancelledError('The command'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError('The command'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
