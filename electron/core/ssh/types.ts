import type { Duplex } from 'node:stream';

/**
 * What the rest of the engine needs from SSH. ./pool.ts implements it with ssh2; tests of the runner
 * may implement it with a local shell, but integration tests use the real thing against real sshd.
 */
import type { HostSpec } from '../inventory/model';

export interface ExecOptions {
  /** Kill the remote command (and its process group) after this long; the result says `timedOut`. */
  timeoutMs?: number;
  /** Called with raw output as it arrives; decoding and masking are the caller's business. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Aborting kills the remote command like a timeout does; the promise then rejects with CancelledError. */
  signal?: AbortSignal;
  /**
   * Called once the command runs on the host, with its process id there (also its session id): what
   * {@link SshConnector.probe} asks about after a lost connection.
   */
  onStarted?: (remotePid: number) => void;
  /** Bytes written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer;
  /** Run through `sudo -n` (never prompts: a missing sudo rule fails fast with a clear message). */
  sudo?: boolean;
}

export interface ExecResult {
  /** The remote exit code; null when the command was killed by a signal or never reported one. */
  exitCode: number | null;
  /** The signal that ended the command (`KILL`, `TERM`...), if any. */
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
}

export interface ShellOptions {
  cols: number;
  rows: number;
  term?: string;
}

/** An interactive PTY shell on a host (host terminals). */
export interface ShellSession {
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
  onData(listener: (chunk: Buffer) => void): () => void;
  onClose(listener: (info: { exitCode: number | null; signal: string | null }) => void): () => void;
  /** Stop reading from the channel (backpressure); data waits in the SSH window. */
  pause(): void;
  resume(): void;
  close(): void;
}

/** The host key a server presented, as OpenSSH prints it. */
export interface PresentedHostKey {
  host: string;
  address: string;
  port: number;
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`... */
  keyType: string;
  /** `SHA256:...` without padding, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** base64 of the key blob, for writing a known_hosts line. */
  keyBase64: string;
}

export interface SshConnector {
  /** Runs one command on a host over the host's shared connection (a new channel, not a new connection). */
  exec(host: HostSpec, command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Opens an interactive PTY shell on a host. */
  shell(host: HostSpec, options: ShellOptions): Promise<ShellSession>;
  /** Connects (or reuses the connection) and returns once authenticated; throws the typed SSH errors. */
  check(host: HostSpec): Promise<PresentedHostKey>;
  /**
   * After a lost connection: whether the command started as `remotePid` (see ExecOptions.onStarted)
   * still has processes running on the host. Reconnects to ask.
   */
  probe(host: HostSpec, remotePid: number): Promise<'running' | 'gone'>;
  /** A TCP stream to address:port as seen from the host (port forwarding over its connection). */
  forward(host: HostSpec, address: string, port: number): Promise<Duplex>;
  /** Closes every connection. */
  close(): Promise<void>;
}
