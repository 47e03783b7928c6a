import * as fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from './journal';
import { exportRun, formatDuration, type RunExport } from './export';
import { MASK, Masker } from './mask';
import { AuditStore } from './store';
import { runStarted, temporaryAuditDir } from './testing';
import { verifyJournal } from './verify';

let auditDir: string;
let store: AuditStore;

beforeEach(() => {
  auditDir = temporaryAuditDir();
  store = new AuditStore(auditDir);
  const journal = Journal.create(auditDir, 'exp', new Masker(['Tr0ub4dor&3']), { syncIntervalMs: 0 });
  journal.append(runStarted('exp'));
  journal.append({ type: 'step.started', step: 'disable', title: 'Disable the compute service', kind: 'run', hosts: ['ctl-01'], attempt: 1 });
  journal.append({
    type: 'step.command',
    step: 'disable',
    host: 'ctl-01',
    command: 'OS_PASSWORD=Tr0ub4dor&3 openstack compute service set --disable compute-01 nova-compute',
    attempt: 1,
  });
  for (let index = 1; index <= 60; index += 1) {
    journal.append({ type: 'step.output', step: 'disable', host: 'ctl-01', stream: 'stdout', data: `output line ${index}\n` });
  }
  journal.append({ type: 'step.output', step: 'disable', host: 'ctl-01', stream: 'stdout', data: 'has ``` fences | and pipes\n' });
  journal.append({
    type: 'step.finished',
    step: 'disable',
    status: 'succeeded',
    exitCode: 0,
    durationMs: 1500,
    checks: [
      { name: 'exit code 0', ok: true },
      { name: 'stdout contains "disabled"', ok: false, detail: 'not found' },
    ],
    captures: { service_id: 'c0ffee' },
  });
  journal.append({ type: 'step.started', step: 'confirm-reboot', title: 'Confirm the reboot', kind: 'confirm', hosts: [], attempt: 1 });
  journal.append({ type: 'step.awaiting', step: 'confirm-reboot', need: 'confirm', prompt: 'Type the host name to reboot it', expected: 'compute-01' });
  journal.append({ type: 'operator.action', action: 'confirm', step: 'confirm-reboot', operator: 'alice', text: 'compute-01' });
  journal.append({ type: 'step.finished', step: 'confirm-reboot', status: 'succeeded', durationMs: 12000, checks: [], captures: {} });
  journal.append({ type: 'operator.action', action: 'skip', step: 'migrate', operator: 'alice', reason: 'no instances on the host' });
  journal.append({ type: 'run.note', level: 'warning', message: 'reboot took longer than usual', step: 'reboot' });
  journal.append({ type: 'step.started', step: 'reboot', title: 'Reboot the host', kind: 'run', hosts: ['compute-01'], attempt: 1 });
  journal.append({
    type: 'step.finished',
    step: 'reboot',
    status: 'failed',
    durationMs: 185_000,
    checks: [],
    captures: {},
    hosts: [{ host: 'compute-01', exitCode: 255, signal: null, timedOut: false, status: 'failed' }],
    reason: 'ssh: connection lost',
    errorCode: 'ssh-disconnected',
  });
  journal.append({ type: 'run.finished', status: 'failed', durationMs: 200_000, reason: 'step reboot failed' });
  journal.close();
});

afterEach(() => {
  fs.rmSync(auditDir, { recursive: true, force: true });
});

describe('exportRun markdown', () => {
  it('tells the run: header, params masked, timeline, per-step details, verification', () => {
    const verified = verifyJournal(store.journalFile('exp'));
    const report = exportRun(store.records('exp'), 'md', { verified });
    expect(report).not.toContain('Tr0ub4dor');
    expect(report).toContain('# Run exp: Drain a compute node');
    expect(report).toContain('| Runbook | nova-compute-drain 1.2.0 (runbooks/drain.yaml) |');
    expect(report).toContain(`| Runbook sha256 | \`${'ab'.repeat(32)}\` |`);
    expect(report).toContain('| Environment | staging (profile default, **lab**) — envs/staging.yaml |');
    expect(report).toContain('| Operator | alice on ops-laptop |');
    expect(report).toContain('| Status | **failed** — step reboot failed |');
    expect(report).toContain(`| db_password | \`${MASK}\` |`);
    expect(report).toContain('| host | `compute-01` |');
    expect(report).toMatch(/\| 1 \| Disable the compute service \(`disable`\) \| ✅ succeeded \| \S+ \| 1\.5 s \| ctl-01 \| 0 \|/);
    expect(report).toMatch(/\| 2 \| Live-migrate instances \(`migrate`\) \| ⏭ skipped \| — \| — \| — \| — \|/);
    expect(report).toMatch(/\| 4 \| Reboot the host \(`reboot`\) \| ❌ failed \| \S+ \| 3 min 05 s \| compute-01 \| compute-01: 255 \|/);
    expect(report).toContain(`# ctl-01 (attempt 1)\nOS_PASSWORD=${MASK} openstack compute service set --disable compute-01 nova-compute`);
    expect(report).toContain('- ✓ pass: exit code 0');
    expect(report).toContain('- ✗ FAIL: stdout contains "disabled" — not found');
    expect(report).toContain('- `service_id` = `c0ffee`');
    expect(report).toMatch(/- \S+ — asked \(confirm\): Type the host name to reboot it \(expected `compute-01`\)/);
    expect(report).toMatch(/- \S+ — alice confirmed, typing `compute-01`/);
    expect(report).toMatch(/- \S+ — alice skipped the step: no instances on the host/);
    expect(report).toMatch(/- \S+ \[warning\] reboot took longer than usual/);
    expect(report).toContain('- Reason: ssh: connection lost (`ssh-disconnected`)');
    expect(report).toContain(`Verified: ${verified.records} records, hash chain intact, matches head.json; last seq ${verified.lastSeq}, hash ${verified.lastHash}.`);
  });

  it('shows the last 40 lines of output per host in a fence that its content cannot close', () => {
    const report = exportRun(store.records('exp'), 'md', { verified: verifyJournal(store.journalFile('exp')) });
    expect(report).toContain('**Output on ctl-01** (last 40 lines)');
    const block = report.slice(report.indexOf('````text\n') + 9, report.indexOf('\n````', report.indexOf('````text\n')));
    const lines = block.split('\n');
    expect(lines).toHaveLength(40);
    expect(lines[0]).toBe('output line 22');
    expect(lines[38]).toBe('output line 60');
    expect(lines[39]).toBe('has ``` fences | and pipes');
    expect(report).not.toContain('output line 21\n');
  });

  it('says when the journal was not verified or failed verification', () => {
    expect(exportRun(store.records('exp'), 'md')).toContain("NOT VERIFIED: this report was made without checking the journal's hash chain");
    const file = store.journalFile('exp');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[5] = lines[5].replace('output line 3', 'output line X');
    fs.writeFileSync(file, lines.join('\n'));
    const report = exportRun(store.records('exp'), 'md', { verified: verifyJournal(file) });
    expect(report).toContain('VERIFICATION FAILED: 1 problem in');
    expect(report).toContain('- line 6: content changed (hash mismatch)');
  });
});

describe('exportRun json', () => {
  it('is a structured document of run, steps, actions and verification', () => {
    const verified = verifyJournal(store.journalFile('exp'));
    const document = JSON.parse(exportRun(store.records('exp'), 'json', { verified, outputLines: 2 })) as RunExport;
    expect(document.format).toBe('opsdeck-run/1');
    expect(document.run).toMatchObject({ runId: 'exp', status: 'failed', operator: 'alice', params: { db_password: MASK, host: 'compute-01' } });
    expect(document.steps.map((step) => [step.key, step.status])).toEqual([
      ['disable', 'succeeded'],
      ['migrate', 'skipped'],
      ['confirm-reboot', 'succeeded'],
      ['reboot', 'failed'],
    ]);
    expect(document.steps[0].output).toEqual({ 'ctl-01': ['output line 60', 'has ``` fences | and pipes'] });
    expect(document.steps[0].commands[0].command).toContain(`OS_PASSWORD=${MASK}`);
    expect(document.steps[2].prompts).toEqual([expect.objectContaining({ need: 'confirm', expected: 'compute-01' })]);
    expect(document.actions.map((action) => [action.action, action.step, action.text ?? action.reason])).toEqual([
      ['confirm', 'confirm-reboot', 'compute-01'],
      ['skip', 'migrate', 'no instances on the host'],
    ]);
    expect(document.captures).toEqual({ service_id: 'c0ffee' });
    expect(document.verification).toEqual({ verified: true, ok: true, records: verified.records, problems: [], lastSeq: verified.lastSeq, lastHash: verified.lastHash });
  });
});

describe('formatDuration', () => {
  it.each([
    [undefined, '—'],
    [850, '850 ms'],
    [12_400, '12.4 s'],
    [185_000, '3 min 05 s'],
    [3_720_000, '1 h 02 min'],
  ])('%s → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
