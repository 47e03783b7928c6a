/**
 * Rollback as compensation: a step that fails half way has done part of its work, so its own undo
 * runs too, and the run's end says exactly what was undone — or plainly that nothing was.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent, RunFinishedEvent } from '../audit/events';
import { Masker } from '../audit/mask';
import { parseRunbook } from '../runbook/parse';
import { resolveParams } from './params';
import { Runner } from './runner';
import { localEnvironment } from './testing/environment';
import { LocalShellConnector } from './testing/local-shell';

const environment = localEnvironment();

let work: string;
beforeEach(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-compensation-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

async function runToEnd(yaml: string): Promise<{ status: string; events: RunEvent[]; commands: string[]; finished: RunFinishedEvent }> {
  const parsed = parseRunbook(`id: t\ntitle: T\nsteps:\n${yaml}`, 'test.yaml');
  if (!parsed.runbook) throw new Error(parsed.problems.map((problem) => problem.message).join('\n'));
  const events: RunEvent[] = [];
  const ssh = new LocalShellConnector();
  const runner = new Runner({
    runId: 'run-1',
    runbook: parsed.runbook,
    environment,
    params: resolveParams(parsed.runbook, {}, environment),
    ssh,
    operator: 'alice',
    masker: new Masker([]),
    recorder: { append: (event) => events.push(event) },
    onFailure: 'rollback',
  });
  const status = await runner.start();
  const finished = events.find((event): event is RunFinishedEvent => event.type === 'run.finished')!;
  return { status, events, commands: ssh.commands.map((command) => command.command), finished };
}

describe('rollback as compensation', () => {
  it("runs the failed step's own undo (it stopped some services before failing) and names what was undone", async () => {
    const record = path.join(work, 'stopped');
    const { status, commands, finished } = await runToEnd(`
  - { id: a, title: A, on: ctl, run: echo do-a }
  - id: stop
    title: Stop three services
    on: ctl
    run: |
      for s in api conductor scheduler; do
        [ $s = scheduler ] && { echo "cannot stop $s"; exit 1; }
        echo $s >> ${record}; echo "stopped $s"
      done
rollback:
  - { undoes: a, id: undo-a, title: Undo A, on: ctl, run: echo undo-a }
  - undoes: stop
    id: start-again
    title: Start what the stop stopped
    on: ctl
    run: |
      [ -f ${record} ] || exit 0
      for s in $(cat ${record}); do echo "started again: $s"; done
    capture:
      undone: { regex: "^started again: (.+)$", all: true }
`);
    expect(status).toBe('rolled-back');
    // The half-done step is undone first (it is the most recent), then the completed one.
    expect(commands.slice(2)).toEqual([expect.stringContaining('started again'), 'echo undo-a']);
    expect(finished.reason).toContain('Start what the stop stopped: api, conductor');
    expect(finished.reason).toContain('Undo A');
    expect(finished.reason).not.toMatch(/nothing was undone/i);
  });

  it('never claims a rollback when nothing was undone: the run ends failed and says so', async () => {
    const { status, events, finished } = await runToEnd(`
  - id: stop
    title: Stop the services
    on: ctl
    run: echo "the first stop already failed"; exit 1
rollback:
  - undoes: stop
    id: start-again
    title: Start what the stop stopped
    on: ctl
    run: echo "nothing was recorded as stopped"
    capture:
      undone: { regex: "^started again: (.+)$", all: true }
`);
    expect(status).toBe('failed');
    expect(finished.status).toBe('failed');
    expect(finished.reason).toMatch(/Nothing was undone/);
    const notes = events.filter((event) => event.type === 'run.note').map((event) => (event as { message: string }).message);
    expect(notes.join('\n')).not.toContain('Rolling back the completed steps');
  });

  it('says nothing was undone when no rollback entry applies to what ran', async () => {
    const { status, finished } = await runToEnd(`
  - { id: check, title: Check, on: ctl, run: exit 1 }
  - { id: later, title: Later, on: ctl, run: echo later }
rollback:
  - { undoes: later, id: undo-later, title: Undo later, on: ctl, run: echo undo-later }
`);
    expect(status).toBe('failed');
    expect(finished.reason).toMatch(/Nothing was undone/);
  });

  it('reports a rollback whose undo failed as rollback-failed, naming it', async () => {
    const { status, finished } = await runToEnd(`
  - { id: a, title: A, on: ctl, run: echo do-a }
  - { id: b, title: B, on: ctl, run: exit 1 }
rollback:
  - { undoes: a, id: undo-a, title: Undo A, on: ctl, run: exit 3 }
`);
    expect(status).toBe('rollback-failed');
    expect(finished.reason).toContain('Undo A');
  });
});
