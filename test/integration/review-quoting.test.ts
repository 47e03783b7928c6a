/**
 * Security review, issue 11, items 1 and 7, over real SSH (the sshd lab, with `sudo -n` as on real
 * nodes): text from a backup manifest or from parameters is data wherever a runbook puts it in a
 * command: a word of its own, inside '…', inside "…", with or without sudo. A hostile value creates no
 * file on the host; the run goes on with the value as literal text, or stops where the runbook checks it.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceLab, type ServiceLab } from '../lab/service-standins';
import { STANDARD_LAB_HOSTS, startSshLab, type SshLab } from '../lab/sshd-lab';
import { journal, lastFinished as finished, opsdeck, runIdOf, writeRunbook } from '../support/cli';

const RESTORE = path.resolve(import.meta.dirname, '../../runbooks/db-restore.yaml');

let ssh: SshLab;
let services: ServiceLab;
let envFile: string;
let auditDir: string;
let work: string;
/** Where a hostile value would create its files: writable by the lab user and by root. */
let canaries: string;

beforeAll(async () => {
  [ssh, services] = await Promise.all([startSshLab({ hosts: STANDARD_LAB_HOSTS }), startServiceLab()]);
  envFile = services.writeEnvironment(ssh);
  auditDir = path.join(services.dir, 'audit');
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeckreview'));
  chmodSync(work, 0o777);
  canaries = path.join(work, 'canaries');
  mkdirSync(canaries);
  chmodSync(canaries, 0o777);
}, 120_000);

afterAll(async () => {
  services?.stopServices();
  await ssh?.stop();
  if (services) rmSync(services.dir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Values that would each create a file in `canaries` if they became shell syntax. */
function hostile(tag: string): string[] {
  const file = (n: number) => path.join(canaries, `${tag}-${n}`);
  return [`$(touch ${file(1)})`, `'; touch ${file(2)}; echo '`, `"; touch ${file(3)}; echo "`, `\`touch ${file(4)}\``, `x\ntouch ${file(5)}`, `\\"; touch ${file(6)}; echo \\"`];
}

describe('db-restore and a hostile manifest (item 1)', () => {
  /** A dump and its manifest in `work`; `edit` changes the manifest db-backup would have written. */
  function dumpWithManifest(name: string, edit: (manifest: Record<string, unknown>) => void): string {
    const dump = path.join(work, `${name}.sql`);
    const bytes = Buffer.from(`-- ${name}\nCREATE TABLE t (id int);\n`);
    writeFileSync(dump, bytes);
    const manifest: Record<string, unknown> = {
      dump,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size_bytes: bytes.length,
      database: 'nova',
      schemas: ['nova'],
      row_counts: [],
      row_counts_by_schema: {},
    };
    edit(manifest);
    writeFileSync(`${dump}.manifest.json`, JSON.stringify(manifest));
    return dump;
  }

  async function restore(dump: string) {
    const run = await opsdeck(
      'run',
      RESTORE,
      '--env',
      envFile,
      '--audit-dir',
      auditDir,
      '-p',
      `dump=${dump}`,
      '-p',
      'project=nova',
      '-p',
      'db_host=controller01',
      '--decide',
      'go=go',
      '--confirm',
      'import=restore nova',
    );
    return { run, records: journal(auditDir, runIdOf(run.out)) };
  }

  it('a manifest whose sha256 or size is shell code runs nothing as root: the restore stops at the sha256 check', async () => {
    const actionsBefore = services.actions().length;
    const values = hostile('sha');
    for (const [index, value] of values.entries()) {
      const dump = dumpWithManifest(`sha${index}`, (manifest) => {
        manifest.sha256 = value;
        manifest.size_bytes = value;
      });
      const { run, records } = await restore(dump);
      expect(readdirSync(canaries), JSON.stringify(value)).toEqual([]);
      expect(run.code, run.out.slice(-2000)).toBe(1);
      expect(finished(records, 'read-manifest')?.status).toBe('succeeded');
      const verify = finished(records, 'verify-sha256');
      expect(verify?.status).toBe('failed');
      expect(run.out).toContain("the manifest's sha256 is not 64 hexadecimal digits");
      expect(finished(records, 'check-scope')).toBeUndefined();
      expect(readdirSync(canaries), JSON.stringify(value)).toEqual([]);
    }
    // A size that is not a number, with a good sha256.
    const { run } = await restore(dumpWithManifest('size', (manifest) => (manifest.size_bytes = values[0])));
    expect(run.code).toBe(1);
    expect(run.out).toContain("the manifest's size_bytes is not a number of bytes");
    expect(readdirSync(canaries)).toEqual([]);
    expect(services.actions().length).toBe(actionsBefore);
  }, 120_000);

  it('a manifest whose database or schemas are shell code runs nothing as root: the restore stops at the scope check', async () => {
    const actionsBefore = services.actions().length;
    for (const [index, value] of hostile('scope').entries()) {
      const dump = dumpWithManifest(`scope${index}`, (manifest) => {
        manifest.database = `nova${value}`;
        manifest.schemas = ['nova', value];
      });
      const { run, records } = await restore(dump);
      expect(readdirSync(canaries), JSON.stringify(value)).toEqual([]);
      expect(run.code, run.out.slice(-2000)).toBe(1);
      expect(finished(records, 'verify-sha256')?.status).toBe('succeeded');
      expect(finished(records, 'check-scope')?.status).toBe('failed');
      expect(run.out).toContain('the manifest names a database that is not a plain name');
      expect(finished(records, 'stop-controller-services')).toBeUndefined();
      expect(readdirSync(canaries), JSON.stringify(value)).toEqual([]);
    }
    expect(services.actions().length).toBe(actionsBefore);
  }, 120_000);
});

describe('hostile parameters in every quoting context (item 7)', () => {
  it('arrive as literal text, with and without sudo, and create no file', async () => {
    const out = path.join(work, 'out');
    mkdirSync(out);
    chmodSync(out, 0o777);
    const step = (id: string, sudo: boolean, command: string) => `  - { id: ${id}, on: compute01, sudo: ${sudo}, run: ${JSON.stringify(`${command} > ${out}/${id}`)} }\n`;
    const file = writeRunbook(
      work,
      'quoting',
      `id: quoting\ntitle: Quoting\nparams:\n  v: { type: string }\nsteps:\n` +
        step('word', false, "printf '%s|' {{ params.v }}") +
        step('single', false, "printf '%s|' 'value={{ params.v }};'") +
        step('double', false, 'printf \'%s|\' "value={{ params.v }};"') +
        step('sudo-word', true, "printf '%s|' {{ params.v }}") +
        step('sudo-single', true, "printf '%s|' 'value={{ params.v }};'") +
        step('sudo-double', true, 'printf \'%s|\' "value={{ params.v }};" "$(id -u)"'),
    );
    for (const value of hostile('param')) {
      const run = await opsdeck('run', file, '--env', ssh.envFile, '--audit-dir', auditDir, '-p', `v=${value}`);
      expect(run.code, run.out.slice(-2000)).toBe(0);
      const read = (id: string) => readFileSync(path.join(out, id), 'utf8');
      expect(read('word')).toBe(`${value}|`);
      expect(read('single')).toBe(`value=${value};|`);
      expect(read('double')).toBe(`value=${value};|`);
      expect(read('sudo-word')).toBe(`${value}|`);
      expect(read('sudo-single')).toBe(`value=${value};|`);
      // Really run by root, and still literal.
      expect(read('sudo-double')).toBe(`value=${value};|0|`);
      expect(readdirSync(canaries), JSON.stringify(value)).toEqual([]);
    }
  }, 120_000);

  it('a template in backticks or | raw on a parameter is refused before anything runs, with file:line:column', async () => {
    const file = writeRunbook(
      work,
      'refused',
      `id: refused\ntitle: Refused\nparams:\n  v: { type: string }\nsteps:\n  - { id: a, on: compute01, run: "echo \`echo {{ params.v }}\`" }\n  - { id: b, on: compute01, run: "echo \\"{{ params.v | raw }}\\"" }\n`,
    );
    const validate = await opsdeck('validate', file);
    expect(validate.code).toBe(1);
    expect(validate.out).toContain(`${file}:6:46: steps[0].run: {{ params.v }} cannot be used here: it sits inside backticks`);
    expect(validate.out).toContain(`${file}:7:34: steps[1].run: {{ params.v | raw }}: | raw would run this value as shell code`);
    const run = await opsdeck('run', file, '--env', ssh.envFile, '--audit-dir', auditDir, '-p', `v=$(touch ${canaries}/refused)`);
    expect(run.code).not.toBe(0);
    expect(readdirSync(canaries)).toEqual([]);
  }, 60_000);
});

describe('parameter defaults and requires: (item 16)', () => {
  it('a host default without the role asked for, or an environment without a required role, runs nothing', async () => {
    const roleFile = writeRunbook(
      work,
      'role-default',
      `id: role-default\ntitle: Role default\nparams:\n  h: { type: host, role: compute, default: controller01 }\nsteps:\n  - { id: touch, on: "{{ params.h }}", run: "touch ${canaries}/role-default" }\n`,
    );
    const refused = await opsdeck('run', roleFile, '--env', ssh.envFile, '--audit-dir', auditDir);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('h: has a default that does not fit here: "controller01" does not have the role "compute" in environment');
    // A given value that fits runs.
    const given = await opsdeck('run', roleFile, '--env', ssh.envFile, '--audit-dir', auditDir, '-p', 'h=compute01');
    expect(given.code, given.out.slice(-2000)).toBe(0);
    expect(readdirSync(canaries)).toEqual(['role-default']);
    rmSync(path.join(canaries, 'role-default'));

    const requiresFile = writeRunbook(
      work,
      'needs-storage',
      `id: needs-storage\ntitle: Needs storage\nrequires: [compute, storage]\nsteps:\n  - { id: touch, on: compute01, run: "touch ${canaries}/requires" }\n`,
    );
    const missing = await opsdeck('run', requiresFile, '--env', ssh.envFile, '--audit-dir', auditDir);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('Nothing was run: runbook "needs-storage" requires hosts with the role storage, and environment');
    expect(readdirSync(canaries)).toEqual([]);
  }, 60_000);
});
