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
  });

  it('ends every prompt on abort, rollback, reopening and the run\'s end (the runner cancels them all)', () => {
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
