/**
 * The `opsdeck` bin itself (bin/opsdeck.mjs): it runs a bundle of the CLI that it makes again whenever
 * a source is newer — an operator who pulls a fix must never run the code from before it — and a
 * reader that stops early (`| head`) is not an error.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli';

let copy: string;

/** Runs `node <copy>/bin/opsdeck.mjs args`; `closeStdout` closes the pipe before it writes, as `| head -0` does. */
function runBin(args: string[], closeStdout = false): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(copy, 'bin', 'opsdeck.mjs'), ...args], { cwd: copy, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    // Node takes a good 100 ms to start: the pipe is closed long before the first write.
    if (closeStdout) child.stdout.destroy();
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

beforeAll(() => {
  // A copy of the parts the bin needs, so the test can change a source without touching the checkout.
  copy = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-bin-'));
  for (const part of ['bin', 'electron', 'runbooks', 'package.json']) cpSync(path.join(ROOT, part), path.join(copy, part), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
});

afterAll(() => {
  rmSync(copy, { recursive: true, force: true });
});

describe('bin/opsdeck.mjs', () => {
  it('exits quietly when its reader stops early (| head)', async () => {
    const result = await runBin(['list'], true);
    expect(result.err).not.toMatch(/EPIPE|Error|at /);
    expect(result.code).toBe(0);
  });

  it('runs a bundle made from the sources, and makes it again when a source changes', async () => {
    const bundle = path.join(copy, 'out', 'cli', 'bundle', 'opsdeck.mjs');
    const first = await runBin(['list']);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    // The bundled runbooks are found from the bundle as from the sources.
    expect(first.out).toMatch(/^compute-evacuation\s/m);
    expect(first.out).toMatch(/^rabbitmq-hang-recovery\s/m);
    const built = statSync(bundle).mtimeMs;

    // Not built again while nothing changed.
    expect((await runBin(['list'])).code).toBe(0);
    expect(statSync(bundle).mtimeMs).toBe(built);

    // A fix pulled into a source: the next command runs it.
    const cli = path.join(copy, 'electron', 'cli.ts');
    writeFileSync(cli, readFileSync(cli, 'utf8').replace('opsdeck — run OpenStack', 'opsdeck (patched) — run OpenStack'));
    const later = new Date(built + 5_000);
    utimesSync(cli, later, later);
    const patched = await runBin(['--help']);
    expect(patched.code).toBe(0);
    expect(patched.out).toContain('opsdeck (patched) — run OpenStack');
    expect(readFileSync(bundle, 'utf8')).toContain('opsdeck (patched)');

    // Where the bundle cannot be made (here: out/cli is a file), the sources run through tsx.
    rmSync(path.join(copy, 'out'), { recursive: true, force: true });
    mkdirSync(path.join(copy, 'out'));
    writeFileSync(path.join(copy, 'out', 'cli'), 'not a directory');
    writeFileSync(cli, readFileSync(cli, 'utf8').replace('opsdeck (patched)', 'opsdeck (patched twice)'));
    const unbundled = await runBin(['--help']);
    expect(unbundled.err).toBe('');
    expect(unbundled.code).toBe(0);
    expect(unbundled.out).toContain('opsdeck (patched twice) — run OpenStack');
  });
});
