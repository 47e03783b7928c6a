/**
 * The end of a session always releases what the run held: a transcript that cannot be completed (the
 * disk still full when the run ends) must not skip releasing the host leases, closing the journal or
 * sending the rest to the team database.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CastWriter } from '../audit/asciicast';
import { journalFile } from '../audit/files';
import { LocalLeaseBackend } from '../leases/local';
import { RunLeases } from '../leases/run-leases';
import { verifyJournal } from '../audit/verify';
import { parseRunbook } from '../runbook/parse';
import { createRunSession } from './session';
import { localEnvironment } from './testing/environment';
import { LocalShellConnector } from './testing/local-shell';

const environment = localEnvironment();

const RUNBOOK = `id: close
title: Close
version: "1"
description: test
steps:
  - id: hello
    title: Hello
    on: ctl
    run: echo hello
`;

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the end of a session', () => {
  it('releases the leases and closes the journal when a transcript cannot be completed', async () => {
    const auditDir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-session-close-'));
    dirs.push(auditDir);
    const parsed = parseRunbook(RUNBOOK, 'close.yaml');
    if (!parsed.runbook) throw new Error(parsed.problems.map((problem) => problem.message).join('\n'));
    const backend = new LocalLeaseBackend(auditDir);
    const runId = 'run-close-1';
    const leases = await RunLeases.acquire(backend, {
      environment: environment.name,
      hosts: ['ctl'],
      holder: { runId, operator: 'alice', machine: os.hostname(), pid: process.pid, runbook: 'close' },
    });
    expect(await backend.list(environment.name)).toHaveLength(1);
    vi.spyOn(CastWriter.prototype, 'close').mockImplementation(() => {
      throw new Error('ENOSPC: no space left on device, write');
    });

    const session = createRunSession({
      runbook: parsed.runbook,
      environment,
      params: {},
      ssh: new LocalShellConnector(),
      operator: 'alice',
      auditDir,
      runId,
      leases,
    });
    expect(await session.start()).toBe('succeeded');

    expect(await backend.list(environment.name)).toHaveLength(0);
    const file = journalFile(auditDir, runId);
    const verified = verifyJournal(file);
    expect(verified.problems).toEqual([]);
    expect(verified.finished).toBe(true);
    expect(readFileSync(file, 'utf8').trimEnd().split('\n').at(-1)).toContain('"type":"run.finished"');
  });
});
