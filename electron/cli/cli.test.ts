import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../cli';
import { makeStyle } from './printer';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-cli-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function opsdeck(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (text) => (out += text), err: (text) => (err += text), interactive: false, style: makeStyle(false) });
  return { code, out, err };
}

describe('opsdeck validate', () => {
  it('passes the bundled runbooks', async () => {
    const result = await opsdeck('validate', path.resolve(import.meta.dirname, '../../runbooks'));
    expect(result.out).toMatch(/runbooks? valid/);
    expect(result.code).toBe(0);
  });

  it('prints every problem as file:line:column and exits 1', async () => {
    const file = path.join(dir, 'broken.yaml');
    writeFileSync(file, 'id: broken\ntitle: Broken\nsteps:\n  - id: a\n    run: echo {{ params.nope }}\n    on: ctl\n    timeout: 5 minuts\n');
    const result = await opsdeck('validate', file);
    expect(result.code).toBe(1);
    const lines = result.out.trim().split('\n');
    expect(lines.filter((line) => line.startsWith(`${file}:`))).toHaveLength(2);
    expect(result.out).toMatch(new RegExp(`${file}:5:\\d+: .*nope`));
    expect(result.out).toMatch(new RegExp(`${file}:7:14: .*not a duration`));
    expect(result.out).toContain('2 problems found.');
  });
});

describe('opsdeck usage errors', () => {
  it('exits 2 with a sentence for unknown commands, missing --env and unknown runbooks', async () => {
    expect((await opsdeck('frobnicate')).code).toBe(2);
    const noEnv = await opsdeck('run', 'hello-lab');
    expect(noEnv.code).toBe(2);
    expect(noEnv.err).toContain('--env <environment file> is required.');
    const env = path.join(dir, 'env.yaml');
    writeFileSync(env, 'name: e\nprofile: systemd\ndefaults: { user: u }\nhosts:\n  h: { address: 127.0.0.1 }\n');
    const unknown = await opsdeck('run', 'no-such-runbook', '--env', env, '--audit-dir', dir);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('No runbook "no-such-runbook"');
    const badParam = await opsdeck('run', 'hello-lab', '--env', env, '--audit-dir', dir, '--param', 'marker_dir=/tmp;reboot');
    expect(badParam.code).toBe(2);
    expect(badParam.err).toContain('marker_dir: "/tmp;reboot" does not match the pattern');
  });

  it('lists every command in the help, env import included', async () => {
    const help = await opsdeck('help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('opsdeck env import <inventory> --out <env.yaml>');
    expect(help.out).not.toContain('${');
  });

  it('explains a missing audit run', async () => {
    const result = await opsdeck('audit', 'show', 'nope', '--audit-dir', dir);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/nope/);
  });
});
