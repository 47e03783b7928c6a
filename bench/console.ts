/**
 * What the console cases (3 UI, 6) share: the renderer built into bench/work, browser mode started
 * in a process of its own (bench/console-server.ts) whose memory is read from /proc, an API client
 * over the same WebSocket the page uses, and Debian's Chromium driven by playwright-core with the
 * flags of test/e2e/browser.ts. Everything started here is stopped at the case's cleanup, by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { launchChromium } from '../test/e2e/browser';
import { BENCH_DIR, type Bench, progress } from './setup';

export const ROOT = path.join(BENCH_DIR, '..');
const SERVER_ENTRY = path.join(BENCH_DIR, 'console-server.ts');

/** Builds the renderer of this checkout into `outDir` (never out/renderer, which tests may be serving). */
export async function buildRenderer(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: path.join(ROOT, 'vite.renderer.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
}

/** Resident memory of a process, MiB: now (VmRSS) and its peak so far (VmHWM). */
export function processMemoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

export interface ConsoleServer {
  url: string;
  origin: string;
  token: string;
  pid: number;
  /** SIGTERM (the server closes itself), SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/** Stops a child process by its PID: SIGTERM, then SIGKILL after `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const pid = child.pid;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** Reads a child's stdout until its first line, which is returned; rejects if it exits first. */
export function firstLine(child: ChildProcess, what: string, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`${what}: no output within ${timeoutMs} ms`)), timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString();
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(text.slice(0, end));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited ${code} before it was ready: ${stderr.slice(-2000)}`));
    });
  });
}

/** Browser mode (bench/console-server.ts) in its own process; stopped at the case's cleanup. */
export async function startConsoleServer(bench: Bench, options: { home: string; rendererDir: string; envFile?: string; build?: boolean }): Promise<ConsoleServer> {
  const args = ['--import', 'tsx', SERVER_ENTRY, '--home', options.home, '--renderer', options.rendererDir];
  if (options.envFile) args.push('--env', options.envFile);
  if (options.build) args.push('--build');
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  bench.onCleanup(`console server ${child.pid}`, () => stopChild(child));
  const line = await firstLine(child, 'the console server');
  const { url, origin, token } = JSON.parse(line) as { url: string; origin: string; token: string };
  return { url, origin, token, pid: child.pid!, stop: () => stopChild(child) };
}

type Reply = { ok: true; value: unknown } | { ok: false; error: { code: string; userMessage: string } };
type EventMessage = { event: string; payload: unknown };

/**
 * The console's API over a WebSocket of the harness's own, as the page talks to it: calls, and the
 * events every socket receives (run:event, terminal:data, ...).
 */
export class ApiSocket {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private readonly listeners = new Set<(message: EventMessage) => void>();

  private constructor(
    private readonly socket: WebSocket,
    acknowledgeOutput: boolean,
  ) {
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as { id?: number; result?: Reply } & Partial<EventMessage>;
      if (acknowledgeOutput && message.event === 'terminal:data') {
        // As a page does once xterm has parsed it (here: at once); the reply is not waited for.
        const { terminalId, data } = message.payload as { terminalId: string; data: string };
        this.socket.send(JSON.stringify({ id: this.nextId++, name: 'terminal:ack', payload: { terminalId, chars: data.length } }));
      }
      if (typeof message.id === 'number') {
        this.waiting.get(message.id)?.(message.result!);
        this.waiting.delete(message.id);
      } else if (message.event) {
        for (const listener of this.listeners) listener(message as EventMessage);
      }
    });
  }

  /**
   * Every socket is a window the console sends terminal output to and waits for (the slowest window
   * holds output back). `acknowledgeOutput` makes this one acknowledge what it gets at once, so the
   * page alone sets the pace, as for an operator with one window; without it, this socket holds back
   * every terminal's output once it is a window's budget behind.
   */
  static async connect(server: Pick<ConsoleServer, 'origin' | 'token'>, options: { acknowledgeOutput?: boolean } = {}): Promise<ApiSocket> {
    const socket = new WebSocket(`${server.origin.replace(/^http/, 'ws')}/api?token=${server.token}`, { headers: { Origin: server.origin } });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new ApiSocket(socket, options.acknowledgeOutput ?? false);
  }

  /** Calls a command; throws with the console's message when it answers `ok: false`. */
  async call<T>(name: string, payload: unknown): Promise<T> {
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.send(JSON.stringify({ id, name, payload }));
    });
    if (!reply.ok) throw new Error(`${name}: ${reply.error.userMessage}`);
    return reply.value as T;
  }

  /** Resolves when an event matching `test` arrives (or rejects after `timeoutMs`). */
  waitForEvent(test: (message: EventMessage) => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const listener = (message: EventMessage) => {
        if (!test(message)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`${what}: not within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** True for the run:event that ends run `runId`. */
export function isRunFinished(runId: string): (message: EventMessage) => boolean {
  return (message) => {
    if (message.event !== 'run:event') return false;
    const envelope = message.payload as { runId: string; event: { type: string } };
    return envelope.runId === runId && envelope.event.type === 'run.finished';
  };
}

/** True for the run:event that ends step `step` of run `runId`. */
export function isStepFinished(runId: string, step: string): (message: EventMessage) => boolean {
  return (message) => {
    if (message.event !== 'run:event') return false;
    const envelope = message.payload as { runId: string; event: { type: string; step?: string } };
    return envelope.runId === runId && envelope.event.type === 'step.finished' && envelope.event.step === step;
  };
}

/** Debian's Chromium (test/e2e/browser.ts: /usr/bin/chromium and the flags these machines need); closed at cleanup. */
export async function launchBrowser(bench: Bench): Promise<Browser> {
  progress('starting chromium');
  const browser = await launchChromium();
  bench.onCleanup('chromium', () => browser.close());
  return browser;
}
