/**
 * `opsdeck validate` as an operator runs it, as a child process (security review, issue 11): it never
 * crashes on hostile input, and it checks a runbook that includes others the way `run` does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsdeck, ROOT, spawnCli } from '../support/cli';

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

describe('opsdeck validate <file> with includes', () => {
  it('resolves includes as run does: each bundled runbook that includes others is valid alone', async () => {
    for (const name of ['compute-evacuation', 'compute-maintenance', 'full-outage-restoration', 'upgrade-rollback', 'upgrade']) {
      const result = await opsdeck('validate', path.join(ROOT, 'runbooks', `${name}.yaml`));
      expect(result.out, name).toBe('1 runbook valid.\n');
      expect(result.code, name).toBe(0);
    }
  });

  it('finds an included runbook beside the file, reports only the named file, and still reports a missing include', async () => {
    const own = mkdtempSync(path.join(dir, 'own-'));
    writeFileSync(path.join(own, 'helper.yaml'), 'id: review-helper\ntitle: Helper\nsteps:\n  - { id: a, run: "true", on: localhost }\n');
    writeFileSync(path.join(own, 'broken.yaml'), 'id: review-broken\ntitle: Broken\nsteps: 3\n');
    const main = path.join(own, 'main.yaml');
    writeFileSync(main, 'id: review-main\ntitle: Main\nsteps:\n  - { id: h, include: review-helper }\n  - { id: b, include: db-backup, with: { database: nova } }\n');
    const ok = await opsdeck('validate', main);
    expect(ok.out).toBe('1 runbook valid.\n');
    expect(ok.code).toBe(0);

    writeFileSync(main, 'id: review-main\ntitle: Main\nsteps:\n  - { id: h, include: review-helpr }\n');
    const missing = await opsdeck('validate', main);
    expect(missing.out).toBe(`${main}:4:5: The step "h" includes the runbook "review-helpr", which does not exist; did you mean "review-helper"?\n1 problem found.\n`);
    expect(missing.code).toBe(1);
  });
});
