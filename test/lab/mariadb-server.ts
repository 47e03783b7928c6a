/**
 * A minimal MariaDB for tests: its own data directory (mariadb-install-db), `--no-defaults` so
 * /etc/mysql is never read, a free port on 127.0.0.1, its own socket and PID file, no binary log.
 * Root logs in by unix socket (what install-db sets up), so `sql()` runs statements as root with the
 * mariadb client; tests create the password users their TCP clients need.
 *
 * The server can be stopped (SIGTERM, or SIGKILL for a crash) and started again on the same data and
 * port, to test what happens while the database is down. Everything is killed by PID, also on exit.
 * Needs root (install-db and mariadbd run as the `mysql` user) and the Debian packages
 * mariadb-server and mariadb-client.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';

const run = promisify(execFile);

export interface MariaDb {
  port: number;
  /** The PID of the running mariadbd (0 while stopped). */
  readonly pid: number;
  dir: string;
  /** Runs SQL (several statements) as root over the unix socket; resolves with the client's stdout. */
  sql(statements: string): Promise<string>;
  /** Stops the server: SIGTERM (clean shutdown) or SIGKILL (a crash). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same data directory and port. */
  start(): Promise<void>;
  /** Stops it and removes the data directory. */
  destroy(): Promise<void>;
}

/** Starts a fresh MariaDB; ready to accept connections when the promise resolves. */
export async function startMariaDb(): Promise<MariaDb> {
  for (const binary of ['/usr/sbin/mariadbd', '/usr/bin/mariadb-install-db', '/usr/bin/mariadb']) {
    if (!existsSync(binary)) throw new Error(`${binary} is missing: apt-get install -y --no-install-recommends mariadb-server mariadb-client`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-mariadb-'));
  // mariadbd runs as mysql and must reach its files inside.
  chmodSync(dir, 0o755);
  const dataDir = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  const pidFile = path.join(dir, 'mysqld.pid');
  const logFile = path.join(dir, 'error.log');
  await run('/usr/bin/mariadb-install-db', ['--no-defaults', '--user=mysql', `--datadir=${dataDir}`, '--auth-root-authentication-method=socket', '--skip-test-db'], {
    maxBuffer: 16 * 1024 * 1024,
  });
  // mariadbd (as mysql) creates its socket, PID file and log next to the data.
  const [uid, gid] = await Promise.all([run('id', ['-u', 'mysql']), run('id', ['-g', 'mysql'])]).then((ids) => ids.map(({ stdout }) => Number(stdout.trim())));
  chownSync(dir, uid, gid);
  const port = await freePort();
  let child: ChildProcess | null = null;

  const killSync = () => {
    if (child?.pid) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  process.on('exit', killSync);

  const launch = async () => {
    const started = spawn(
      '/usr/sbin/mariadbd',
      [
        '--no-defaults',
        '--user=mysql',
        `--datadir=${dataDir}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${socket}`,
        `--pid-file=${pidFile}`,
        `--log-error=${logFile}`,
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
        '--innodb-log-file-size=16M',
        '--max-connections=100',
      ],
      { stdio: 'ignore' },
    );
    child = started;
    const exited = new Promise<never>((_, reject) =>
      started.once('exit', (code, signal) => reject(new Error(`mariadbd exited while starting (${code ?? signal}):\n${tail(logFile)}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitReady(socket, 30_000), exited]);
    started.unref();
  };

  const server: MariaDb = {
    port,
    dir,
    get pid() {
      return child?.exitCode === null && child.signalCode === null ? (child.pid ?? 0) : 0;
    },
    async sql(statements: string) {
      const { stdout } = await run('/usr/bin/mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', '--batch', '-e', statements], { maxBuffer: 64 * 1024 * 1024 });
      return stdout;
    },
    async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => current.once('exit', () => resolve()));
      current.kill(signal);
      const timer = setTimeout(() => current.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    },
    async start() {
      if (server.pid) return;
      await launch();
    },
    async destroy() {
      await server.stop('SIGKILL');
      process.removeListener('exit', killSync);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await launch();
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}

async function waitReady(socket: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(socket)) {
      try {
        await run('/usr/bin/mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', '-e', 'SELECT 1']);
        return;
      } catch {
        // Not accepting yet.
      }
    }
    if (Date.now() > deadline) throw new Error(`MariaDB did not accept connections on ${socket} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}
