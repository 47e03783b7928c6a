import { describe, expect, it } from 'vitest';
import type { RunPlan } from '../../electron/api/contract';
import { emptyRun, reduceRunEvent, withPlan, type StepView } from '../stores/runs';
import { runStatusText } from '../components/RunHeader';
import { canRollBack, chosenLabel, describeCheck, failedChecks, hiddenOutcomes, statusText, stepTimes } from './truth';

function step(key: string, status: StepView['status'], extra: Partial<StepView> = {}): StepView {
  return { key, title: key, kind: 'run', depth: 0, status, attempt: 1, hosts: [], hostOutcomes: [], commands: {}, checks: [], captures: {}, ...extra };
}

describe('what the run view says', () => {
  it('says a failed exit code check in plain words, with its host', () => {
    expect(describeCheck({ name: 'controller01: exit code 0', detail: 'exit code was 2' })).toEqual({ host: 'controller01', text: 'exit code 2, expected 0' });
    expect(describeCheck({ name: 'exit code one of 0, 3', detail: 'exit code was 1' })).toEqual({ text: 'exit code 1, expected 0, 3' });
    expect(describeCheck({ name: 'stdout contains "ACTIVE"', detail: 'not found' }).text).toBe('not found (expected: stdout contains "ACTIVE")');
    expect(failedChecks(step('s', 'failed', { hosts: ['c1'], checks: [{ name: 'exit code 0', ok: false, detail: 'exit code was 2' }] }))).toEqual([
      { host: 'c1', text: 'exit code 2, expected 0' },
    ]);
  });

  it('does not hide skipped or failed-but-continued steps behind "succeeded"', () => {
    const steps = [step('a', 'succeeded'), step('b', 'skipped'), step('c', 'failed')];
    expect(statusText('succeeded', hiddenOutcomes(steps, 'succeeded'))).toBe('succeeded, 1 step skipped, 1 failed');
    expect(statusText('succeeded', hiddenOutcomes([step('a', 'skipped'), step('b', 'skipped')], 'succeeded'))).toBe('succeeded, 2 steps skipped');
    expect(statusText('failed', hiddenOutcomes([step('c', 'failed')], 'failed'))).toBe('failed');
  });

  it('says "pausing after this step" while a paused run’s step still runs', () => {
    let run = emptyRun('r1', 0);
    run = reduceRunEvent(run, { runId: 'r1', at: 1, event: { type: 'step.started', step: 'a', title: 'A', kind: 'run', hosts: [], attempt: 1 } });
    run = reduceRunEvent(run, { runId: 'r1', at: 2, event: { type: 'operator.action', action: 'pause', operator: 'o' } });
    expect(runStatusText(run)).toBe('pausing after this step');
    run = reduceRunEvent(run, { runId: 'r1', at: 3, event: { type: 'step.finished', step: 'a', status: 'succeeded', durationMs: 2, checks: [], captures: {} } });
    expect(runStatusText(run)).toBe('paused');
  });

  it('offers a rollback only when a step it undoes has run', () => {
    const plan: RunPlan = {
      runbookId: 'r',
      runbookTitle: 'R',
      environmentId: '/e',
      environmentName: 'e',
      lab: true,
      params: {},
      hosts: [],
      steps: [
        { key: 'write', title: 'Write', kind: 'run', depth: 0, hosts: [], commands: [], checks: [], captures: [] },
        { key: 'look', title: 'Look', kind: 'run', depth: 0, hosts: [], commands: [], checks: [], captures: [] },
      ],
      rollback: [{ key: 'rollback/unwrite', title: 'Unwrite', kind: 'run', depth: 0, hosts: [], commands: [], checks: [], captures: [], undoes: 'write' }],
    };
    let run = withPlan(emptyRun('r1', 0), plan);
    expect(canRollBack(run)).toBe(false);
    run = reduceRunEvent(run, { runId: 'r1', at: 1, event: { type: 'step.started', step: 'write', title: 'Write', kind: 'run', hosts: [], attempt: 1 } });
    expect(canRollBack(run)).toBe(true);
    expect(canRollBack(withPlan(emptyRun('r2', 0), { ...plan, rollback: [] }))).toBe(false);
  });

  it('names the chosen label of a decision and splits working time from waiting for a person', () => {
    expect(
      chosenLabel(
        step('d', 'succeeded', {
          kind: 'decision',
          reason: 'chose go',
          planned: { key: 'd', title: 'd', kind: 'decision', depth: 0, hosts: [], commands: [], checks: [], captures: [], choices: [{ id: 'go', label: 'Go on' }] },
        }),
      ),
    ).toBe('Go on');
    let run = emptyRun('r1', 0);
    const at = (ms: number, event: Parameters<typeof reduceRunEvent>[1]['event']) => (run = reduceRunEvent(run, { runId: 'r1', at: ms, event }));
    at(1000, { type: 'step.started', step: 'm', title: 'M', kind: 'manual', hosts: [], attempt: 1 });
    at(1500, { type: 'step.awaiting', step: 'm', need: 'manual', prompt: 'do it' });
    expect(stepTimes(run.steps.m, 4500)).toEqual({ workingMs: 500, waitingMs: 3000 });
    at(61_500, { type: 'operator.action', action: 'manual-done', step: 'm', operator: 'o' });
    at(62_000, { type: 'step.finished', step: 'm', status: 'succeeded', durationMs: 61_000, checks: [], captures: {} });
    expect(stepTimes(run.steps.m, 99_999)).toEqual({ workingMs: 1000, waitingMs: 60_000 });
  });
});
