import { describe, expect, it } from 'vitest';
import type { StepStatus } from '../audit/events';
import { parseRunbook } from '../runbook/parse';
import type { Runbook } from '../runbook/model';
import { ParamError } from './params';
import { lostCaptures, paramsToGiveAgain, rerunStep, resumeParams } from './resume';

function runbookOf(yaml: string): Runbook {
  const result = parseRunbook(yaml, 'test.yaml');
  if (!result.runbook) throw new Error(result.problems.map((problem) => problem.message).join('\n'));
  return result.runbook;
}

const runbook = runbookOf(`id: t
title: T
version: "1"
description: test
params:
  password: { type: string, secret: true, required: true }
  url: { type: string, required: true }
  count: { type: int, default: 2 }
steps:
  - { id: one, on: ctl, run: echo one, capture: { api_token: stdout } }
  - id: group
    phase: { priority: 1 }
    steps:
      - { id: inner, on: ctl, run: echo inner, capture: { db_password: stdout } }
      - { id: reads, on: ctl, run: "echo {{ captures.api_token }}" }
      - { id: later, on: ctl, run: "echo {{ captures.api_token }}" }
  - { id: two, on: ctl, run: "echo {{ captures.api_token }}" }
finally:
  - { id: tell, on: ctl, run: "echo {{ captures['db_password'] }}" }
`);

describe('resume', () => {
  it('gives again the secret parameters and any whose recorded value was masked, and keeps the others', () => {
    const recorded = { password: '********', url: 'mysql://nova:********@db/nova', count: 3 };
    expect(paramsToGiveAgain(runbook, recorded)).toEqual(['password', 'url']);
    expect(resumeParams(runbook, recorded, { password: 'pw', url: 'mysql://nova:pw@db/nova', count: '3' })).toEqual({
      password: 'pw',
      url: 'mysql://nova:pw@db/nova',
      count: 3,
    });
    expect(() => resumeParams(runbook, recorded, { url: 'x' })).toThrow(ParamError);
    expect(() => resumeParams(runbook, recorded, { password: 'pw', url: 'x', count: '4' })).toThrow(/count: the run started with 3 and keeps it/);
  });

  it('finds masked captures that remaining steps, rollback and finally read, and --rerun clears the step and its groups', () => {
    // A phase half done: the step of it that is done and read the capture no longer needs it.
    expect(
      lostCaptures(runbook, { steps: [{ key: 'one', captures: { api_token: '********' } }], captures: { api_token: '********' } } as never, {
        one: 'succeeded',
        'group/inner': 'succeeded',
        'group/reads': 'succeeded',
      }),
    ).toEqual([{ capture: 'api_token', step: 'one', neededBy: ['group/later', 'two'] }]);
    const statuses: Record<string, StepStatus> = { one: 'succeeded', group: 'succeeded', 'group/inner': 'succeeded', 'group/reads': 'succeeded', 'group/later': 'succeeded' };
    const steps = [
      { key: 'one', captures: { api_token: '********' } },
      { key: 'group/inner', captures: { db_password: '********' } },
    ];
    const state = { steps, captures: { api_token: '********', db_password: '********' } } as unknown as Parameters<typeof lostCaptures>[1];
    expect(lostCaptures(runbook, state, statuses)).toEqual([
      { capture: 'api_token', step: 'one', neededBy: ['two'] },
      { capture: 'db_password', step: 'group/inner', neededBy: ['finally/tell'] },
    ]);
    const resume = { statuses: { ...statuses }, completedOrder: ['one', 'group'] };
    rerunStep(resume, 'group/inner');
    expect(resume).toEqual({ statuses: { one: 'succeeded', 'group/reads': 'succeeded', 'group/later': 'succeeded' }, completedOrder: ['one'] });
    expect(lostCaptures(runbook, state, resume.statuses)).toEqual([{ capture: 'api_token', step: 'one', neededBy: ['two'] }]);
    expect(() => rerunStep(resume, 'two')).toThrow(/--rerun two: that step is not done in this run/);
  });
});
