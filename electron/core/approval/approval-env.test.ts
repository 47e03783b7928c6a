import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors';
import { loadEnvironment } from '../inventory/environment';
import { DEFAULT_APPROVAL_SPOOL } from '../inventory/model';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-approval-env-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function envFile(extra: string): string {
  const file = path.join(dir, 'env.yaml');
  writeFileSync(file, `name: prod\nprofile: systemd\nhosts:\n  compute01: { address: 10.0.0.1, user: ops, roles: [compute] }\n${extra}`);
  return file;
}

async function problemsOf(file: string): Promise<string[]> {
  try {
    await loadEnvironment(file, { processEnv: {} });
  } catch (error) {
    if (error instanceof ValidationError) return error.problems.map((problem) => `${problem.line}:${problem.column} ${problem.message}`);
    throw error;
  }
  return [];
}

describe('approval: in an environment file', () => {
  it('reads `approval: two-person` with the default spool, and the mapping form with its own spool beside the file', async () => {
    expect((await loadEnvironment(envFile('approval: two-person\n'), { processEnv: {} })).approval).toEqual({ mode: 'two-person', spool: DEFAULT_APPROVAL_SPOOL });
    expect((await loadEnvironment(envFile('approval: { mode: two-person, spool: ./spool }\n'), { processEnv: {} })).approval).toEqual({
      mode: 'two-person',
      spool: path.join(dir, 'spool'),
    });
    expect((await loadEnvironment(envFile(''), { processEnv: {} })).approval).toBeUndefined();
  });

  it('refuses two-person approval on a lab environment, at the approval line, saying to remove one', async () => {
    const problems = await problemsOf(envFile('lab: true\napproval: two-person\n'));
    expect(problems).toEqual(['6:11 approval: two-person cannot be set on a lab environment (lab: true): a lab is run by one person. Remove one of the two.']);
  });

  it('names what approval takes when it is misspelt', async () => {
    expect(await problemsOf(envFile('approval: two-persons\n'))).toEqual(['5:11 approval must be "two-person" (destructive steps wait for a second operator), not "two-persons".']);
    expect((await problemsOf(envFile('approval: { mode: two-person, spol: /x }\n')))[0]).toMatch(/approval has no field "spol" \(fields: mode, spool\)/);
  });
});
