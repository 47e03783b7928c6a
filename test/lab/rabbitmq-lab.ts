/**
 * An isolated RabbitMQ node for tests (see /work/shared/MACHINE-NOTES.md, "RabbitMQ for tests"): its
 * own node name, AMQP and distribution ports picked at run time, a private epmd on its own port, its
 * own mnesia, log and config files and its own cookie (in its own HOME). It is driven through the
 * wrappers of the service lab (bin/lab-rabbit, bin/lab-rabbitmqctl read bin/rabbit.env), which are
 * also the words of the lab profile, so the runbook and the test drive the same node the same way.
 *
 * Everything runs as root (the test runs as root; the runbook's steps reach the wrappers through
 * `sudo`). stop() kills the broker and the private epmd by PID, and process exit does too.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { alive, shellQuote, signal, type ServiceLab } from './service-standins';
import { freePort } from './ports';

const run = promisify(execFile);

export interface RabbitLab {
  nodeName: string;
  amqpPort: number;
  /** The mnesia base directory (the lab profile's rabbitmq_mnesia_dir). */
  mnesiaDir: string;
  /** rabbitmqctl against the node; never throws, gives the exit code. */
  ctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** amqp://user:pass@127.0.0.1:port/%2F */
  amqpUrl(user: string, password: string, vhost?: string): string;
  /** Declares queues over AMQP as `user` (durable when asked), with the lab's AMQP stand-in. */
  declare(user: string, password: string, queues: string[], durable?: boolean): Promise<void>;
  /** Publishes `count` messages to a queue (declared non-durable if missing). */
  publish(user: string, password: string, queue: string, count: number): Promise<void>;
  /** The OS pid of beam.smp now (from the node's pid file), or 0. */
  beamPid(): number;
  /** SIGSTOPs beam.smp: the node stops answering without closing anything (a hung broker). */
  hang(): void;
  /** queue name → consumer count, in vhost `/`. */
  consumers(): Promise<Map<string, number>>;
  /** Kills the broker and the private epmd by PID. */
  stop(): Promise<void>;
}

export async function startRabbitLab(services: ServiceLab): Promise<RabbitLab> {
  const base = path.join(services.dir, 'rabbit');
  const home = path.join(base, 'home');
  const mnesiaDir = path.join(base, 'mnesia');
  const logDir = path.join(base, 'log');
  const runDir = path.join(base, 'run');
  for (const dir of [home, mnesiaDir, logDir, runDir]) mkdirSync(dir, { recursive: true });
  const amqpPort = await freePort();
  const distPort = await freePort();
  const epmdPort = await freePort();
  const nodeName = `opsdeck${amqpPort}@localhost`;
  const cookie = path.join(home, '.erlang.cookie');
  if (!existsSync(cookie)) writeFileSync(cookie, `OPSDECKLAB${amqpPort}${Date.now()}`, { mode: 0o400 });
  writeFileSync(path.join(base, 'enabled_plugins'), '[].\n');
  writeFileSync(path.join(base, 'rabbitmq.conf'), 'disk_free_limit.absolute = 50MB\nlog.file.level = info\n');
  writeFileSync(path.join(base, 'rabbitmq-env.conf'), '');
  const pidFile = path.join(runDir, 'rabbit.pid');
  const env: Record<string, string> = {
    HOME: home,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_MNESIA_BASE: mnesiaDir,
    RABBITMQ_LOG_BASE: logDir,
    RABBITMQ_CONFIG_FILE: path.join(base, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(base, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: path.join(base, 'rabbitmq-env.conf'),
    RABBITMQ_PID_FILE: pidFile,
  };
  writeFileSync(
    path.join(services.binDir, 'rabbit.env'),
    Object.entries(env)
      .map(([key, value]) => `export ${key}=${shellQuote(value)}`)
      .join('\n') + '\n',
  );

  // The private epmd, started here so that its PID is known (a node would start a daemonised one).
  const epmd: ChildProcess = spawn('epmd', ['-port', String(epmdPort), '-address', '127.0.0.1'], { stdio: 'ignore', detached: true });
  epmd.unref();
  await waitForPort(epmdPort, 5000);

  const beamPid = () => {
    try {
      return Number(readFileSync(pidFile, 'utf8').trim()) || 0;
    } catch {
      return 0;
    }
  };
  const seenBeams = new Set<number>();
  const killAll = () => {
    for (const pid of [...seenBeams, beamPid()]) {
      signal(pid, 'SIGKILL');
    }
    signal(epmd.pid ?? 0, 'SIGKILL');
  };
  process.once('exit', killAll);

  const ctlPath = path.join(services.binDir, 'lab-rabbitmqctl');
  const ctl = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(ctlPath, args, { timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
  const standin = async (args: string[]) => {
    await run(process.execPath, [path.join(services.binDir, 'amqp-standin.mjs'), ...args], { timeout: 30_000 });
  };
  const amqpUrl = (user: string, password: string, vhost = '/') =>
    `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${amqpPort}/${encodeURIComponent(vhost)}`;

  try {
    await run(path.join(services.binDir, 'lab-rabbit'), ['start'], { timeout: 120_000 });
  } catch (error) {
    killAll();
    const log = readdirSync(logDir)
      .map((file) => readFileSync(path.join(logDir, file), 'utf8').slice(-2000))
      .join('\n');
    throw new Error(`The lab's RabbitMQ node did not start: ${(error as Error).message}\n${log}`);
  }
  seenBeams.add(beamPid());

  return {
    nodeName,
    amqpPort,
    mnesiaDir,
    ctl,
    amqpUrl,
    declare: (user, password, queues, durable = false) => standin(['declare', '--url', amqpUrl(user, password), '--queues', queues.join(','), ...(durable ? ['--durable'] : [])]),
    publish: (user, password, queue, count) => standin(['publish', '--url', amqpUrl(user, password), '--queues', queue, '--count', String(count)]),
    beamPid,
    hang() {
      const pid = beamPid();
      if (!alive(pid)) throw new Error('no beam.smp to hang');
      seenBeams.add(pid);
      signal(pid, 'SIGSTOP');
    },
    async consumers() {
      const result = await ctl('-q', '--no-table-headers', 'list_queues', 'name', 'consumers');
      if (result.code !== 0) throw new Error(`list_queues failed (${result.code}): ${result.stderr}`);
      const map = new Map<string, number>();
      for (const line of result.stdout.trim().split('\n').filter(Boolean)) {
        const [name, count] = line.split('\t');
        map.set(name, Number(count));
      }
      return map;
    },
    async stop() {
      process.removeListener('exit', killAll);
      const pids = [...seenBeams, beamPid()].filter(alive);
      killAll();
      const deadline = Date.now() + 5000;
      while ([...pids, epmd.pid ?? 0].some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    },
  };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
