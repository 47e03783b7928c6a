import * as fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalRecord, RunEvent } from './events';
import { Journal } from './journal';
import { Masker } from './mask';
import { INTERRUPTED_REASON, reopenRun, replayRun } from './replay';
import { AuditStore } from './store';
import { runStarted, temporaryAuditDir, writeSampleRun } from './testing';
import { verifyJournal } from './verify';

let auditDir: string;

beforeEach(() => {
  auditDir = temporaryAuditDir();
});

afterEach(() => {
  fs.rmSync(auditDir, { recursive: true, force: true });
});

function records(runId: string, events: RunEvent[]): JournalRecord[] {
  const journal = Journal.create(auditDir, runId, new Masker(), { syncIntervalMs: 0 });
  for (const event of events) journal.append(event);
  journal.close();
  return new AuditStore(auditDir).records(runId);
}

describe('replayRun', () => {
  it('rebuilds a finished run: steps, captures, decisions, actions', () => {
    const state = replayRun(
      records('done', [
        runStarted('done'),
        { type: 'step.started', step: 'disable', title: 'Disable the compute service', kind: 'run', hosts: ['ctl-01'], attempt: 1 },
        { type: 'step.command', step: 'disable', host: 'ctl-01', command: 'openstack compute service set --disable compute-01', attempt: 1 },
        {
          type: 'step.finished',
          step: 'disable',
          status: 'failed',
          exitCode: 1,
          durationMs: 900,
          checks: [{ name: 'exit code 0', ok: false, detail: 'exit code 1' }],
          captures: {},
          reason: 'exit code 1',
        },
        { type: 'operator.action', action: 'retry', step: 'disable', operator: 'alice' },
        { type: 'step.started', step: 'disable', title: 'Disable the compute service', kind: 'run', hosts: ['ctl-01'], attempt: 2 },
        {
          type: 'step.finished',
          step: 'disable',
          status: 'succeeded',
          exitCode: 0,
          durationMs: 800,
          checks: [{ name: 'exit code 0', ok: true }],
          captures: { service_id: 'c0ffee' },
        },
        { type: 'step.started', step: 'migrate', title: 'Live-migrate instances', kind: 'decision', hosts: [], attempt: 1 },
        {
          type: 'step.awaiting',
          step: 'migrate',
          need: 'decision',
          prompt: 'How?',
          choices: [
            { id: 'live', label: 'Live' },
            { id: 'cold', label: 'Cold' },
          ],
        },
        { type: 'operator.action', action: 'decide', step: 'migrate', operator: 'alice', choice: 'live' },
        { type: 'step.finished', step: 'migrate', status: 'succeeded', durationMs: 10, checks: [], captures: { strategy: 'live' } },
        { type: 'operator.action', action: 'skip', step: 'confirm-reboot', operator: 'alice', reason: 'host already rebooted by vendor' },
        { type: 'step.started', step: 'reboot', title: 'Reboot the host', kind: 'run', hosts: ['compute-01'], attempt: 1 },
        { type: 'step.finished', step: 'reboot', status: 'succeeded', exitCode: 0, durationMs: 60000, checks: [], captures: {} },
        { type: 'run.finished', status: 'succeeded', durationMs: 70000 },
      ]),
    );
    expect(state.status).toBe('succeeded');
    expect(state.finishedAt).toBeDefined();
    expect(state.steps.map((step) => [step.key, step.status, step.attempts])).toEqual([
      ['disable', 'succeeded', 2],
      ['migrate', 'succeeded', 1],
      ['confirm-reboot', 'skipped', 0],
      ['reboot', 'succeeded', 1],
    ]);
    expect(state.steps[0]).toMatchObject({ exitCode: 0, checks: [{ name: 'exit code 0', ok: true }], commands: [] });
    expect(state.steps[1].awaiting).toBeUndefined();
    expect(state.steps[2].reason).toBe('host already rebooted by vendor');
    expect(state.captures).toEqual({ service_id: 'c0ffee', strategy: 'live' });
    expect(state.decisions).toEqual([expect.objectContaining({ step: 'migrate', choice: 'live', operator: 'alice' })]);
    expect(state.actions.map((action) => action.action)).toEqual(['retry', 'decide', 'skip']);
    expect(state.inFlight).toEqual([]);
    expect(state.completedOrder).toEqual(['disable', 'migrate', 'reboot']);
    expect(state.resumeFrom).toBeUndefined();
    expect(state.lastSeq).toBe(15);
  });

  it('marks a run without run.finished interrupted, and its running step, never succeeded', () => {
    writeSampleRun(auditDir, 'cut').close();
    const state = replayRun(new AuditStore(auditDir).records('cut'));
    expect(state.status).toBe('interrupted');
    expect(state.inFlight).toEqual(['migrate']);
    expect(state.steps.map((step) => step.status)).toEqual(['succeeded', 'interrupted', 'pending', 'pending']);
    expect(state.steps[1].reason).toBe(INTERRUPTED_REASON);
    expect(state.resumeFrom).toBe('migrate');
  });

  it('keeps steps in flight running when the run is live', () => {
    writeSampleRun(auditDir, 'live').close();
    const state = replayRun(new AuditStore(auditDir).records('live'), { live: true });
    expect(state.status).toBe('running');
    expect(state.steps[1].status).toBe('running');
  });

  it('shows a step waiting for the operator', () => {
    const state = replayRun(
      records('wait', [
        runStarted('wait'),
        { type: 'step.started', step: 'confirm-reboot', title: 'Confirm', kind: 'confirm', hosts: [], attempt: 1 },
        { type: 'step.awaiting', step: 'confirm-reboot', need: 'confirm', prompt: 'Type the host name', expected: 'compute-01' },
      ]),
      { live: true },
    );
    expect(state.steps[2]).toMatchObject({ status: 'running', awaiting: { need: 'confirm', prompt: 'Type the host name', expected: 'compute-01' } });
  });

  it('keeps a step waiting after a confirmation that did not match, as the runner does', () => {
    const state = replayRun(
      records('mistyped', [
        runStarted('mistyped'),
        { type: 'step.started', step: 'reboot', title: 'Reboot the host', kind: 'run', hosts: ['compute-01'], attempt: 1 },
        { type: 'step.awaiting', step: 'reboot', need: 'confirm', prompt: 'Type "compute-01"', expected: 'compute-01' },
        { type: 'operator.action', action: 'confirm', step: 'reboot', operator: 'alice', text: 'compute-10', note: 'did not match "compute-01"; the step still waits' },
      ]),
      { live: true },
    );
    expect(state.steps[3]).toMatchObject({ status: 'running', awaiting: { need: 'confirm', expected: 'compute-01' } });
  });

  it('leaves no prompt open once the run is aborted at a failed step, and counts a failed host retried to success once', () => {
    const host = (name: string, exitCode: number) => ({
      host: name,
      exitCode,
      signal: null,
      timedOut: false,
      status: exitCode === 0 ? ('succeeded' as const) : ('failed' as const),
    });
    const state = replayRun(
      records('aborted', [
        runStarted('aborted'),
        { type: 'step.started', step: 'disable', title: 'Disable', kind: 'run', hosts: ['c1', 'c2'], attempt: 1 },
        { type: 'step.finished', step: 'disable', status: 'failed', durationMs: 5, checks: [], captures: {}, hosts: [host('c1', 0), host('c2', 1)] },
        { type: 'step.awaiting', step: 'disable', need: 'failure', prompt: 'Disable failed', choices: [{ id: 'retry', label: 'Retry' }] },
        { type: 'operator.action', action: 'retry', step: 'disable', operator: 'alice' },
        { type: 'step.started', step: 'disable', title: 'Disable', kind: 'run', hosts: ['c2'], attempt: 1 },
        { type: 'step.finished', step: 'disable', status: 'succeeded', durationMs: 5, checks: [], captures: {}, hosts: [host('c2', 0)] },
        { type: 'step.started', step: 'migrate', title: 'Migrate', kind: 'run', hosts: ['c1'], attempt: 1 },
        { type: 'step.finished', step: 'migrate', status: 'failed', durationMs: 5, checks: [], captures: {}, hosts: [host('c1', 2)] },
        // The runner asks what to do; an abort cancels the prompt and no step.finished follows.
        { type: 'step.awaiting', step: 'migrate', need: 'failure', prompt: 'Migrate failed', choices: [{ id: 'retry', label: 'Retry' }] },
        { type: 'operator.action', action: 'abort', operator: 'alice', reason: 'window over' },
        { type: 'run.finished', status: 'aborted', durationMs: 20, reason: 'window over' },
      ]),
    );
    expect(state.status).toBe('aborted');
    expect(state.steps.map((step) => [step.key, step.status, step.attempts, step.awaiting?.need])).toEqual([
      ['disable', 'succeeded', 2, undefined],
      ['migrate', 'failed', 1, undefined],
      ['confirm-reboot', 'pending', 0, undefined],
      ['reboot', 'pending', 0, undefined],
    ]);
    expect(state.steps[0].hostResults?.map((result) => [result.host, result.status])).toEqual([['c2', 'succeeded']]);
    expect(state.completedOrder).toEqual(['disable']);
    expect(state.resumeFrom).toBe('migrate');
  });

  it('rejects a journal that does not start with run.started', () => {
    expect(() => replayRun([])).toThrow(expect.objectContaining({ code: 'journal-invalid' }));
  });
});

describe('reopenRun', () => {
  it('appends interrupted step.finished and a reopen action, then the run can continue', () => {
    writeSampleRun(auditDir, 'crash');
    // The first journal is never closed: its lock names this (live) process, which reopen accepts.
    const state = reopenRun(auditDir, 'crash', 'bob', { syncIntervalMs: 0, nowMs: () => Date.now() });
    expect(state.status).toBe('paused');
    expect(state.steps[1]).toMatchObject({ key: 'migrate', status: 'interrupted', reason: INTERRUPTED_REASON, errorCode: 'interrupted' });
    expect(state.resumeFrom).toBe('migrate');
    const tail = new AuditStore(auditDir).records('crash').slice(-2);
    expect(tail[0]).toMatchObject({ type: 'step.finished', step: 'migrate', status: 'interrupted', reason: INTERRUPTED_REASON });
    expect(tail[1]).toMatchObject({ type: 'operator.action', action: 'reopen', operator: 'bob' });
    expect(state.completedOrder).toEqual(['disable']);
    const journal = Journal.open(auditDir, 'crash', new Masker(), { syncIntervalMs: 0 });
    journal.append({ type: 'operator.action', action: 'resume', operator: 'bob' });
    journal.append({ type: 'step.started', step: 'migrate', title: 'Live-migrate instances', kind: 'run', hosts: ['ctl-01'], attempt: 2 });
    journal.close();
    expect(verifyJournal(new AuditStore(auditDir).journalFile('crash')).ok).toBe(true);
    const resumed = replayRun(new AuditStore(auditDir).records('crash'), { live: true });
    expect(resumed.steps[1]).toMatchObject({ status: 'running', attempts: 2 });
    expect(resumed.status).toBe('running');
  });

  it('says a run killed before its first record never ran, instead of calling its journal invalid', () => {
    // What a kill between creating the journal and writing run.started leaves.
    Journal.create(auditDir, 'empty', new Masker(), { syncIntervalMs: 0 }).close();
    expect(() => reopenRun(auditDir, 'empty', 'bob')).toThrow(
      expect.objectContaining({
        code: 'run-never-started',
        message: 'Run empty was stopped before its first record was written (its journal is empty): nothing of it ran on any host. Start the runbook again.',
      }),
    );
  });

  it('refuses to reopen a run that succeeded', () => {
    writeSampleRun(auditDir, 'over', { finish: true }).close();
    expect(() => reopenRun(auditDir, 'over', 'bob')).toThrow(expect.objectContaining({ code: 'run-finished' }));
  });

  it('reopens a run that ended interrupted: open again, the interrupted step to run again', () => {
    const journal = writeSampleRun(auditDir, 'lost');
    journal.append({ type: 'step.finished', step: 'migrate', status: 'interrupted', durationMs: 10, checks: [], captures: {}, reason: 'connection lost' });
    journal.append({ type: 'run.finished', status: 'interrupted', durationMs: 20 });
    journal.close();
    expect(replayRun(new AuditStore(auditDir).records('lost')).status).toBe('interrupted');
    const state = reopenRun(auditDir, 'lost', 'bob', { syncIntervalMs: 0 });
    expect(state.status).toBe('paused');
    expect(state.finishedAt).toBeUndefined();
    expect(state.steps.find((step) => step.key === 'migrate')).toMatchObject({ status: 'interrupted' });
    expect(state.resumeFrom).toBe('migrate');
    expect(verifyJournal(new AuditStore(auditDir).journalFile('lost')).ok).toBe(true);
  });
});
