import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors';
import { loadEnvironment } from './environment';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-env-audit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function environmentFile(audit: string): string {
  const file = path.join(dir, 'env.yaml');
  writeFileSync(
    file,
    `name: prod
profile: systemd
defaults: { user: ops }
hosts:
  controller01: { address: 10.0.0.1 }
databases:
  team: { address: db.example, user: opsdeck, password: { env: TEAM_DB_PASSWORD } }
${audit}`,
  );
  return file;
}

describe('the audit key of an environment', () => {
  it('names the team database, with the schema and lease TTL defaulted', async () => {
    const environment = await loadEnvironment(environmentFile('audit: { database: team }\n'), { processEnv: { TEAM_DB_PASSWORD: 'pw' } });
    expect(environment.audit).toEqual({ database: 'team', schema: 'opsdeck_audit', leaseTtlMs: 120_000 });
    const custom = await loadEnvironment(environmentFile('audit: { database: team, schema: ops_audit, lease_ttl: 90s }\n'), { processEnv: { TEAM_DB_PASSWORD: 'pw' } });
    expect(custom.audit).toEqual({ database: 'team', schema: 'ops_audit', leaseTtlMs: 90_000 });
    const local = await loadEnvironment(environmentFile('audit: { lease_ttl: 30s }\n'), { processEnv: { TEAM_DB_PASSWORD: 'pw' } });
    expect(local.audit).toEqual({ schema: 'opsdeck_audit', leaseTtlMs: 30_000 });
    expect((await loadEnvironment(environmentFile(''), { processEnv: { TEAM_DB_PASSWORD: 'pw' } })).audit).toBeUndefined();
  });

  it('reports an unknown database, a bad schema name, a bad TTL and an unknown field at their positions', async () => {
    const error = await loadEnvironment(environmentFile('audit: { database: nope, schema: "a;b", lease_ttl: soon, when: now }\n'), {
      processEnv: { TEAM_DB_PASSWORD: 'pw' },
    }).catch((caught) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    const messages = (error as ValidationError).problems.map((problem) => `${problem.line}:${problem.column} ${problem.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^8:\d+ audit has no field "when"/),
        expect.stringMatching(/^8:\d+ audit\.database: "nope" is not a database of this environment \(databases: team\)\./),
        expect.stringMatching(/^8:\d+ audit\.schema must be a plain schema name/),
        expect.stringMatching(/^8:\d+ audit\.lease_ttl must be a duration/),
      ]),
    );
  });
});
