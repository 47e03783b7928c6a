/**
 * The spool transport with real files and real owners: the tests run as root, so an answer "from
 * another operator" is a file chowned to another uid (nobody), as the kernel will report it to the run.
 */
import { chownSync, linkSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpsError } from '../errors';
import { SpoolApprovalTransport, userNameOf } from './spool';
import type { ApprovalRequest } from './types';

const OTHER_UID = 65534;
let dir: string;
let spool: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-spool-'));
  chmodSync(dir, 0o755);
  spool = path.join(dir, 'approvals');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function request(id = 'run1~c3RlcA~0a0b0c0d', operator = 'alice'): ApprovalRequest {
  return {
    id,
    runId: 'run1',
    step: 'stop-nova',
    title: 'Stop nova-compute',
    runbook: { id: 'maintenance', title: 'Maintenance' },
    environment: 'prod',
    operator,
    machine: 'bastion',
    requestedAt: new Date().toISOString(),
    hosts: ['compute01'],
    commands: [{ host: 'compute01', command: 'sudo -n -- "${SHELL:-/bin/sh}" -c \'systemctl stop nova-compute\'' }],
    checks: ['exit code 0'],
    plan: [{ key: 'stop-nova', title: 'Stop nova-compute', state: 'this' }],
  };
}

/** An answer file as another user would leave it: written, then owned by `uid`. */
function answerFile(req: ApprovalRequest, body: unknown, uid = OTHER_UID, suffix = 'x1'): string {
  const file = path.join(spool, `${req.id}.answer.${suffix}.json`);
  writeFileSync(file, JSON.stringify(body));
  chownSync(file, uid, uid);
  return file;
}

describe('SpoolApprovalTransport', () => {
  it('creates the spool sticky and writable by all, and lists the request to approvers', async () => {
    const transport = new SpoolApprovalTransport(spool);
    await transport.submit(request());
    expect(statSync(spool).mode & 0o7777).toBe(0o1777);
    expect((await transport.pending()).map((pending) => pending.step)).toEqual(['stop-nova']);
    await transport.close(request());
    expect(await transport.pending()).toEqual([]);
  });

  it('takes the approver from the answer file owner, never from the name written in it', async () => {
    const transport = new SpoolApprovalTransport(spool);
    const req = request();
    await transport.submit(req);
    answerFile(req, { decision: 'approve', reason: 'checked the host list', approver: 'alice-the-boss' });
    const [answer] = await transport.answers(req);
    const nobody = await userNameOf(OTHER_UID);
    expect(nobody).toBe('nobody');
    expect(answer).toMatchObject({ decision: 'approve', reason: 'checked the host list', approver: 'nobody' });
    expect(answer.proof).toMatch(/^uid 65534 \(owner of /);
    expect(answer.rejected).toBeUndefined();
    expect(JSON.stringify(answer)).not.toContain('alice-the-boss');
  });

  it('does not count an answer from the uid running the run (self-approval), whatever name it claims', async () => {
    const transport = new SpoolApprovalTransport(spool);
    const req = request();
    await transport.submit(req);
    answerFile(req, { decision: 'approve', reason: 'me again', approver: 'bob' }, process.getuid!());
    const [answer] = await transport.answers(req);
    expect(answer.rejected).toMatch(/^self-approval: root is the operator of the run/);
  });

  it("does not count an answer from a user who has the run operator's name", async () => {
    const transport = new SpoolApprovalTransport(spool);
    const req = request(undefined, 'nobody');
    await transport.submit(req);
    answerFile(req, { decision: 'approve', reason: 'fine' });
    expect((await transport.answers(req))[0].rejected).toMatch(/self-approval: nobody/);
  });

  it('refuses, before writing anything, to answer a request this user posted', async () => {
    const transport = new SpoolApprovalTransport(spool);
    const req = request();
    await transport.submit(req);
    const refusal = await transport.answer(req, 'approve', 'looks fine').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(OpsError);
    expect((refusal as OpsError).code).toBe('approval-self');
    expect((refusal as OpsError).userMessage).toMatch(/a second operator must approve step stop-nova/);
    expect(readdirSync(spool).filter((name) => name.includes('.answer.'))).toEqual([]);
  });

  it('does not attribute a symlink or a second hard link: their owner says nothing about who placed them', async () => {
    const transport = new SpoolApprovalTransport(spool);
    const req = request();
    await transport.submit(req);
    const elsewhere = path.join(dir, 'somebody-elses.json');
    writeFileSync(elsewhere, JSON.stringify({ decision: 'approve', reason: 'x' }));
    chownSync(elsewhere, OTHER_UID, OTHER_UID);
    symlinkSync(elsewhere, path.join(spool, `${req.id}.answer.link.json`));
    linkSync(elsewhere, path.join(spool, `${req.id}.answer.hard.json`));
    const answers = await transport.answers(req);
    expect(answers).toHaveLength(2);
    for (const answer of answers) expect(answer.rejected).toMatch(/is not a plain file of its own \(a link\)/);
  });

  it("takes a break-glass only from the run's own uid, and a refusal only with a reason", async () => {
    const transport = new SpoolApprovalTransport(spool);
    const req = request();
    await transport.submit(req);
    answerFile(req, { decision: 'override', reason: 'outage' }, OTHER_UID, 'a');
    answerFile(req, { decision: 'refuse', reason: '  ' }, OTHER_UID, 'b');
    answerFile(req, { decision: 'override', reason: 'the DB is down and nobody answers' }, process.getuid!(), 'c');
    const byFile = Object.fromEntries((await transport.answers(req)).map((answer) => [answer.answerId.split('.answer.')[1], answer]));
    expect(byFile['a.json'].rejected).toMatch(/only the run's own operator can break the glass, and nobody is not/);
    expect(byFile['b.json'].rejected).toBe('a refusal needs a reason');
    expect(byFile['c.json']).toMatchObject({ decision: 'override', reason: 'the DB is down and nobody answers' });
    expect(byFile['c.json'].rejected).toBeUndefined();
  });

  it('says an answered request no longer waits', async () => {
    const transport = new SpoolApprovalTransport(spool);
    const req = request();
    await transport.submit(req);
    await transport.close(req);
    const refusal = await new SpoolApprovalTransport(spool, { uid: OTHER_UID }).answer(req, 'approve', 'ok').catch((error: unknown) => error);
    expect((refusal as OpsError).code).toBe('approval-closed');
  });
});
