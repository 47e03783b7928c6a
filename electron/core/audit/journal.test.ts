import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpsError } from '../errors';
import type { JournalRecord } from './events';
import { GENESIS_HASH, Journal, sealRecord } from './journal';
import { MASK, Masker } from './mask';
import { reopenRun, INTERRUPTED_REASON } from './replay';
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

function fileOf(runId: string, name = 'journal.jsonl'): string {
  return path.join(auditDir, 'runs', runId, name);
}

function readLines(runId: string): string[] {
  return fs.readFileSync(fileOf(runId), 'utf8').trimEnd().split('\n');
}

describe('Journal', () => {
  it('writes each line exactly as sealRecord forms it, multi-byte characters included', () => {
    const journal = Journal.create(auditDir, 'r0', new Masker(), { syncIntervalMs: 0 });
    journal.append(runStarted('r0'));
    journal.append({ type: 'run.note', level: 'info', message: 'héllo 😀 密码 \u0000 "quoted" \\ end' });
    journal.close();
    for (const line of readLines('r0')) {
      const { hash, ...body } = JSON.parse(line) as JournalRecord;
      expect(sealRecord(body)).toEqual({ line, hash });
    }
  });

  it('chains records: seq from 1, prev of the first is sha256(""), hash over the line without hash', () => {
    const journal = Journal.create(auditDir, 'r1', new Masker(), { syncIntervalMs: 0 });
    const first = journal.append(runStarted('r1'));
    const second = journal.append({ type: 'run.note', level: 'info', message: 'hello' });
    journal.close();
    expect(first.seq).toBe(1);
    expect(first.prev).toBe(GENESIS_HASH);
    expect(GENESIS_HASH).toBe(createHash('sha256').update('').digest('hex'));
    expect(second).toMatchObject({ seq: 2, prev: first.hash, type: 'run.note', message: 'hello' });
    const lines = readLines('r1');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const record = JSON.parse(line) as JournalRecord;
      const canonical = line.slice(0, line.indexOf(',"hash":"')) + '}';
      expect(record.hash).toBe(createHash('sha256').update(canonical).digest('hex'));
      expect(Object.keys(record).slice(0, 4)).toEqual(['seq', 'ts', 'prev', 'type']);
      expect(Object.keys(record).at(-1)).toBe('hash');
    }
    expect(verifyJournal(fileOf('r1')).ok).toBe(true);
  });

  it('masks events before hashing and writing', () => {
    const journal = Journal.create(auditDir, 'r2', new Masker(['Tr0ub4dor&3']), { syncIntervalMs: 0 });
    journal.append(runStarted('r2', { params: { host: 'c1', db_password: 'Tr0ub4dor&3', note: 'uses Tr0ub4dor&3' } }));
    journal.append({ type: 'step.command', step: 's', host: 'h', command: 'mysql -uroot -pS3cretPw nova', attempt: 1 });
    journal.close();
    const text = fs.readFileSync(fileOf('r2'), 'utf8');
    expect(text).not.toContain('Tr0ub4dor');
    expect(text).not.toContain('S3cretPw');
    expect(text).toContain(`"db_password":"${MASK}"`);
    expect(text).toContain(`-p${MASK} nova`);
    expect(verifyJournal(fileOf('r2')).ok).toBe(true);
  });

  it('masks a secret split across two output events', () => {
    const journal = Journal.create(auditDir, 'r3', new Masker(['hunter2-pw']), { syncIntervalMs: 0 });
    journal.append(runStarted('r3'));
    const held = journal.append({ type: 'step.output', step: 's', host: 'h', stream: 'stdout', data: 'ok\npassword is hunt' });
    expect(held).toMatchObject({ data: 'ok\n' });
    expect(journal.append({ type: 'step.output', step: 's', host: 'h', stream: 'stdout', data: 'er2-pw' })).toBeUndefined();
    journal.append({ type: 'step.finished', step: 's', status: 'succeeded', durationMs: 1, checks: [], captures: {} });
    journal.close();
    const records = new AuditStore(auditDir).records('r3');
    const output = records.filter((record) => record.type === 'step.output').map((record) => (record.type === 'step.output' ? record.data : ''));
    expect(output.join('')).toBe(`ok\npassword is ${MASK}`);
    // The held part is written before the step boundary, not after it.
    expect(records.map((record) => record.type)).toEqual(['run.started', 'step.output', 'step.output', 'step.finished']);
  });

  it('splits large output into records of at most 64 KiB, never inside a surrogate pair', () => {
    const journal = Journal.create(auditDir, 'r4', new Masker(), { syncIntervalMs: 0 });
    journal.append(runStarted('r4'));
    const data = ('x'.repeat(65535) + '😀' + 'y'.repeat(100) + '\n').repeat(3);
    journal.append({ type: 'step.output', step: 's', host: 'h', stream: 'stdout', data });
    journal.close();
    const outputs = new AuditStore(auditDir).records('r4').flatMap((record) => (record.type === 'step.output' ? [record.data] : []));
    expect(outputs.length).toBeGreaterThan(3);
    expect(outputs.every((piece) => piece.length <= 65536)).toBe(true);
    expect(outputs.join('')).toBe(data);
    expect(verifyJournal(fileOf('r4')).ok).toBe(true);
  });

  it('updates head.json at step boundaries, not for output', () => {
    const journal = Journal.create(auditDir, 'r5', new Masker(), { syncIntervalMs: 0 });
    journal.append(runStarted('r5'));
    const head = (): { seq: number; hash: string } => JSON.parse(fs.readFileSync(fileOf('r5', 'head.json'), 'utf8'));
    expect(head().seq).toBe(1);
    journal.append({ type: 'step.started', step: 's', title: 'S', kind: 'run', hosts: ['h'], attempt: 1 });
    expect(head().seq).toBe(2);
    journal.append({ type: 'step.output', step: 's', host: 'h', stream: 'stdout', data: 'out\n' });
    expect(head().seq).toBe(2);
    expect(readLines('r5')).toHaveLength(3);
    const finished = journal.append({ type: 'step.finished', step: 's', status: 'succeeded', durationMs: 5, checks: [], captures: {} });
    expect(head()).toMatchObject({ seq: 4, hash: finished.hash });
    journal.close();
  });

  it('rewrites head.json in place as one padded line, over a longer head.json left by an older writer', () => {
    const journal = Journal.create(auditDir, 'r5b', new Masker(), { syncIntervalMs: 0 });
    journal.append(runStarted('r5b'));
    const headFile = fileOf('r5b', 'head.json');
    const first = fs.readFileSync(headFile, 'utf8');
    expect(first.length % 256).toBe(0);
    expect(first.endsWith(' \n')).toBe(true);
    // What an older OpsDeck (temp file + rename) or a long run id may have left: longer than the line.
    fs.writeFileSync(headFile, `${JSON.stringify({ runId: 'r5b', seq: 1, hash: 'x'.repeat(64), ts: 'old', note: 'n'.repeat(400) })}\n`);
    const started = journal.append({ type: 'step.started', step: 's', title: 'S', kind: 'run', hosts: ['h'], attempt: 1 });
    const text = fs.readFileSync(headFile, 'utf8');
    expect(text.length).toBe(768);
    expect(JSON.parse(text)).toMatchObject({ runId: 'r5b', seq: 2, hash: started.hash });
    journal.close();
    expect(verifyJournal(fileOf('r5b')).ok).toBe(true);
  });

  it('fsyncs pending output on its timer', async () => {
    const journal = Journal.create(auditDir, 'r6', new Masker(), { syncIntervalMs: 20 });
    journal.append(runStarted('r6'));
    journal.append({ type: 'step.output', step: 's', host: 'h', stream: 'stdout', data: 'out\n' });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(JSON.parse(fs.readFileSync(fileOf('r6', 'head.json'), 'utf8')).seq).toBe(2);
    journal.close();
  });

  it('refuses to create a journal twice', () => {
    Journal.create(auditDir, 'r7', new Masker()).close();
    expect(() => Journal.create(auditDir, 'r7', new Masker())).toThrow(expect.objectContaining({ code: 'journal-exists' }));
  });

  it('rejects run ids that are not plain names', () => {
    expect(() => Journal.create(auditDir, '../escape', new Masker())).toThrow(expect.objectContaining({ code: 'audit-bad-run-id' }));
  });

  it('turns a failed write into journal-write and keeps failing', () => {
    if (!fs.existsSync('/dev/full')) return;
    const directory = path.join(auditDir, 'runs', 'full');
    fs.mkdirSync(directory, { recursive: true });
    fs.symlinkSync('/dev/full', path.join(directory, 'journal.jsonl'));
    const journal = Journal.open(auditDir, 'full', new Masker(), { syncIntervalMs: 0 });
    let error: unknown;
    try {
      journal.append({ type: 'run.note', level: 'info', message: 'x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OpsError);
    expect(error).toMatchObject({ code: 'journal-write' });
    expect((error as OpsError).userMessage).toMatch(
      /^The audit journal could not be written \(disk full\?\): disk full \(ENOSPC\) at .*; the run is paused so nothing happens unrecorded\.$/,
    );
    expect(journal.lastSeq).toBe(0);
    expect(() => journal.append({ type: 'run.note', level: 'info', message: 'y' })).toThrow(error);
    journal.close();
  });

  it('moves a torn last line aside on reopen and says so in the journal', () => {
    writeSampleRun(auditDir, 'torn').close();
    const before = readLines('torn');
    const tornBytes = '{"seq":11,"ts":"2025-01-01T00:00:00.000Z","prev":"ab';
    fs.appendFileSync(fileOf('torn'), tornBytes);
    expect(verifyJournal(fileOf('torn')).ok).toBe(false);
    const journal = Journal.open(auditDir, 'torn', new Masker(), { syncIntervalMs: 0 });
    expect(journal.recovery).toEqual({ tornBytes: tornBytes.length, keptSeq: 9 });
    expect(journal.lastSeq).toBe(10);
    journal.close();
    expect(fs.readFileSync(fileOf('torn', 'journal.torn'), 'utf8')).toBe(tornBytes + '\n');
    const after = readLines('torn');
    expect(after.slice(0, before.length)).toEqual(before);
    const note = JSON.parse(after.at(-1) as string) as JournalRecord;
    expect(note).toMatchObject({ seq: 10, type: 'run.note', level: 'warning' });
    expect(note.type === 'run.note' && note.message).toContain(`incomplete (${tornBytes.length} bytes`);
    expect(verifyJournal(fileOf('torn'))).toMatchObject({ ok: true, problems: [] });
  });

  it('continues the chain after a clean reopen', () => {
    writeSampleRun(auditDir, 'again').close();
    const journal = Journal.open(auditDir, 'again', new Masker(), { syncIntervalMs: 0 });
    expect(journal.recovery).toBeNull();
    const record = journal.append({ type: 'run.note', level: 'info', message: 'resumed' });
    journal.close();
    expect(record.seq).toBe(10);
    expect(verifyJournal(fileOf('again')).ok).toBe(true);
  });

  it('refuses to open a run held by another live process', () => {
    writeSampleRun(auditDir, 'held').close();
    fs.writeFileSync(fileOf('held', 'journal.lock'), JSON.stringify({ pid: process.ppid, machine: os.hostname(), since: 'now' }));
    expect(() => Journal.open(auditDir, 'held', new Masker())).toThrow(expect.objectContaining({ code: 'run-in-use' }));
  });

  it('survives SIGKILL mid-run: reopen marks the step in flight interrupted and verify passes', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const script = path.join(auditDir, 'child.ts');
    fs.writeFileSync(
      script,
      `import { Journal } from ${JSON.stringify(path.join(here, 'journal'))};
import { Masker } from ${JSON.stringify(path.join(here, 'mask'))};
import { runStarted } from ${JSON.stringify(path.join(here, 'testing'))};
const journal = Journal.create(process.argv[2], 'killed', new Masker(['s3cret']), { syncIntervalMs: 1000 });
journal.append(runStarted('killed'));
journal.append({ type: 'step.started', step: 'disable', title: 'Disable', kind: 'run', hosts: ['h'], attempt: 1 });
journal.append({ type: 'step.finished', step: 'disable', status: 'succeeded', exitCode: 0, durationMs: 3, checks: [], captures: { id: 'x1' } });
journal.append({ type: 'step.started', step: 'migrate', title: 'Migrate', kind: 'run', hosts: ['h'], attempt: 1 });
let count = 0;
const pump = () => {
  for (let i = 0; i < 50; i += 1) {
    journal.append({ type: 'step.output', step: 'migrate', host: 'h', stream: 'stdout', data: 'progress ' + count++ + ' s3cret\\n' });
  }
  if (count === 500) process.stdout.write('ready\\n');
  setImmediate(pump);
};
pump();
`,
    );
    // node itself, not the tsx wrapper: SIGKILL must hit the process that writes.
    const child = spawn(process.execPath, ['--import', 'tsx', script, auditDir], {
      cwd: path.resolve(here, '../../..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
    });
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const beforeReopen = verifyJournal(fileOf('killed'));
    expect(beforeReopen.problems.filter((problem) => !problem.message.includes('incomplete'))).toEqual([]);
    expect(beforeReopen.finished).toBe(false);
    expect(fs.readFileSync(fileOf('killed'), 'utf8')).not.toContain('s3cret');

    const state = reopenRun(auditDir, 'kil', 'bob', { syncIntervalMs: 0 });
    expect(state.steps.find((step) => step.key === 'disable')?.status).toBe('succeeded');
    const migrate = state.steps.find((step) => step.key === 'migrate');
    expect(migrate).toMatchObject({ status: 'interrupted', reason: INTERRUPTED_REASON });
    expect(state.status).toBe('paused');
    expect(state.resumeFrom).toBe('migrate');
    expect(state.actions.at(-1)).toMatchObject({ action: 'reopen', operator: 'bob' });
    const records = new AuditStore(auditDir).records('killed');
    const interrupted = records.filter((record) => record.type === 'step.finished' && record.status === 'interrupted');
    expect(interrupted).toHaveLength(1);
    expect(verifyJournal(fileOf('killed'))).toMatchObject({ ok: true, problems: [] });
  }, 30_000);

  // How fast is a figure for bench/ (case 5, output events/s and verifyJournal of 100,000 events), not
  // for a test: these two check that a large journal is written whole and verifies.
  it('writes 32 MiB of output events whole (output is not fsynced per event)', () => {
    const journal = Journal.create(auditDir, 'fast', new Masker(['not-in-the-output']), { syncIntervalMs: 0 });
    journal.append(runStarted('fast'));
    journal.append({ type: 'step.started', step: 's', title: 'S', kind: 'run', hosts: ['h'], attempt: 1 });
    const line = 'nova-compute: instance 3f1c2a8e-93b1-4f5e-8a57-0c2b5d9e7f10 migrated to compute-02 in 12.3 s\n';
    const chunk = line.repeat(Math.ceil(16384 / line.length));
    const total = 32 * 1024 * 1024;
    const started = performance.now();
    for (let written = 0; written < total; written += chunk.length) {
      journal.append({ type: 'step.output', step: 's', host: 'h', stream: 'stdout', data: chunk });
    }
    journal.append({ type: 'step.finished', step: 's', status: 'succeeded', durationMs: 1, checks: [], captures: {} });
    journal.close();
    const seconds = (performance.now() - started) / 1000;
    const size = fs.statSync(fileOf('fast')).size;
    console.log(`journal: ${(size / 1048576).toFixed(1)} MiB in ${seconds.toFixed(2)} s (${(size / 1048576 / seconds).toFixed(0)} MiB/s)`);
    expect(size).toBeGreaterThan(total);
    const verifyStarted = performance.now();
    expect(verifyJournal(fileOf('fast')).ok).toBe(true);
    console.log(`verify: ${((performance.now() - verifyStarted) / 1000).toFixed(2)} s`);
  }, 60_000);

  it('verifies a 100,000-event journal', () => {
    const journal = Journal.create(auditDir, 'many', new Masker(), { syncIntervalMs: 0 });
    journal.append(runStarted('many'));
    for (let index = 0; index < 99_999; index += 1) {
      journal.append({ type: 'step.output', step: 's', host: 'h', stream: 'stdout', data: `line ${index}\n` });
    }
    journal.close();
    const started = performance.now();
    const result = verifyJournal(fileOf('many'));
    const elapsed = performance.now() - started;
    console.log(`verify 100k: ${elapsed.toFixed(0)} ms`);
    expect(result).toMatchObject({ ok: true, records: 100_000 });
  }, 60_000);
});
