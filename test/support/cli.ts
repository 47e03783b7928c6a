/**
 * What the integration, fault and end-to-end tests share: the real `opsdeck` CLI in-process (the same
 * code the bin runs) and as a child process, runbook files written for a test, journals read back, and
 * bounded waits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JournalRecord } from '../../electron/core/audit/events';
import { main } from '../../electron/cli';
import { makeStyle } from '../../electron/cli/printer';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** The CLI in-process, without a terminal. */
export async function opsdeck(...args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (text) => (out += text),
    err: (text) => (err += text),
    interactive: false,
    style: makeStyle(false),
  });
  return { code, out, err };
}

export interface CliChild {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The real `opsdeck` bin as a child process (tsx), stdout/stderr captured. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliChild {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/opsdeck.mjs'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, out: () => out, err: () => err, exited };
}

export function writeRunbook(dir: string, name: string, yaml: string): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

export function runIdOf(output: string): string {
  const match = /Run (\S+):/.exec(output);
  if (!match) throw new Error(`no run id in:\n${output}`);
  return match[1];
}

export function runIdsIn(auditDir: string): string[] {
  const runs = path.join(auditDir, 'runs');
  return existsSync(runs) ? readdirSync(runs).sort() : [];
}

export function journalText(auditDir: string, runId: string): string {
  return readFileSync(path.join(auditDir, 'runs', runId, 'journal.jsonl'), 'utf8');
}

export function journal(auditDir: string, runId: string): JournalRecord[] {
  return journalText(auditDir, runId)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as JournalRecord);
}

export type Finished = Extract<JournalRecord, { type: 'step.finished' }>;

export function finishedSteps(records: JournalRecord[], step?: string): Finished[] {
  return records.filter((record): record is Finished => record.type === 'step.finished' && (step === undefined || record.step === step));
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const result: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) result.push(...filesUnder(full));
    else result.push(full);
  }
  return result;
}

export async function waitFor(condition: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The last step.finished of a step (a retried step has several). */
export function lastFinished(records: JournalRecord[], step: string): Finished | undefined {
  return finishedSteps(records, step).at(-1);
}
