/**
 * An SshConnector that runs commands with the local /bin/sh instead of over SSH, for unit tests of the
 * runner's logic (statuses, retries, captures, prompts, rollback). Everything that concerns SSH itself
 * is tested against real sshd in test/integration. Every host of the environment is this machine;
 * the command sees the host's name in $OPSDECK_HOST.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { CancelledError } from '../../errors';
import { SshConnectionLostError } from '../../ssh/errors';
import type { HostSpec } from '../../inventory/model';
import type { ExecOptions, ExecResult, PresentedHostKey, ShellSession, SshConnector } from '../../ssh/types';

export class LocalShellConnector implements SshConnector {
  /** Every command run, in order, with its host. */
  readonly commands: Array<{ host: string; command: string }> = [];
  /** Hosts whose next command fails as if the connection dropped. */
  readonly dropNext = new Set<string>();

  exec(host: HostSpec, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.commands.push({ host: host.name, command });
    if (this.dropNext.delete(host.name)) {
      // As over SSH: the command had started on the host before the connection went.
      options.onStarted?.(LocalShellConnector.DROPPED_PID);
      return Promise.reject(new SshConnectionLostError({ name: host.name, address: host.address, port: host.port }, 'closed', { command }));
    }
    if (options.signal?.aborted) return Promise.reject(new CancelledError('The command'));
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], { detached: true, env: { ...process.env, OPSDECK_HOST: host.name } });
      let timedOut = false;
      const kill = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      };
      const timer = options.timeoutMs ? setTimeout(() => ((timedOut = true), kill()), options.timeoutMs) : undefined;
      const onAbort = () => kill();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (chunk: Buffer) => options.onStdout?.(chunk));
      child.stderr.on('data', (chunk: Buffer) => options.onStderr?.(chunk));
      if (options.stdin !== undefined) child.stdin.end(options.stdin);
      else child.stdin.end();
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (options.signal?.aborted && !timedOut) {
          reject(new CancelledError('The command'));
          return;
        }
        resolve({ exitCode: code, signal: signal ? signal.replace(/^SIG/, '') : null, timedOut, durationMs: Date.now() - started });
      });
    });
  }

  shell(): Promise<ShellSession> {
    return Promise.reject(new Error('LocalShellConnector has no PTY shells'));
  }

  /** The process id a dropped command had; {@link stillRunning} says whether it still runs. */
  static readonly DROPPED_PID = 4242;
  stillRunning = false;

  async probe(): Promise<'running' | 'gone'> {
    return this.stillRunning ? 'running' : 'gone';
  }

  /** The local machine is every host, so a tunnel is a plain TCP connection. */
  async forward(_host: HostSpec, address: string, port: number): Promise<Duplex> {
    return net.connect({ host: address, port });
  }

  async check(host: HostSpec): Promise<PresentedHostKey> {
    return { host: host.name, address: host.address, port: host.port, keyType: 'local', fingerprint: 'SHA256:local', keyBase64: '' };
  }

  async close(): Promise<void> {}
}
