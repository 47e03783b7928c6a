/**
 * `opsdeck validate` as an operator runs it, as a child process (security review, issue 11): it never
 * crashes on hostile input, and it checks a runbook that includes others the way `run` does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsdeck, spawnCli } from '../support/cli';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-validate-review-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Deep nesting of every shape the review tried (flow lists and maps, block chains), 17k to 100k levels. */
const SHAPES: Array<[string, (depth: number) => string]> = [
  ['flow lists', (depth) => `${'['.repeat(depth)}${']'.repeat(depth)}\n`],
  ['unclosed flow lists', (depth) => `${'['.repeat(depth)}\n`],
  ['flow maps in lists', (depth) => `${'[{a: '.repeat(depth / 2)}${'}]'.repeat(depth / 2)}\n`],
  ['a runbook with deep steps', (depth) => `id: x\ntitle: y\nsteps: ${'['.repeat(depth)}${']'.repeat(depth)}\n`],
  ['block lists on one line', (depth) => `${'- '.repeat(depth)}x\n`],
];

describe('opsdeck validate (process)', () => {
  it('reports deep nesting with a position, never crashing, 20 runs in a row', { timeout: 300_000 }, async () => {
    const depths = [17_000, 40_000, 100_000, 60_000];
    for (let run = 0; run < 20; run += 1) {
      const [shape, make] = SHAPES[run % SHAPES.length];
      const depth = depths[run % depths.length];
      const file = path.join(dir, `deep-${run}.yaml`);
      writeFileSync(file, make(depth));
      const cli = spawnCli(['validate', file]);
      const { code, signal } = await cli.exited;
      const context = `run ${run}: ${shape}, ${depth} levels\nstdout: ${cli.out().slice(0, 400)}\nstderr: ${cli.err().slice(0, 400)}`;
      expect(signal, context).toBeNull();
      expect(code, context).toBe(1);
      expect(cli.err(), context).toBe('');
      expect(cli.out(), context).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: The YAML is nested more than 64 levels deep here`, 'm'));
    }
  });
});
