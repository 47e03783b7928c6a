/**
 * The engine end to end: runbooks run through the real `opsdeck` CLI (the same code the bin runs)
 * against real sshd hosts of the lab, then the journal read back, verified and exported.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../electron/core/audit/events';
import { STANDARD_LAB_HOSTS, startSshLab, type SshLab } from '../lab/sshd-lab';
import { opsdeck, runIdOf, journal as readJournal, lastFinished as finished, waitFor } from '../support/cli';

/** The run's journal, read back. */
const journal = (runId: string) => readJournal(auditDir, runId);

let lab: SshLab;
let work: string;
let auditDir: string;

beforeAll(async () => {
  lab = await startSshLab({
    hosts: STANDARD_LAB_HOSTS,
  });
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-cli-'));
  auditDir = path.join(work, 'audit');
});

afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
});

function runbookFile(name: string, yaml: string): string {
  const file = path.join(work, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

describe('opsdeck run against real sshd hosts', () => {
  it('runs the bundled hello-lab runbook end to end, and its journal verifies and exports', async () => {
    const run = await opsdeck(
      'run',
      'hello-lab',
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
      '--decide',
      'go-on=write',
      '--manual',
      'check-by-hand=done:looked at /tmp',
      '--confirm',
      'write-marker=controller01',
    );
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    // Live output of both compute hosts, prefixed by host because the step fans out.
    expect(run.out).toMatch(/compute01 \| compute01/);
    expect(run.out).toMatch(/compute02 \| compute02/);
    expect(run.out).toContain('hello from OpsDeck');
    const runId = runIdOf(run.out);
    const records = journal(runId);
    expect(finished(records, 'controller-name')?.captures).toEqual({ controller: 'controller01' });
    expect(records.find((record) => record.type === 'operator.action' && record.action === 'confirm')).toMatchObject({ text: 'controller01' });

    const verify = await opsdeck('audit', 'verify', runId, '--audit-dir', auditDir);
    expect(verify.code).toBe(0);
    expect(verify.out).toContain('verified');

    const report = await opsdeck('audit', 'export', runId.slice(0, 20), '--format', 'md', '--audit-dir', auditDir);
    expect(report.code).toBe(0);
    expect(report.out).toContain('hello-lab');
    expect(report.out).toContain('write-marker');

    const list = await opsdeck('audit', 'list', '--audit-dir', auditDir);
    expect(list.out).toContain(runId);
    expect(list.out).toContain('[LAB]');

    const transcripts = readdirSync(path.join(auditDir, 'runs', runId, 'transcripts'));
    expect(transcripts.sort()).toEqual(['compute01.cast', 'compute02.cast', 'controller01.cast']);
  });

  it('--snapshot-at takes a state snapshot at a manual step before answering it, and is refused where it cannot work', async () => {
    const withSnapshots = path.join(work, 'snapshots.yaml');
    writeFileSync(withSnapshots, `${readFileSync(lab.envFile, 'utf8').trimEnd()}\nsnapshots: true\n`);
    const answers = ['--decide', 'go-on=write', '--manual', 'check-by-hand=done', '--confirm', 'write-marker=controller01'];

    const run = await opsdeck('run', 'hello-lab', '--env', withSnapshots, '--audit-dir', auditDir, ...answers, '--snapshot-at', 'check-by-hand');
    expect(run.code, run.out + run.err).toBe(0);
    const records = journal(runIdOf(run.out));
    const snapshots = records.filter((record) => record.type === 'run.snapshot');
    expect(snapshots.map((record) => [record.label, record.step])).toEqual([
      ['start', undefined],
      ['at check-by-hand', 'check-by-hand'],
      ['end', undefined],
    ]);
    // Taken while the step waited: before its answer, after it started.
    const seq = (match: (record: JournalRecord) => boolean) => records.find(match)!.seq;
    const at = seq((record) => record.type === 'run.snapshot' && record.label === 'at check-by-hand');
    expect(at).toBeGreaterThan(seq((record) => record.type === 'step.started' && record.step === 'check-by-hand'));
    expect(at).toBeLessThan(seq((record) => record.type === 'operator.action' && record.step === 'check-by-hand'));

    const off = await opsdeck('run', 'hello-lab', '--env', lab.envFile, '--audit-dir', auditDir, ...answers, '--snapshot-at', 'check-by-hand');
    expect(off.code).toBe(2);
    expect(off.err).toContain(`--snapshot-at needs an environment that takes state snapshots: add "snapshots: true" to ${lab.envFile}.`);
    const unknown = await opsdeck('run', 'hello-lab', '--env', withSnapshots, '--audit-dir', auditDir, ...answers, '--snapshot-at', 'no-such-step');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('--snapshot-at: no-such-step is not a step of hello-lab.');
  });

  it('refuses a destructive step without a terminal unless it is confirmed on the command line', async () => {
    const marker = `/tmp/opsdeck-refused-${process.pid}`;
    const file = runbookFile(
      'destructive',
      `id: destructive\ntitle: D\nversion: "1"\ndescription: d\nsteps:\n  - id: wipe\n    title: Wipe\n    on: compute01\n    destructive: true\n    run: touch ${marker}\n`,
    );
    const run = await opsdeck('run', file, '--env', lab.envFile, '--audit-dir', auditDir);
    expect(run.code).toBe(3);
    expect(run.out).toContain('--confirm wipe=');
    const check = await opsdeck(
      'run',
      runbookFile('check', `id: check\ntitle: C\nversion: "1"\ndescription: c\nsteps:\n  - { id: look, title: Look, on: compute01, run: "test ! -e ${marker}" }\n`),
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
    );
    expect(check.code).toBe(0);
  });

  it('times out a step, retries a flaky one, and rolls back after a failure', async () => {
    const counter = `/tmp/opsdeck-retry-${process.pid}`;
    const file = runbookFile(
      'rollback',
      `id: rollback-demo
title: Rollback demo
version: "1"
description: d
steps:
  - id: disable
    title: Disable
    on: controller01
    run: echo disabled > /tmp/opsdeck-state-${process.pid}
  - id: flaky
    title: Flaky
    on: compute01
    run: n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -ge 2 ]
    retry: { times: 2, delay: 100ms }
  - id: hang
    title: Hang
    on: compute02
    run: sleep 30
    timeout: 1s
rollback:
  - undoes: disable
    id: enable
    title: Enable again
    on: controller01
    run: rm -f /tmp/opsdeck-state-${process.pid}
`,
    );
    const run = await opsdeck('run', file, '--env', lab.envFile, '--audit-dir', auditDir, '--on-failure', 'rollback');
    expect(run.code).toBe(5);
    const records = journal(runIdOf(run.out));
    expect(finished(records, 'flaky')?.status).toBe('succeeded');
    expect(records.filter((record) => record.type === 'step.command' && record.step === 'flaky')).toHaveLength(2);
    expect(finished(records, 'hang')?.status).toBe('failed');
    expect(finished(records, 'hang')?.checks[0]).toMatchObject({ name: 'finished in time', ok: false });
    expect(finished(records, 'rollback/enable')?.status).toBe('succeeded');
    expect(records.at(-1)).toMatchObject({ type: 'run.finished', status: 'rolled-back' });
    const gone = await opsdeck(
      'run',
      runbookFile(
        'gone',
        `id: gone\ntitle: G\nversion: "1"\ndescription: g\nsteps:\n  - { id: look, title: Look, on: controller01, run: "test ! -e /tmp/opsdeck-state-${process.pid} && ! pgrep -u ${lab.user} -f '[s]leep 30'" }\n`,
      ),
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
    );
    expect(gone.code).toBe(0);
  });

  it('marks a step interrupted when its connection is killed mid-command', async () => {
    const file = runbookFile(
      'drop',
      `id: drop\ntitle: Drop\nversion: "1"\ndescription: d\nsteps:\n  - { id: long, title: Long, on: compute02, run: "echo drop-token-$((6*7)); sleep 20" }\n  - { id: after, title: After, on: compute02, run: echo after }\n`,
    );
    const running = opsdeck('run', file, '--env', lab.envFile, '--audit-dir', auditDir);
    await waitFor(() => lab.connectionCount('compute02') > 0 && hasLine(auditDir, 'drop-token-42'));
    expect(lab.killSessions('compute02')).toBeGreaterThan(0);
    const run = await running;
    expect(run.code).toBe(4);
    const records = journal(runIdOf(run.out));
    expect(finished(records, 'long')?.status).toBe('interrupted');
    expect(finished(records, 'long')?.reason).toMatch(/unknown/);
    expect(finished(records, 'after')).toBeUndefined();
    // The process the command had on the host is in the journal, for checking its fate later.
    const remote = records.find((record) => record.type === 'step.remote' && record.step === 'long');
    expect(remote).toMatchObject({ host: 'compute02', pid: expect.any(Number) });
    expect(finished(records, 'long')?.hosts?.[0]).toMatchObject({ status: 'interrupted', pid: (remote as { pid: number }).pid });
  });

  it('refuses a host whose key changed, before running anything', async () => {
    const marker = `/tmp/opsdeck-hostkey-${process.pid}`;
    await lab.rotateHostKey('compute01');
    const file = runbookFile('hostkey', `id: hostkey\ntitle: H\nversion: "1"\ndescription: h\nsteps:\n  - { id: touch, title: Touch, on: compute01, run: "touch ${marker}" }\n`);
    const before = readdirSync(path.join(auditDir, 'runs')).length;
    const run = await opsdeck('run', file, '--env', lab.envFile, '--audit-dir', auditDir, '--accept-new-host-keys');
    expect(run.code).toBe(8);
    expect(run.err).toMatch(/host key.*changed|changed.*host key/i);
    expect(run.err).toContain('Nothing was run');
    expect(readdirSync(path.join(auditDir, 'runs')).length).toBe(before);
  });

  it('names the line of a tampered journal', async () => {
    const run = await opsdeck(
      'run',
      runbookFile(
        'small',
        `id: small\ntitle: S\nversion: "1"\ndescription: s\nsteps:\n  - { id: one, title: One, on: controller01, run: echo one }\n  - { id: two, title: Two, on: controller01, run: echo two }\n`,
      ),
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
    );
    expect(run.code).toBe(0);
    const runId = runIdOf(run.out);
    const file = path.join(auditDir, 'runs', runId, 'journal.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    const index = lines.findIndex((line) => line.includes('"step.finished"') && line.includes('"one"'));
    lines[index] = lines[index].replace('"succeeded"', '"failed"');
    writeFileSync(file, lines.join('\n'));
    const verify = await opsdeck('audit', 'verify', runId, '--audit-dir', auditDir);
    expect(verify.code).toBe(7);
    expect(verify.out).toContain(`line ${index + 1}`);
  });

  it('reopens a run whose process was killed: completed steps kept, the step in flight interrupted', async () => {
    const marker = `/tmp/opsdeck-resume-${process.pid}`;
    const file = runbookFile(
      'killed',
      `id: killed
title: Killed
version: "1"
description: k
steps:
  - { id: first, title: First, on: controller01, run: "echo first", capture: { value: { from: stdout } } }
  - { id: slow, title: Slow, on: controller01, run: "if [ ! -e ${marker}.once ]; then touch ${marker}.once; sleep 20; fi" }
  - { id: last, title: Last, on: controller01, run: "echo {{ captures.value }} > ${marker}" }
`,
    );
    const child = spawn(process.execPath, ['bin/opsdeck.mjs', 'run', file, '--env', lab.envFile, '--audit-dir', auditDir], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    await waitFor(() => out.includes('sleep 20') && out.includes('[slow]'));
    // Killed once the command's process id is journaled (step.remote): what resume checks on the host.
    // The echo of the command comes a moment before it; a loaded machine can stretch that moment.
    const journalOf = () => path.join(auditDir, 'runs', runIdOf(out), 'journal.jsonl');
    await waitFor(() => {
      try {
        return readFileSync(journalOf(), 'utf8').includes('"type":"step.remote","step":"slow"');
      } catch {
        return false;
      }
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const runId = runIdOf(out);

    const verify = await opsdeck('audit', 'verify', runId, '--audit-dir', auditDir);
    expect(verify.code).toBe(0);

    const refused = await opsdeck('resume', runId, '--env', lab.envFile, '--audit-dir', auditDir);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/slow.*--retry-interrupted/);
    // The command outlived the console: its fate is checked on the host, not guessed.
    expect(refused.out).toMatch(/slow — controller01: the command is STILL RUNNING there \(process \d+\)/);

    const resumed = await opsdeck('resume', runId, '--env', lab.envFile, '--audit-dir', auditDir, '--retry-interrupted');
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    const records = journal(runId);
    expect(records.filter((record) => record.type === 'step.finished' && record.step === 'first')).toHaveLength(1);
    expect(records.some((record) => record.type === 'step.finished' && record.step === 'slow' && record.status === 'interrupted')).toBe(true);
    expect(finished(records, 'slow')?.status).toBe('succeeded');
    expect(records.at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded' });
    const check = await opsdeck(
      'run',
      runbookFile('check2', `id: check2\ntitle: C\nversion: "1"\ndescription: c\nsteps:\n  - { id: look, title: Look, on: controller01, run: "grep -x first ${marker}" }\n`),
      '--env',
      lab.envFile,
      '--audit-dir',
      auditDir,
    );
    expect(check.code).toBe(0);
    expect((await opsdeck('audit', 'verify', runId, '--audit-dir', auditDir)).code).toBe(0);
  }, 90_000);
});

function hasLine(dir: string, text: string): boolean {
  const runs = path.join(dir, 'runs');
  return readdirSync(runs).some((runId) => {
    try {
      return readFileSync(path.join(runs, runId, 'journal.jsonl'), 'utf8').includes(text);
    } catch {
      return false;
    }
  });
}
