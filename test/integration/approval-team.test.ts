/**
 * Two-person approval through the team database: a real MariaDB (own mariadbd, own port) holds the
 * requests and answers; the run (operator alice, database account alice_db) waits at a destructive
 * step on the real sshd lab; bob, connected with his own account bob_db, approves with `opsdeck
 * approve`. Who answered is the login the server recorded for the answer row, not what the client says.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../electron/core/audit/events';
import { startMariaDb, type MariaDb } from '../lab/mariadb-server';
import { ensureLabSudo, startSshLab, type SshLab } from '../lab/sshd-lab';
import { twoPersonTeam } from '../support/approval-team';
import { journal, opsdeck, writeRunbook } from '../support/cli';

let lab: SshLab;
let db: MariaDb;
let work: string;
let auditDir: string;
let markers: string;
const envs: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

function ofType<T extends JournalRecord['type']>(records: JournalRecord[], type: T): Array<Extract<JournalRecord, { type: T }>> {
  return records.filter((record): record is Extract<JournalRecord, { type: T }> => record.type === type);
}

beforeAll(async () => {
  [lab, db] = await Promise.all([startSshLab({ hosts: [{ name: 'compute01', roles: ['compute'] }] }), startMariaDb()]);
  await ensureLabSudo(lab.user);
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-approval-team-'));
  chmodSync(work, 0o755);
  auditDir = path.join(work, 'audit');
  markers = path.join(work, 'markers');
  mkdirSync(markers, { mode: 0o777 });
  chmodSync(markers, 0o777);
  const team = await twoPersonTeam(lab.envFile, db, work, 'OPSDECK_TEST_APPROVAL');
  Object.assign(envs, team.envs);
  const migrated = team.migrated;
  expect(migrated.err).toBe('');
  expect(migrated.out).toContain('Applied migrations 1, 2, 3, 4');
});

afterAll(async () => {
  await Promise.all([lab?.stop(), db?.destroy()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('two-person approval through the team database', () => {
  it("alice's run waits; alice cannot approve it; bob, with his own database account, approves; the step runs", async () => {
    const marker = path.join(markers, `team-${process.pid}`);
    const runbook = writeRunbook(
      work,
      'team-wipe',
      `id: team-wipe\ntitle: team-wipe\nversion: "1"\ndescription: approval test\nsteps:\n` +
        `  - id: wipe\n    title: Wipe the scratch volume\n    on: compute01\n    destructive: true\n    sudo: true\n    run: "touch ${marker}"\n`,
    );
    const result = opsdeck('run', runbook, '--env', envs.alice, '--audit-dir', auditDir, '--operator', 'alice', '--confirm', 'wipe=compute01');
    let runId = '';
    const deadline = Date.now() + 40_000;
    while (!runId) {
      if (Date.now() > deadline) throw new Error('the request was not listed in the team database within 40 s');
      const listed = await opsdeck('approvals', '--env', envs.bob);
      runId = /^(\S+) {2}wipe {2}"Wipe the scratch volume" {2}by alice@/m.exec(listed.out)?.[1] ?? '';
      if (!runId) await new Promise((resolve) => setTimeout(resolve, 250));
    }

    const own = await opsdeck('approve', runId, 'wipe', '--env', envs.alice, '--reason', 'mine, fine', '--yes');
    expect(own.code).not.toBe(0);
    expect(own.err).toContain(`You (alice, database account alice_db@`);
    expect(existsSync(marker)).toBe(false);

    const approved = await opsdeck('approve', runId, 'wipe', '--env', envs.bob, '--reason', 'reviewed with alice on the bridge', '--yes');
    expect(approved.err).toBe('');
    // The exact command as the host's shell gets it: inside the engine's sudo wrapper.
    expect(approved.out).toContain(`  compute01: sudo -n -- "\${SHELL:-/bin/sh}" -c 'touch ${marker}'`);
    expect(approved.out).toContain(`Approved step wipe of run ${runId} as bob (db account bob_db@`);
    const finished = await result;
    expect(finished.code, finished.out + finished.err).toBe(0);
    expect(existsSync(marker)).toBe(true);

    const records = journal(auditDir, runId);
    const [granted] = ofType(records, 'approval.granted');
    expect(granted).toMatchObject({ step: 'wipe', approver: 'bob', reason: 'reviewed with alice on the bridge' });
    expect(granted.proof).toMatch(/^db account bob_db@/);
    // Answered: it is no longer listed.
    expect((await opsdeck('approvals', '--env', envs.bob)).out).toContain('No step of prod-like waits for approval');
    // The answer row's author is the server's: bob_db inserted it.
    expect(await db.sql('SELECT decision, inserted_by FROM opsdeck_audit.approval_answers')).toMatch(/approve\tbob_db@/);
  });
});
