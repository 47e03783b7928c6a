/**
 * Output read back from the journal (run:output), host terminal recordings and asciicast files for
 * the player (audit:recordings, audit:cast), through ConsoleService.dispatch as the console calls them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRunFacts, CastText, RunOutput, TerminalRecording } from '../api/contract';
import { Journal } from '../core/audit/journal';
import { Masker } from '../core/audit/mask';
import { runStarted } from '../core/audit/testing';
import { BUNDLED_RUNBOOKS_DIR } from '../core/inventory/environment';
import { ConsoleService } from './service';

let work: string;
let service: ConsoleService;
const runId = '20261203T120000Z-out1';

async function call<T>(name: string, payload: unknown): Promise<T> {
  const reply = await service.dispatch(name, payload);
  if (!reply.ok) throw new Error(reply.error.userMessage);
  return reply.value as T;
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-output-'));
  const auditDir = path.join(work, 'audit');
  const journal = Journal.create(auditDir, runId, new Masker(['s3cret']), { syncIntervalMs: 0 });
  journal.append(runStarted(runId));
  journal.append({ type: 'step.started', step: 'fan', title: 'Fan out', kind: 'run', hosts: ['a', 'b'], attempt: 1 });
  // 12,000 lines on host a, more than a view's scrollback; a secret on b is masked in the journal.
  const many = Array.from({ length: 12_000 }, (_, index) => `line ${index + 1}\n`).join('');
  journal.append({ type: 'step.output', step: 'fan', host: 'a', stream: 'stdout', data: many });
  journal.append({ type: 'step.output', step: 'fan', host: 'b', stream: 'stderr', data: 'password s3cret refused\n' });
  journal.append({ type: 'step.started', step: 'two', title: 'Two', kind: 'run', hosts: ['a'], attempt: 1 });
  journal.append({ type: 'step.output', step: 'two', host: 'a', stream: 'stdout', data: 'second step\n' });
  journal.close();
  mkdirSync(path.join(auditDir, 'terminals'));
  writeFileSync(
    path.join(auditDir, 'terminals', 'rec-compute01.cast'),
    `${JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1_764_763_200, title: 'compute01' })}\n[0.5,"o","hello\\r\\n"]\n[1.5,"o","bye\\r\\n"]\n[2.0,"o","torn`,
  );
  service = new ConsoleService({
    auditDir,
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: path.join(work, 'runbooks'),
    environmentsDir: path.join(work, 'environments'),
    operator: 'tester',
    lab: { availability: () => ({ available: false, reason: 'no lab in unit tests' }), start: () => Promise.reject(new Error('no')) },
  });
});

afterAll(async () => {
  await service.close();
  rmSync(work, { recursive: true, force: true });
});

describe('run:output', () => {
  it('gives a step its whole output from the journal, past any scrollback, secrets masked', async () => {
    const output = await call<RunOutput>('run:output', { runId, step: 'fan' });
    const text = output.chunks
      .filter((chunk) => chunk.host === 'a')
      .map((chunk) => chunk.data)
      .join('');
    expect(text.split('\n').filter(Boolean)).toHaveLength(12_000);
    expect(text.startsWith('line 1\nline 2\n')).toBe(true);
    expect(output.chunks.find((chunk) => chunk.host === 'b')).toMatchObject({ stream: 'stderr', data: expect.not.stringContaining('s3cret') });
    expect(output.starts.map((start) => start.step)).toEqual(['fan']);
    expect(output.chunks.some((chunk) => chunk.step === 'two')).toBe(false);
    expect(output.truncated).toBe(false);
  });

  it('gives every step with afterSeq only what came since', async () => {
    const all = await call<RunOutput>('run:output', { runId });
    expect(all.starts.map((start) => start.step)).toEqual(['fan', 'two']);
    const since = await call<RunOutput>('run:output', { runId, afterSeq: all.starts[1].seq });
    expect(since.chunks.map((chunk) => chunk.data)).toEqual(['second step\n']);
    expect(since.lastSeq).toBe(all.lastSeq);
  });

  it('says plainly when the run is not recorded', async () => {
    const reply = await service.dispatch('run:output', { runId: 'nope' });
    expect(reply).toMatchObject({ ok: false, error: { userMessage: expect.stringContaining('No run id starts with "nope"') } });
  });
});

describe('audit:recordings and audit:cast', () => {
  it('lists host terminal recordings and gives one to the player, without a line cut short', async () => {
    const recordings = await call<TerminalRecording[]>('audit:recordings', {});
    expect(recordings).toEqual([{ name: 'rec-compute01.cast', title: 'compute01', startedAt: 1_764_763_200_000, bytes: expect.any(Number) }]);
    const cast = await call<CastText>('audit:cast', { recording: 'rec-compute01.cast' });
    expect(cast.text.trimEnd().split('\n')).toHaveLength(3);
    expect(cast.text).not.toContain('torn');
  });

  it('refuses any name that is not a recording of the terminals directory', async () => {
    for (const recording of ['../runs/x/journal.jsonl', '/etc/passwd', 'missing.cast', '.hidden.cast']) {
      const reply = await service.dispatch('audit:cast', { recording });
      expect(reply).toMatchObject({ ok: false, error: { code: expect.stringMatching(/recording-not-found|bad-request/) } });
    }
  });
});

describe('audit:facts', () => {
  it('gives each run its duration, verification, skipped and failed steps, and whether it was a drill', async () => {
    const id = '20261203T130000Z-facts';
    const journal = Journal.create(path.join(work, 'audit'), id, new Masker(), { syncIntervalMs: 0 });
    journal.append(runStarted(id, { drill: { objectives: { run: 60_000 } } }));
    journal.append({ type: 'step.finished', step: 'a', status: 'failed', durationMs: 5, checks: [], captures: {} });
    journal.append({ type: 'step.finished', step: 'a', status: 'skipped', durationMs: 0, checks: [], captures: {}, reason: 'skipped by alice' });
    journal.append({ type: 'step.finished', step: 'b', status: 'failed', durationMs: 5, checks: [], captures: {} });
    journal.append({ type: 'run.finished', status: 'succeeded', durationMs: 42_000 });
    journal.close();
    const facts = await call<Record<string, AuditRunFacts>>('audit:facts', { runIds: [id, runId, 'missing-run'] });
    expect(facts[id]).toEqual({ durationMs: 42_000, verified: true, skipped: 1, failed: 1, drill: true });
    expect(facts[runId]).toMatchObject({ verified: true, drill: false, skipped: 0 });
    expect(facts['missing-run']).toBeUndefined();
  });
});
