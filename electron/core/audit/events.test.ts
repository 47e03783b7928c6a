import { describe, expect, it } from 'vitest';
import { promptsEndedBy, runStatusAfter, type OperatorActionEvent } from './events';

const action = (fields: Omit<OperatorActionEvent, 'type' | 'operator'>): OperatorActionEvent => ({ type: 'operator.action', operator: 'alice', ...fields });

describe('promptsEndedBy', () => {
  it('ends a step prompt on its answer or its end, and nothing on pause, resume or a mistyped confirmation', () => {
    expect(promptsEndedBy({ type: 'step.finished', step: 'a', status: 'failed', durationMs: 1, checks: [], captures: {} })).toEqual({ step: 'a' });
    for (const answer of ['confirm', 'manual-done', 'manual-failed', 'decide', 'skip', 'retry'] as const) {
      expect(promptsEndedBy(action({ action: answer, step: 'a' }))).toEqual({ step: 'a' });
    }
    expect(promptsEndedBy(action({ action: 'confirm', step: 'a', text: 'c2', note: 'did not match "c1"; the step still waits' }))).toBe('none');
    expect(promptsEndedBy(action({ action: 'pause' }))).toBe('none');
    expect(promptsEndedBy(action({ action: 'resume' }))).toBe('none');
    expect(promptsEndedBy({ type: 'step.awaiting', step: 'a', need: 'manual', prompt: 'do it' })).toBe('none');
    // Two-person approval: an answer that counts, or the break-glass, ends the wait; one that does not count leaves it.
    const answer = { step: 'a', requestId: 'r1', approver: 'bob', proof: 'uid 1001', reason: 'checked' };
    expect(promptsEndedBy({ type: 'approval.granted', ...answer })).toEqual({ step: 'a' });
    expect(promptsEndedBy({ type: 'approval.refused', ...answer })).toEqual({ step: 'a' });
    expect(promptsEndedBy({ type: 'approval.overridden', step: 'a', requestId: 'r1', operator: 'alice', reason: 'outage' })).toEqual({ step: 'a' });
    expect(promptsEndedBy({ type: 'approval.not-counted', ...answer, why: 'self-approval' })).toBe('none');
  });

  it("ends every prompt on abort, rollback, reopening and the run's end (the runner cancels them all)", () => {
    expect(promptsEndedBy(action({ action: 'abort', reason: 'stop' }))).toBe('all');
    expect(promptsEndedBy(action({ action: 'rollback', reason: 'stop' }))).toBe('all');
    expect(promptsEndedBy(action({ action: 'reopen' }))).toBe('all');
    expect(promptsEndedBy({ type: 'run.finished', status: 'aborted', durationMs: 5 })).toBe('all');
  });
});

describe('runStatusAfter', () => {
  it('pauses on pause and reopening, runs again on resume, ends as run.finished says, and is kept by anything else', () => {
    expect(runStatusAfter('running', action({ action: 'pause' }))).toBe('paused');
    expect(runStatusAfter('interrupted', action({ action: 'reopen' }))).toBe('paused');
    expect(runStatusAfter('paused', action({ action: 'resume' }))).toBe('running');
    expect(runStatusAfter('paused', action({ action: 'abort', reason: 'stop' }))).toBe('paused');
    expect(runStatusAfter('running', { type: 'run.finished', status: 'rolled-back', durationMs: 5 })).toBe('rolled-back');
    expect(runStatusAfter('paused', { type: 'step.started', step: 'a', title: 'A', kind: 'run', hosts: [], attempt: 1 })).toBe('paused');
  });
});
