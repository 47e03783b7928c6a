/**
 * Two-person approval on one machine, end to end: the real `opsdeck run` against the real sshd lab
 * waits at a destructive step; a second operator — a second OS user, running the real `opsdeck` bin
 * through runuser — reads the request and approves or refuses it; the spool tells the run who that was
 * by the answer file's owner. What happened on the host is checked on the host (a marker file).
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRun } from '../../electron/core/audit/export';
import type { JournalRecord } from '../../electron/core/audit/events';
import { startSshLab, type SshLab } from '../lab/sshd-lab';
import { journal, opsdeck, ROOT, waitFor, writeRunbook, type CliResult } from '../support/cli';

const run = promisify(execFile);
const APPROVER = 'opsdeck-approver';

let lab: SshLab;
let work: string;
let spool: string;
let auditDir: string;
let envFile: string;
let markers: string;
let createdApprover = false;

/** The real bin as the second operator (another OS user), without a terminal. */
async function asApprover(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run('runuser', ['-u', APPROVER, '--', process.execPath, path.join(ROOT, 'bin/opsdeck.mjs'), ...args], {
      cwd: work,
      env: { ...process.env, HOME: work, NO_COLOR: '1' },
      timeout: 60_000,
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, out: failed.stdout ?? '', err: failed.stderr ?? '' };
  }
}

/** A runbook whose destructive step leaves `marker` on compute01 when it runs. */
function wipeRunbook(name: string, marker: string): string {
  return writeRunbook(
    work,
    name,
    `id: ${name}\ntitle: ${name}\nversion: "1"\ndescription: approval test\nsteps:\n` +
      `  - { id: look, title: Look first, on: compute01, run: "hostname" }\n` +
      `  - id: wipe\n    title: Wipe the scratch volume\n    on: compute01\n    destructive: { warning: "Deletes the scratch data." }\n    run: "touch ${marker}"\n` +
      `  - { id: after, title: Afterwards, on: compute01, run: "true" }\n`,
  );
}

/** Starts the run in-process and resolves once its approval request is in the spool. */
async function startWaitingRun(name: string, extra: string[] = []): Promise<{ result: Promise<CliResult>; runId: string; marker: string }> {
  const marker = path.join(markers, `${name}-${process.pid}`);
  const runbook = wipeRunbook(name, marker);
  const before = new Set(readdirSync(spool, { withFileTypes: false }).map(String));
  const result = opsdeck('run', runbook, '--env', envFile, '--audit-dir', auditDir, '--confirm', 'wipe=compute01', ...extra);
  let file: string | undefined;
  await waitFor(() => (file = readdirSync(spool).find((entry) => entry.endsWith('.request.json') && !before.has(entry))) !== undefined, 40_000, `the approval request of ${name}`);
  const request = JSON.parse(readFileSync(path.join(spool, file!), 'utf8')) as { runId: string };
  return { result, runId: request.runId, marker };
}

function ofType<T extends JournalRecord['type']>(records: JournalRecord[], type: T): Array<Extract<JournalRecord, { type: T }>> {
  return records.filter((record): record is Extract<JournalRecord, { type: T }> => record.type === type);
}

beforeAll(async () => {
  lab = await startSshLab({ hosts: [{ name: 'compute01', roles: ['compute'] }] });
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-approval-'));
  chmodSync(work, 0o755);
  spool = path.join(work, 'spool');
  auditDir = path.join(work, 'audit');
  markers = path.join(work, 'markers');
  mkdirSync(markers, { mode: 0o777 });
  chmodSync(markers, 0o777);
  // The lab's environment, as production: not a lab (two-person approval is refused on one), and a
  // spool of its own that both operators can reach.
  const labYaml = readFileSync(lab.envFile, 'utf8').replace('lab: true\n', '').replace('name: lab', 'name: prod-like');
  envFile = path.join(work, 'environment.yaml');
  writeFileSync(envFile, `${labYaml}approval:\n  mode: two-person\n  spool: ${spool}\n`);
  chmodSync(envFile, 0o644);
  mkdirSync(spool);
  chmodSync(spool, 0o1777);
  try {
    await run('id', ['-u', APPROVER]);
  } catch {
    await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', APPROVER]);
    createdApprover = true;
  }
  // The bin bundles the CLI on first use; the approver may not write into the checkout, root may.
  await run(process.execPath, [path.join(ROOT, 'bin/opsdeck.mjs'), 'help'], { cwd: ROOT }).catch(() => undefined);
});

afterAll(async () => {
  await lab?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (createdApprover) await run('userdel', [APPROVER]).catch(() => undefined);
});

describe('two-person approval through the spool (a second OS user)', () => {
  it('waits at the destructive step; the second operator reads the exact command and approves; then the step runs', async () => {
    const { result, runId, marker } = await startWaitingRun('approve-ok');
    expect(existsSync(marker)).toBe(false);
    const listed = await asApprover('approvals', '--env', envFile);
    expect(listed.err).toBe('');
    expect(listed.out).toContain(`${runId}  wipe  "Wipe the scratch volume"  by root@`);

    const approved = await asApprover('approve', runId, 'wipe', '--env', envFile, '--reason', 'change CHG-42 reviewed', '--yes');
    expect(approved.err).toBe('');
    expect(approved.code).toBe(0);
    // What the approver was shown: the step, its hosts, the exact command as sent, the plan.
    expect(approved.out).toContain('Step wipe: Wipe the scratch volume');
    expect(approved.out).toContain('Warning: Deletes the scratch data.');
    expect(approved.out).toContain('Hosts: compute01');
    expect(approved.out).toContain(`  compute01: touch ${marker}`);
    expect(approved.out).toMatch(/ ✓ look: Look first\n  >> wipe: Wipe the scratch volume\n     after: Afterwards/);
    expect(approved.out).toContain(`Approved step wipe of run ${runId} as ${APPROVER}`);

    const finished = await result;
    expect(finished.code, finished.out + finished.err).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const records = journal(auditDir, runId);
    const [requested] = ofType(records, 'approval.requested');
    expect(requested).toMatchObject({ step: 'wipe', hosts: ['compute01'], commands: [{ host: 'compute01', command: `touch ${marker}` }] });
    const [granted] = ofType(records, 'approval.granted');
    expect(granted).toMatchObject({ step: 'wipe', approver: APPROVER, reason: 'change CHG-42 reviewed' });
    expect(granted.proof).toMatch(/^uid \d+ \(owner of /);
    // The confirmation came first, then the approval, then the command.
    const order = records
      .map((record) => (record.type === 'step.command' ? `command:${record.step}` : record.type))
      .filter((type) => ['operator.action', 'approval.requested', 'approval.granted', 'command:wipe'].includes(type));
    expect(order).toEqual(['operator.action', 'approval.requested', 'approval.granted', 'command:wipe']);
    expect(finished.out).toContain(`Step wipe approved by ${APPROVER}`);
  });

  it('a refusal with a reason: the step never runs, and the run stops saying who refused and why', async () => {
    const { result, runId, marker } = await startWaitingRun('approve-refused');
    const refused = await asApprover('approve', runId, 'wipe', '--env', envFile, '--refuse', '--reason', 'wrong volume: that is the production one', '--yes');
    expect(refused.code, refused.err).toBe(0);
    const finished = await result;
    expect(finished.code).toBe(3);
    expect(finished.out).toContain(`The run stopped: ${APPROVER} refused step wipe (two-person approval): wrong volume: that is the production one.`);
    expect(existsSync(marker)).toBe(false);
    const records = journal(auditDir, runId);
    expect(ofType(records, 'approval.refused')[0]).toMatchObject({ approver: APPROVER, reason: 'wrong volume: that is the production one' });
    expect(ofType(records, 'step.command').map((record) => record.step)).toEqual(['look']);
    expect(ofType(records, 'step.finished').find((record) => record.step === 'wipe')).toMatchObject({ status: 'failed', errorCode: 'approval-refused' });
    expect(ofType(records, 'run.finished')[0].status).toBe('aborted');
  });

  it("refuses self-approval: the operator's own opsdeck approve is refused, a forged answer file does not count", async () => {
    const { result, runId, marker } = await startWaitingRun('approve-self');
    const own = await opsdeck('approve', runId, 'wipe', '--env', envFile, '--reason', 'I am sure', '--yes');
    expect(own.code).not.toBe(0);
    expect(own.err).toContain(`started run ${runId}: a second operator must approve step wipe`);
    // Written by the operator (root), naming the second operator: the file's owner is what counts.
    const request = readdirSync(spool).find((entry) => entry.startsWith(runId) && entry.endsWith('.request.json'))!;
    writeFileSync(path.join(spool, request.replace('.request.json', '.answer.forged.json')), JSON.stringify({ decision: 'approve', reason: 'ok', approver: APPROVER }));
    await waitFor(() => ofType(journal(auditDir, runId), 'approval.not-counted').length > 0, 20_000, 'the forged answer to be recorded');
    const [notCounted] = ofType(journal(auditDir, runId), 'approval.not-counted');
    expect(notCounted.approver).toBe('root');
    expect(notCounted.why).toMatch(/^self-approval: root is the operator of the run/);
    expect(existsSync(marker)).toBe(false);
    expect(ofType(journal(auditDir, runId), 'step.command').map((record) => record.step)).toEqual(['look']);

    const approved = await asApprover('approve', runId, 'wipe', '--env', envFile, '--reason', 'second pair of eyes', '--yes');
    expect(approved.code, approved.err).toBe(0);
    expect((await result).code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });

  it('break-glass by the operator from another terminal: journaled, and loud in the Markdown and HTML reports', async () => {
    const { result, runId, marker } = await startWaitingRun('approve-break-glass');
    const stranger = await asApprover('approve', runId, 'wipe', '--env', envFile, '--break-glass', '--reason', 'not mine to break', '--yes');
    expect(stranger.code).not.toBe(0);
    expect(stranger.err).toContain(`Only the operator who started run ${runId}`);
    const glass = await opsdeck('approve', runId, 'wipe', '--env', envFile, '--break-glass', '--reason', 'storage outage, approver unreachable', '--yes');
    expect(glass.code, glass.err).toBe(0);
    const finished = await result;
    expect(finished.code, finished.out).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const records = journal(auditDir, runId);
    expect(ofType(records, 'approval.overridden')[0]).toMatchObject({ step: 'wipe', operator: 'root', reason: 'storage outage, approver unreachable' });
    const banner = "BREAK-GLASS: step wipe ran without a second operator's approval, overridden by root because: storage outage, approver unreachable";
    const markdown = exportRun(records, 'md');
    expect(markdown.split('\n').slice(0, 4).join('\n')).toContain(`> **${banner}**`);
    const html = exportRun(records, 'html');
    expect(html).toContain(`<div class="verification bad" data-break-glass="true"><strong>${banner.replace("'", '&#39;')}</strong></div>`);
    const shown = await opsdeck('audit', 'show', runId, '--audit-dir', auditDir);
    expect(shown.out).toContain(banner);
  });
});
