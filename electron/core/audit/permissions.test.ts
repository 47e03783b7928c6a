/**
 * Issue 11, item 10: audit data is the operator's alone. Directories are created 0700 and files 0600
 * whatever the umask (the test sets umask 000, the most permissive).
 */
import * as fs from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CastWriter, castPath } from './asciicast';
import { Journal } from './journal';
import { LocalLeaseBackend } from '../leases/local';
import { RunLeases } from '../leases/run-leases';
import { Masker } from './mask';
import { temporaryAuditDir, writeSampleRun } from './testing';

let parent: string;
let auditDir: string;
let savedUmask: number;

beforeEach(() => {
  savedUmask = process.umask(0);
  parent = temporaryAuditDir();
  // Created by OpsDeck, not by the test: the audit directory itself must come out private too.
  auditDir = path.join(parent, 'audit');
});

afterEach(() => {
  process.umask(savedUmask);
  fs.rmSync(parent, { recursive: true, force: true });
});

/** Every directory and file under `root` (root included) with its permission bits. */
function modes(root: string): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  const walk = (entry: string): void => {
    const stat = fs.statSync(entry);
    found.push([path.relative(parent, entry) || '.', `${stat.isDirectory() ? 'dir' : 'file'} ${(stat.mode & 0o777).toString(8)}`]);
    if (stat.isDirectory()) for (const name of fs.readdirSync(entry).sort()) walk(path.join(entry, name));
  };
  walk(root);
  return found;
}

describe('audit file permissions', () => {
  it('creates the audit, run and transcript directories 0700 and every file 0600 under umask 000', async () => {
    const journal = writeSampleRun(auditDir, 'run-1', { finish: true });
    const cast = CastWriter.create(castPath(journal.directory, 'compute-01'), new Masker(), { width: 80, height: 24 });
    cast.output('hello\r\n');
    cast.close();
    journal.close();
    // A torn end moved aside on reopen: journal.torn; the reopened journal holds a lock while open.
    fs.appendFileSync(journal.file, '{"seq":12,"ts":');
    const reopened = Journal.open(auditDir, 'run-1', new Masker(), { syncIntervalMs: 0 });
    const terminal = CastWriter.create(path.join(auditDir, 'terminals', 'host.cast'), new Masker(), { width: 80, height: 24 });
    terminal.close();
    const backend = new LocalLeaseBackend(auditDir);
    const leases = await RunLeases.acquire(backend, {
      environment: 'prod',
      hosts: ['compute01'],
      holder: { runId: 'run-1', operator: 'alice', machine: os.hostname(), pid: process.pid, runbook: 'drain' },
      ttlMs: 60_000,
    });
    await backend.breakLease('prod', 'compute01', { operator: 'bob', machine: 'ops-2' }, 'test');
    const listed = modes(auditDir);
    reopened.close();
    await leases.release('alice');
    const names = listed.map(([name]) => name);
    for (const expected of ['journal.jsonl', 'head.json', 'journal.torn', 'journal.lock', 'compute-01.cast', 'host.cast', 'breaks.jsonl', '1.lease', '1.end']) {
      expect(
        names.some((name) => name.endsWith(expected)),
        `${expected} in ${names.join(', ')}`,
      ).toBe(true);
    }
    const wrong = listed.filter(([, mode]) => mode !== 'dir 700' && mode !== 'file 600');
    expect(wrong).toEqual([]);
  });
});
