import { beforeEach, describe, expect, it } from 'vitest';
import type { ActiveRun, RunEvent, RunPlan } from '../../electron/api/contract';
import { emptyRun, reduceRunEvent, runNotes, useRunsStore } from './runs';

const plan: RunPlan = {
  runbookId: 'drill',
  runbookTitle: 'Drill',
  environmentId: '/env.yaml',
  environmentName: 'lab',
  lab: true,
  params: {},
  hosts: ['c1', 'c2'],
  steps: [
    { key: 'look', title: 'Look', kind: 'run', depth: 0, hosts: ['c1', 'c2'], commands: [], checks: ['exit code 0'], captures: [] },
    { key: 'write', title: 'Write', kind: 'run', depth: 0, hosts: ['c1'], commands: [], checks: [], captures: [], destructive: { confirm: 'c1' } },
  ],
  rollback: [],
};

let at = 1000;
const envelope = (event: RunEvent) => ({ runId: 'r1', at: (at += 100), event });

describe('reduceRunEvent', () => {
  it('follows a step from started to finished, with its time, attempt, commands and checks', () => {
    let run = emptyRun('r1', 0);
    run = reduceRunEvent(run, envelope({ type: 'step.started', step: 'look', title: 'Look', kind: 'run', hosts: ['c1', 'c2'], attempt: 1 }));
    expect(run.steps.look).toMatchObject({ status: 'running', attempt: 1, startedAt: at });
    run = reduceRunEvent(run, envelope({ type: 'step.command', step: 'look', host: 'c1', command: 'uptime', attempt: 1 }));
    run = reduceRunEvent(
      run,
      envelope({
        type: 'step.finished',
        step: 'look',
        status: 'failed',
        durationMs: 250,
        checks: [{ name: 'exit code 0', ok: false, detail: 'exit code was 3' }],
        captures: {},
        reason: 'exit 3',
      }),
    );
    expect(run.steps.look).toMatchObject({ status: 'failed', durationMs: 250, commands: { c1: 'uptime' }, reason: 'exit 3' });
    run = reduceRunEvent(run, envelope({ type: 'step.started', step: 'look', title: 'Look', kind: 'run', hosts: ['c1'], attempt: 1 }));
    expect(run.steps.look).toMatchObject({ status: 'running', attempt: 2, checks: [], reason: undefined, durationMs: undefined });
  });

  it('keeps a prompt until the step is answered, and marks a confirmation that did not match', () => {
    let run = emptyRun('r1', 0);
    run = reduceRunEvent(run, envelope({ type: 'step.awaiting', step: 'write', need: 'confirm', prompt: 'Type "c1"', expected: 'c1' }));
    expect(run.pending.write).toMatchObject({ need: 'confirm', expected: 'c1' });
    run = reduceRunEvent(run, envelope({ type: 'operator.action', action: 'confirm', step: 'write', operator: 'op', text: 'c2', note: 'did not match' }));
    expect(run.pending.write?.mismatch).toBe(true);
    run = reduceRunEvent(run, envelope({ type: 'operator.action', action: 'confirm', step: 'write', operator: 'op', text: 'c1' }));
    expect(run.pending.write).toBeUndefined();
  });

  it('pauses, resumes, and on abort or finish clears every prompt', () => {
    let run = emptyRun('r1', 0);
    run = reduceRunEvent(run, envelope({ type: 'operator.action', action: 'pause', operator: 'op' }));
    expect(run.status).toBe('paused');
    run = reduceRunEvent(run, envelope({ type: 'operator.action', action: 'resume', operator: 'op' }));
    expect(run.status).toBe('running');
    run = reduceRunEvent(run, envelope({ type: 'step.awaiting', step: 'manual', need: 'manual', prompt: 'do it' }));
    run = reduceRunEvent(run, envelope({ type: 'operator.action', action: 'rollback', operator: 'op', reason: 'stop' }));
    expect(run.pending).toEqual({});
    run = reduceRunEvent(run, envelope({ type: 'run.finished', status: 'rolled-back', durationMs: 900, reason: 'stop' }));
    expect(run).toMatchObject({ status: 'rolled-back', finishedAt: at, reason: 'stop' });
  });

  it('retries a failed host: the second attempt starts clean and ends with its own host outcomes', () => {
    const host = (name: string, exitCode: number) => ({
      host: name,
      exitCode,
      signal: null,
      timedOut: false,
      status: exitCode === 0 ? ('succeeded' as const) : ('failed' as const),
    });
    let run = emptyRun('r1', 0);
    run = reduceRunEvent(run, envelope({ type: 'step.started', step: 'look', title: 'Look', kind: 'run', hosts: ['c1', 'c2'], attempt: 1 }));
    run = reduceRunEvent(
      run,
      envelope({ type: 'step.finished', step: 'look', status: 'failed', durationMs: 5, checks: [], captures: {}, hosts: [host('c1', 0), host('c2', 1)], reason: 'exit 1 on c2' }),
    );
    run = reduceRunEvent(run, envelope({ type: 'step.awaiting', step: 'look', need: 'failure', prompt: 'Look failed', choices: [{ id: 'retry', label: 'Retry' }] }));
    run = reduceRunEvent(run, envelope({ type: 'operator.action', action: 'retry', step: 'look', operator: 'op' }));
    expect(run.pending).toEqual({});
    run = reduceRunEvent(run, envelope({ type: 'step.started', step: 'look', title: 'Look', kind: 'run', hosts: ['c2'], attempt: 1 }));
    expect(run.steps.look).toMatchObject({ status: 'running', attempt: 2, hosts: ['c2'], hostOutcomes: [], reason: undefined });
    run = reduceRunEvent(run, envelope({ type: 'step.finished', step: 'look', status: 'succeeded', durationMs: 5, checks: [], captures: {}, hosts: [host('c2', 0)] }));
    expect(run.steps.look.status).toBe('succeeded');
    expect(run.steps.look.hostOutcomes).toEqual([{ host: 'c2', status: 'succeeded', exitCode: 0 }]);
  });

  it('shows a failed step skipped with its reason once the operator skips it', () => {
    let run = emptyRun('r1', 0);
    run = reduceRunEvent(run, envelope({ type: 'step.started', step: 'look', title: 'Look', kind: 'run', hosts: ['c1'], attempt: 1 }));
    run = reduceRunEvent(run, envelope({ type: 'step.finished', step: 'look', status: 'failed', durationMs: 5, checks: [], captures: {} }));
    run = reduceRunEvent(run, envelope({ type: 'step.awaiting', step: 'look', need: 'failure', prompt: 'Look failed' }));
    // The runner records the step's end as skipped, then the operator's action.
    run = reduceRunEvent(
      run,
      envelope({ type: 'step.finished', step: 'look', status: 'skipped', durationMs: 0, checks: [], captures: {}, reason: 'skipped by op after failing: known' }),
    );
    run = reduceRunEvent(run, envelope({ type: 'operator.action', action: 'skip', step: 'look', operator: 'op', reason: 'known' }));
    expect(run.steps.look).toMatchObject({ status: 'skipped', reason: 'skipped by op after failing: known' });
    expect(run.pending).toEqual({});
  });

  it('aborted while a step waits for its confirmation: no prompt stays open and the wait stops counting', () => {
    let run = emptyRun('r1', 0);
    run = reduceRunEvent(run, envelope({ type: 'step.started', step: 'write', title: 'Write', kind: 'run', hosts: ['c1'], attempt: 1 }));
    run = reduceRunEvent(run, envelope({ type: 'step.awaiting', step: 'write', need: 'confirm', prompt: 'Type "c1"', expected: 'c1' }));
    const waitingSince = at;
    expect(run.steps.write.waitingSince).toBe(waitingSince);
    run = reduceRunEvent(run, envelope({ type: 'operator.action', action: 'abort', operator: 'op', reason: 'window over' }));
    expect(run.pending).toEqual({});
    expect(run.steps.write).toMatchObject({ waitingSince: undefined, waitedMs: at - waitingSince });
    run = reduceRunEvent(
      run,
      envelope({ type: 'step.finished', step: 'write', status: 'failed', durationMs: 300, checks: [], captures: {}, reason: 'aborted by op: window over' }),
    );
    run = reduceRunEvent(run, envelope({ type: 'run.finished', status: 'aborted', durationMs: 400, reason: 'window over' }));
    expect(run).toMatchObject({ status: 'aborted', reason: 'window over', pending: {} });
    expect(run.steps.write.status).toBe('failed');
  });

  it('pauses a reopened run and ends what its lost process was waiting for, as the journal replay does', () => {
    let run = emptyRun('r1', 0);
    run = reduceRunEvent(run, envelope({ type: 'step.awaiting', step: 'write', need: 'manual', prompt: 'do it' }));
    run = reduceRunEvent(run, envelope({ type: 'operator.action', action: 'reopen', operator: 'op' }));
    expect(run).toMatchObject({ status: 'paused', pending: {} });
  });

  it('adds steps only the run reveals (rollback) after the planned ones', () => {
    let run = reduceRunEvent(emptyRun('r1', 0), envelope({ type: 'step.started', step: 'rollback/undo', title: 'Undo', kind: 'run', hosts: ['c1'], attempt: 1 }));
    expect(run.stepOrder).toEqual(['rollback/undo']);
    expect(run.steps['rollback/undo'].depth).toBe(0);
    run = reduceRunEvent(run, envelope({ type: 'step.started', step: 'loop[2]/inner', title: 'Inner', kind: 'run', hosts: ['c1'], attempt: 1 }));
    expect(run.steps['loop[2]/inner'].depth).toBe(1);
  });
});

describe('useRunsStore', () => {
  beforeEach(() => useRunsStore.setState({ runs: {}, order: [], selectedStep: {}, selectedRunId: undefined }));

  it('takes events that arrive before the run:start reply, then merges the plan without replaying them twice', () => {
    const first = envelope({ type: 'step.started', step: 'look', title: 'Look', kind: 'run', hosts: ['c1', 'c2'], attempt: 1 });
    useRunsStore.getState().apply(first);
    const active: ActiveRun = { runId: 'r1', plan, startedAt: 0, status: 'running', events: [first], notices: [] };
    useRunsStore.getState().hydrate(active);
    const run = useRunsStore.getState().runs.r1;
    expect(run.stepOrder).toEqual(['look', 'write']);
    expect(run.steps.look).toMatchObject({ status: 'running', attempt: 1, planned: plan.steps[0] });
    expect(run.steps.write).toMatchObject({ status: 'pending', planned: { destructive: { confirm: 'c1' } } });
    expect(run.title).toBe('Drill');
  });

  it('rebuilds a run from run:list after a reload', () => {
    const events = [
      envelope({ type: 'step.started', step: 'look', title: 'Look', kind: 'run', hosts: ['c1'], attempt: 1 }),
      envelope({ type: 'step.finished', step: 'look', status: 'succeeded', durationMs: 10, checks: [], captures: {} }),
    ];
    useRunsStore.getState().hydrate({ runId: 'r1', plan, startedAt: 0, status: 'running', events, notices: [] });
    expect(useRunsStore.getState().runs.r1.steps.look.status).toBe('succeeded');
    expect(useRunsStore.getState().order).toEqual(['r1']);
  });

  it("keeps lease and drill notices next to the journal's notes, and the drill clock's latest reading", () => {
    const notice = { runId: 'r1', at: 5, level: 'error' as const, source: 'lease' as const, message: 'The lease on c1 was broken by bob' };
    useRunsStore.getState().notice(notice);
    useRunsStore.getState().hydrate({ runId: 'r1', plan, startedAt: 0, status: 'running', events: [], notices: [notice], drill: { objectives: { run: 60_000 } } });
    useRunsStore.getState().apply({ runId: 'r1', at: 3, event: { type: 'run.note', level: 'info', message: 'leases taken' } });
    const reading = { elapsedMs: 2000, entries: [{ key: 'run', title: 'the whole run (RTO)', objectiveMs: 60_000, elapsedMs: 2000, state: 'running' as const }] };
    useRunsStore.getState().drillClock({ runId: 'r1', at: 6, reading });
    const run = useRunsStore.getState().runs.r1;
    expect(runNotes(run).map((note) => [note.message, note.source])).toEqual([
      ['leases taken', undefined],
      ['The lease on c1 was broken by bob', 'lease'],
    ]);
    expect(run.drill).toEqual({ objectives: { run: 60_000 }, reading });
  });
});
