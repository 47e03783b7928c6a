import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalLeaseBackend } from './local';
import { HostLockedError, RunLeases, type LeaseEvent, type LeaseHolder } from './run-leases';
import { temporaryAuditDir } from '../audit/testing';

const run = promisify(execFile);
let auditDir: string;
let clock: number;
let backend: LocalLeaseBackend;

const holder = (runId: string, operator = 'alice'): LeaseHolder => ({ runId, operator, machine: os.hostname(), pid: process.pid, runbook: 'drain' });

beforeEach(() => {
  auditDir = temporaryAuditDir();
  clock = Date.parse('2026-11-21T10:00:00Z');
  backend = new LocalLeaseBackend(auditDir, () => clock);
});

afterEach(() => {
  fs.rmSync(auditDir, { recursive: true, force: true });
});

describe('local host leases', () => {
  it('refuses a second run on a leased host, naming the holder, its run and since when; takes none of the others', async () => {
    const first = await RunLeases.acquire(backend, { environment: 'prod', hosts: ['compute01', 'controller01'], holder: holder('run-a'), ttlMs: 60_000 });
    expect(first.hosts).toEqual(['compute01', 'controller01']);
    const refused = await RunLeases.acquire(backend, { environment: 'prod', hosts: ['compute02', 'controller01'], holder: holder('run-b', 'bob'), ttlMs: 60_000 }).catch(
      (error) => error,
    );
    expect(refused).toBeInstanceOf(HostLockedError);
    expect(refused.code).toBe('host-locked');
    expect(refused.heldBy.map((lease: { host: string; runId: string }) => [lease.host, lease.runId])).toEqual([['controller01', 'run-a']]);
    expect(refused.userMessage).toContain('controller01 is locked by alice (run run-a, runbook drain)');
    expect(refused.userMessage).toContain('since 2026-11-21T10:00:00.000Z');
    // compute02 was taken then given back: the refused run holds nothing.
    expect((await backend.list('prod')).map((lease) => lease.host)).toEqual(['compute01', 'controller01']);
    // Another environment's controller01 is another host.
    const other = await RunLeases.acquire(backend, { environment: 'staging', hosts: ['controller01'], holder: holder('run-c'), ttlMs: 60_000 });
    await other.release('carol');
    await first.release('alice');
    expect(await backend.list()).toEqual([]);
    const again = await RunLeases.acquire(backend, { environment: 'prod', hosts: ['controller01'], holder: holder('run-b', 'bob'), ttlMs: 60_000 });
    expect(again.leases[0].generation).toBe(2);
    await again.release('bob');
  });

  it('lets a lease expire when its holder stops renewing, and renews it while the holder lives', async () => {
    const held = await RunLeases.acquire(backend, { environment: 'prod', hosts: ['compute01'], holder: holder('run-a'), ttlMs: 10_000, renewEveryMs: 60_000 });
    clock += 8_000;
    await held.renewNow();
    clock += 8_000;
    // 16 s after it was taken, but renewed at 8 s: still held.
    await expect(RunLeases.acquire(backend, { environment: 'prod', hosts: ['compute01'], holder: holder('run-b'), ttlMs: 10_000 })).rejects.toBeInstanceOf(HostLockedError);
    held.abandon();
    clock += 2_001;
    const taken = await RunLeases.acquire(backend, { environment: 'prod', hosts: ['compute01'], holder: holder('run-b', 'bob'), ttlMs: 10_000 });
    expect(taken.tookOver.map((lease) => [lease.host, lease.runId, lease.expired])).toEqual([['compute01', 'run-a', true]]);
    await taken.release('bob');
  });

  it('records a break with its reason, and the holder learns at its next renewal', async () => {
    const held = await RunLeases.acquire(backend, { environment: 'prod', hosts: ['compute01'], holder: holder('run-a'), ttlMs: 60_000, renewEveryMs: 60_000 });
    const events: LeaseEvent[] = [];
    held.onEvent((event) => events.push(event));
    const record = await backend.breakLease('prod', 'compute01', { operator: 'bob', machine: 'ops-2' }, 'alice is off shift, her laptop died');
    expect(record).toMatchObject({ host: 'compute01', by: 'bob', reason: 'alice is off shift, her laptop died', lease: { runId: 'run-a', operator: 'alice' } });
    await held.renewNow();
    expect(events).toEqual([expect.objectContaining({ type: 'lost', host: 'compute01', message: expect.stringContaining('broken by bob on ops-2') })]);
    expect(held.leases).toEqual([]);
    const log = fs
      .readFileSync(path.join(auditDir, 'locks', 'breaks.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(log).toEqual([expect.objectContaining({ host: 'compute01', by: 'bob', reason: 'alice is off shift, her laptop died' })]);
    expect(await backend.breaks('prod')).toHaveLength(1);
    await expect(backend.breakLease('prod', 'compute01', { operator: 'bob', machine: 'ops-2' }, 'again')).rejects.toMatchObject({ code: 'lease-not-found' });
    await held.release('alice');
  });

  it('treats the lease of a process gone from this machine as expired at once', async () => {
    const dead = await run(process.execPath, ['-e', 'console.log(process.pid)']).then(({ stdout }) => Number(stdout.trim()));
    await backend.tryAcquire('prod', 'compute01', { ...holder('run-dead'), pid: dead }, 600_000);
    const taken = await RunLeases.acquire(backend, { environment: 'prod', hosts: ['compute01'], holder: holder('run-b'), ttlMs: 60_000 });
    expect(taken.tookOver[0].runId).toBe('run-dead');
    await taken.release('alice');
  });

  it('gives a host to exactly one of several processes racing for it', async () => {
    const script = path.join(auditDir, 'race.mts');
    const local = path.resolve(import.meta.dirname, 'local.ts');
    fs.writeFileSync(
      script,
      `import { LocalLeaseBackend } from ${JSON.stringify(local)};\n` +
        `const backend = new LocalLeaseBackend(process.argv[2]);\n` +
        `while (Date.now() < Number(process.argv[3])) {}\n` +
        `const result = await backend.tryAcquire('prod', 'controller01', { runId: 'run-' + process.pid, operator: 'op', machine: 'm', pid: process.pid }, 60000);\n` +
        `console.log(result.ok ? 'won' : 'lost');\n`,
    );
    const startAt = String(Date.now() + 2500);
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        run(process.execPath, ['--import', 'tsx', script, auditDir, startAt], { cwd: path.resolve(import.meta.dirname, '../../..') }).then(({ stdout }) => stdout.trim()),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === 'won')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'lost')).toHaveLength(4);
  }, 30_000);
});
