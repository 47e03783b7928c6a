/**
 * The runner's approval gate with the real spool transport (files in a temp directory) and the local
 * shell connector: the wait, an abort during it, break-glass and its reason, and an environment that
 * asks for approval in a run that has no way to ask.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent, StepAwaitingEvent } from '../audit/events';
import { Masker } from '../audit/mask';
import { OpsError } from '../errors';
import type { Environment } from '../inventory/model';
import { parseRunbook } from '../runbook/parse';
import { Runner } from '../run/runner';
import { LocalShellConnector } from '../run/testing/local-shell';
import { SpoolApprovalTransport } from './spool';

let work: string;
let spool: string;
beforeEach(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-runner-approval-'));
  chmodSync(work, 0o755);
  spool = path.join(work, 'spool');
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function setUp(withTransport = true) {
  const environment: Environment = {
    name: 'prod',
    lab: false,
    profile: { id: 'systemd', title: 'systemd', description: '', words: {} },
    hosts: [{ name: 'cmp1', address: '127.0.0.1', port: 22, user: 'u', roles: ['compute'] }],
    vars: {},
    databases: {},
    secrets: {},
    knownHostsFile: '/dev/null',
    file: 'prod.yaml',
    approval: { mode: 'two-person', spool },
  };
  const result = parseRunbook(
    'id: t\ntitle: T\nversion: "1"\ndescription: test\nsteps:\n  - id: wipe\n    title: Wipe\n    on: cmp1\n    destructive: true\n    run: echo wiped\n',
    'test.yaml',
  );
  const events: RunEvent[] = [];
  const ssh = new LocalShellConnector();
  const runner = new Runner({
    runId: 'run-1',
    runbook: result.runbook!,
    environment,
    params: {},
    ssh,
    operator: 'alice',
    masker: new Masker([]),
    recorder: { append: (event) => events.push(event) },
    onFailure: 'stop',
    ...(withTransport ? { approvals: new SpoolApprovalTransport(spool) } : {}),
    approvalPollMs: 50,
  });
  const awaiting = (need: string) =>
    new Promise<StepAwaitingEvent>((resolve) => {
      const found = events.find((event): event is StepAwaitingEvent => event.type === 'step.awaiting' && event.need === need);
      if (found) return resolve(found);
      const off = runner.onEvent((event) => {
        if (event.type === 'step.awaiting' && event.need === need) {
          off();
          resolve(event);
        }
      });
    });
  return { runner, events, ssh, awaiting };
}

describe("the runner's two-person approval gate", () => {
  it('waits after the typed confirmation; an abort while waiting ends the run, withdraws the request and runs nothing', async () => {
    const { runner, events, ssh, awaiting } = setUp();
    const done = runner.start();
    await awaiting('confirm');
    expect(runner.confirm('wipe', 'cmp1')).toBe(true);
    const prompt = await awaiting('approval');
    expect(prompt.prompt).toContain('waiting for approval from a second operator');
    expect(readdirSync(spool).filter((name) => name.endsWith('.request.json'))).toHaveLength(1);
    runner.abort('the change window closed');
    expect(await done).toBe('aborted');
    expect(ssh.commands).toEqual([]);
    expect(readdirSync(spool).filter((name) => name.endsWith('.request.json'))).toEqual([]);
    expect(events.some((event) => event.type === 'approval.granted' || event.type === 'approval.overridden')).toBe(false);
  });

  it('break-glass needs a reason; with one the step runs and the override is journaled', async () => {
    const { runner, events, ssh, awaiting } = setUp();
    const done = runner.start();
    await awaiting('confirm');
    runner.confirm('wipe', 'cmp1');
    await awaiting('approval');
    expect(() => runner.overrideApproval('wipe', '  ')).toThrow(OpsError);
    expect(ssh.commands).toEqual([]);
    runner.overrideApproval('wipe', 'outage, nobody reachable');
    expect(await done).toBe('succeeded');
    expect(ssh.commands.map((entry) => entry.command)).toEqual(['echo wiped']);
    expect(events.find((event) => event.type === 'approval.overridden')).toMatchObject({ step: 'wipe', operator: 'alice', reason: 'outage, nobody reachable' });
  });

  it('fails the step, saying why, when the environment asks for approval and the run cannot ask anyone', async () => {
    const { runner, events, ssh, awaiting } = setUp(false);
    const done = runner.start();
    await awaiting('confirm');
    runner.confirm('wipe', 'cmp1');
    expect(await done).toBe('failed');
    expect(ssh.commands).toEqual([]);
    expect(events.find((event) => event.type === 'step.finished')).toMatchObject({ status: 'failed', errorCode: 'approval-unavailable' });
  });
});
