/**
 * What every benchmark case shares: the work directory, the SSH lab, OpenSSH command lines for the
 * baselines, Debian packages the baselines need, timing and medians, generated runbooks, and runs of
 * the real engine (in this process or in a child process whose memory is measured on its own).
 *
 * Everything a case starts is registered with {@link Bench.onCleanup} and stopped by PID in
 * {@link Bench.cleanup}, which index.ts calls even when a case throws.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RunStatus } from '../electron/core/audit/events';
import { loadEnvironment } from '../electron/core/inventory/environment';
import type { HostSpec } from '../electron/core/inventory/model';
import { connectorsFor, createRunSession } from '../electron/core/run/session';
import { RunbookLibrary } from '../electron/core/runbook/library';
import { startSshLab, type SshLab } from '../test/lab/sshd-lab';

const execFileAsync = promisify(execFile);

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const WORK_DIR = path.join(BENCH_DIR, 'work');

/** One figure of a case, compared with its baseline measured in the same run. */
export interface Row {
  figure: string;
  /** The measured value, as printed (with its unit). */
  value: string;
  baseline: string;
  /** How the figure compares with the baseline, as printed ("0.41x the time"); '' when there is none. */
  ratio: string;
  target: string;
  /** null: the figure has no target of its own (context). */
  met: boolean | null;
}

export interface CaseResult {
  id: number;
  title: string;
  rows: Row[];
  notes: string[];
  /** Set when the case did not run; the reason goes in RESULTS.md. */
  notRun?: string;
}

export interface BenchOptions {
  /** Fewer repetitions and smaller sizes: a smoke run of the harness, not results. */
  quick: boolean;
  /** Where the cases work; default bench/work. Emptied at the start. */
  work?: string;
  /** false: fan-out-scale leaves out its Ansible runs (10 minutes each at 300 hosts on a loaded machine). */
  ansible?: boolean;
  /** fan-out-scale: only these host counts (of 100 and 300). */
  sizes?: number[];
  /** Repetitions of the timed runs in fan-out-scale and throughput instead of their defaults. */
  reps?: number;
}

/** The shared state of one `npm run bench`. */
export class Bench {
  readonly work: string;
  private readonly cleanups: Array<{ label: string; run: () => Promise<void> | void }> = [];

  constructor(readonly options: BenchOptions) {
    this.work = path.resolve(options.work ?? WORK_DIR);
    // A second bench on the same directory would empty it under the first one's feet (its lab's keys,
    // its runbooks): refuse while the first one's process lives.
    const lock = path.join(this.work, 'bench.pid');
    const holder = existsSync(lock) ? Number(readFileSync(lock, 'utf8')) : 0;
    if (holder && holder !== process.pid && existsSync(`/proc/${holder}`)) {
      throw new Error(`Another bench (PID ${holder}) is working in ${this.work}; wait for it, or give this one --work <another directory>.`);
    }
    rmSync(this.work, { recursive: true, force: true });
    mkdirSync(this.work, { recursive: true });
    writeFileSync(lock, String(process.pid));
  }

  /** A fresh directory under bench/work. */
  dir(name: string): string {
    const directory = path.join(this.work, name);
    rmSync(directory, { recursive: true, force: true });
    mkdirSync(directory, { recursive: true });
    return directory;
  }

  /** Runs `run` at cleanup, last registered first. */
  onCleanup(label: string, run: () => Promise<void> | void): void {
    this.cleanups.push({ label, run });
  }

  async cleanup(): Promise<void> {
    for (const { label, run } of this.cleanups.splice(0).reverse()) {
      try {
        await run();
      } catch (error) {
        process.stderr.write(`cleanup of ${label} failed: ${(error as Error).message}\n`);
      }
    }
  }

  /**
   * Starts sshd hosts `h01`… (`h001`… from 100 hosts) on 127.0.0.10… (test/lab/sshd-lab.ts labAddress),
   * stopped at cleanup. `roles` gives a host (by its index) roles beside `bench`.
   */
  async lab(name: string, hostCount: number, roles: (index: number) => string[] = () => []): Promise<SshLab> {
    const width = Math.max(2, String(hostCount).length);
    const hosts = Array.from({ length: hostCount }, (_, index) => ({ name: `h${String(index + 1).padStart(width, '0')}`, roles: ['bench', ...roles(index)] }));
    // INFO, not VERBOSE: the lab's default logs every channel, which is disk work inside the timings.
    const lab = await startSshLab({ hosts, dir: this.dir(name), logLevel: 'INFO' });
    this.onCleanup(`ssh lab ${name}`, () => lab.stop());
    return lab;
  }
}

// ---- timing --------------------------------------------------------------------------------------

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Milliseconds `work` took. */
export async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs `work` `times` times, one after another, and returns each result. Bounded by `times`. */
export async function repeat<T>(label: string, times: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let index = 0; index < times; index++) {
    results.push(await work(index));
    progress(`${label}: ${index + 1}/${times}`);
  }
  return results;
}

/** The 1-minute load average: the machine is shared, and a busy minute shows in the times. */
export function loadAverage(): string {
  return os.loadavg()[0].toFixed(1);
}

export function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
}

export function formatRatio(ratio: number): string {
  return ratio >= 10 ? ratio.toFixed(0) : ratio >= 1 ? ratio.toFixed(2) : ratio.toFixed(3);
}

export const MIB = 1024 * 1024;

// ---- processes -----------------------------------------------------------------------------------

export interface ProcessResult {
  code: number | null;
  /** Whether it was killed at `timeoutMs` (then `ms` is only a lower bound of its time). */
  timedOut: boolean;
  ms: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to its end and times it. stdout is collected (the first MiB), discarded, or written
 * to a file (`{ file }`, opened before the clock starts). Killed (by its PID) after `timeoutMs`.
 */
export function runProcess(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; stdout?: 'collect' | 'discard' | { file: string }; cwd?: string } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const output = options.stdout;
    const stdoutFd = typeof output === 'object' ? openSync(output.file, 'w') : undefined;
    const start = process.hrtime.bigint();
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', stdoutFd ?? (output === 'discard' ? 'ignore' : 'pipe'), 'pipe'],
    });
    // The child has its own copy of the descriptor.
    if (stdoutFd !== undefined) closeSync(stdoutFd);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (stdout.length < MIB) stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < MIB) stderr += chunk.toString();
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 600_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, ms: Number(process.hrtime.bigint() - start) / 1e6, stdout, stderr });
    });
  });
}

/** Writes back every dirty page (sync(1)), so what an earlier repetition wrote is not written during the next. */
export async function settleDisk(): Promise<void> {
  expectSuccess(await runProcess('sync', [], { timeoutMs: 120_000 }), 'sync');
}

/** Throws with the program's stderr when it did not exit 0. */
export function expectSuccess(result: ProcessResult, what: string): ProcessResult {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}: ${result.stderr.slice(0, 2000)}${result.stdout.slice(0, 2000)}`);
  return result;
}

/**
 * Makes sure the programs the baselines need are installed, with Debian's packages: program → package.
 * apt-get update is only run when the install fails without it.
 */
export async function ensureDebianPackages(programs: Record<string, string>): Promise<void> {
  const missing = [
    ...new Set(
      Object.entries(programs)
        .filter(([program]) => !existsSync(program))
        .map(([, pkg]) => pkg),
    ),
  ];
  if (missing.length === 0) return;
  progress(`installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Another apt-get on the machine holds dpkg's lock for a while: wait for it rather than fail.
  const install = ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', ...missing];
  try {
    await execFileAsync('apt-get', install, { env, maxBuffer: 64 * MIB });
  } catch {
    await execFileAsync('apt-get', ['update'], { env, maxBuffer: 64 * MIB });
    await execFileAsync('apt-get', install, { env, maxBuffer: 64 * MIB });
  }
}

// ---- OpenSSH baselines ---------------------------------------------------------------------------

/** OpenSSH client options equivalent to what the pool does: the lab key, the lab's known_hosts, no prompts. */
export function openSshOptions(lab: SshLab): string[] {
  return [
    '-F',
    '/dev/null',
    '-i',
    lab.keyFile,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${lab.knownHostsFile}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
  ];
}

/** `-p PORT user@address` for a lab host. */
export function openSshTarget(host: HostSpec): string[] {
  return ['-p', String(host.port), `${host.user}@${host.address}`];
}

// ---- the engine ----------------------------------------------------------------------------------

/** Writes a runbook file made of the given YAML step lines and returns its path. */
export function writeRunbook(directory: string, id: string, steps: string[]): string {
  const file = path.join(directory, `${id}.yaml`);
  writeFileSync(file, [`id: ${id}`, `title: Bench ${id}`, 'version: "1"', `description: Generated by bench/ for ${id}.`, 'steps:', ...steps, ''].join('\n'));
  return file;
}

export interface EngineRun {
  status: RunStatus;
  /** From creating the connection pool to the journal closed (connecting included, pool close not). */
  ms: number;
  runId: string;
  runDirectory: string;
}

/**
 * Runs a runbook file through createRunSession with a fresh connection pool and a real journal in
 * `auditDir`, as the CLI does after its preflight (the first step connects). `params` as `-p` gives them.
 */
export async function runEngine(runbookFile: string, envFile: string, auditDir: string, params: Record<string, string> = {}): Promise<EngineRun> {
  const library = await RunbookLibrary.load([runbookFile]);
  const runbook = library.getByFile(path.resolve(runbookFile));
  if (!runbook) throw new Error(`${runbookFile} did not load: ${JSON.stringify(library.problems)}`);
  const environment = await loadEnvironment(envFile);
  const start = process.hrtime.bigint();
  const connectors = connectorsFor(environment);
  try {
    const session = createRunSession({
      runbook,
      library,
      environment,
      params,
      ssh: connectors.ssh,
      sql: connectors.sql,
      operator: 'bench',
      auditDir,
      onFailure: 'stop',
    });
    const status = await session.start();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    return { status, ms, runId: session.runId, runDirectory: session.runDirectory };
  } finally {
    await connectors.close();
  }
}

export interface ChildEngineRun extends EngineRun {
  /** The child's peak resident set (VmHWM), MiB. */
  peakRssMiB: number;
  /** CPU time the child used during the run (start-up not included), ms. */
  cpuMs: number;
  /** Busy CPU time of the whole machine (every process, both cores) during the run, ms. */
  machineCpuMs: number;
  /** The most file descriptors the child had open at once (sampled every 100 ms). */
  peakFds: number;
}

/** Busy CPU time of the whole machine (all cores, every process), from /proc/stat, in milliseconds. */
export function machineBusyMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user, nice, system, irq, softirq (not idle, iowait, steal); USER_HZ is 100.
  return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) * 10;
}

/**
 * {@link runEngine} in a child Node process (bench/engine-child.ts), so that its peak memory is the
 * engine's alone, not the harness's. `cpuProfileDir` writes a V8 CPU profile there.
 */
export async function runEngineInChild(
  runbookFile: string,
  envFile: string,
  auditDir: string,
  options: { cpuProfileDir?: string; timeoutMs?: number; params?: Record<string, string> } = {},
): Promise<ChildEngineRun> {
  const nodeArgs = ['--import', 'tsx'];
  if (options.cpuProfileDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
  const result = await runProcess(process.execPath, [...nodeArgs, path.join(BENCH_DIR, 'engine-child.ts'), runbookFile, envFile, auditDir, JSON.stringify(options.params ?? {})], {
    timeoutMs: options.timeoutMs ?? 600_000,
  });
  expectSuccess(result, 'the engine child');
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as ChildEngineRun;
}

/** The peak resident set of this process so far (VmHWM), MiB. */
export function peakRssMiB(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

/** Streams a journal and adds up the characters of its `step.output` records. */
export async function journalOutputChars(journalFile: string): Promise<{ records: number; outputChars: number }> {
  const lines = createInterface({ input: createReadStream(journalFile, { highWaterMark: MIB }), crlfDelay: Infinity });
  let records = 0;
  let outputChars = 0;
  for await (const line of lines) {
    records++;
    if (!line.includes('"type":"step.output"')) continue;
    const record = JSON.parse(line) as { data: string };
    outputChars += record.data.length;
  }
  return { records, outputChars };
}

/** Streams an asciicast file and adds up the characters of its events (after its header). */
export async function castChars(castFile: string): Promise<number> {
  const lines = createInterface({ input: createReadStream(castFile, { highWaterMark: MIB }), crlfDelay: Infinity });
  let chars = 0;
  let first = true;
  for await (const line of lines) {
    if (first) {
      first = false;
      continue;
    }
    if (line) chars += (JSON.parse(line) as [number, string, string])[2].length;
  }
  return chars;
}

// ---- the machine ---------------------------------------------------------------------------------

export async function machineInfo(): Promise<Record<string, string>> {
  const cpus = os.cpus();
  const version = async (command: string, args: string[]) => {
    try {
      const { stdout, stderr } = await execFileAsync(command, args);
      return (stdout || stderr).trim().split('\n')[0];
    } catch (error) {
      const output = (error as { stderr?: string }).stderr?.trim().split('\n')[0];
      return output || 'not installed';
    }
  };
  const osRelease = existsSync('/etc/os-release') ? (/^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '') : '';
  return {
    cores: String(cpus.length),
    cpu: cpus[0]?.model ?? 'unknown',
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    os: `${osRelease} (kernel ${os.release()})`,
    node: process.version,
    'OpenSSH client': await version('ssh', ['-V']),
    sshd: await version('/usr/sbin/sshd', ['-V']).then((text) => text.replace(/^.*?(OpenSSH)/, '$1')),
    ssh2: (JSON.parse(readFileSync(path.join(BENCH_DIR, '..', 'node_modules', 'ssh2', 'package.json'), 'utf8')) as { version: string }).version,
    ansible: await version('ansible', ['--version']),
    'parallel-ssh': await version('parallel-ssh', ['--version']),
  };
}
