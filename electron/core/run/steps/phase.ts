/** `phase:` — a priority group of a DR plan: its steps (so many at once), then checks that must pass. */
import type { PhaseStep } from '../../runbook/model';
import { mapWithLimit } from '../concurrency';
import { basePreview, withDestructive } from './preview';
import type { StepFrame, StepKindModule } from './types';

export const phaseStepKind: StepKindModule<PhaseStep> = {
  async execute(step, key, frame, run) {
    await run.startStep(key, step, []);
    const started = Date.now();
    const inner: StepFrame = { prefix: `${key}/`, scope: frame.scope, topLevel: false, includes: frame.includes, optionalRoles: frame.optionalRoles };
    const outcomes = await mapWithLimit(step.steps, step.concurrency, (child) => run.walk([child], inner));
    if (outcomes.some((outcome) => outcome !== 'ok')) {
      run.finishStep(key, started, { status: 'failed', reason: `Priority ${step.priority}: a step of this phase failed; later phases do not start.` });
      return { status: 'failed' };
    }
    const checks = await run.walk(step.check, { ...inner, prefix: `${key}/check/` });
    if (checks !== 'ok') {
      run.finishStep(key, started, { status: 'failed', reason: `Priority ${step.priority}: the phase's checks failed; later phases do not start.` });
      return { status: 'failed' };
    }
    run.finishStep(key, started, { status: 'succeeded', reason: `Priority ${step.priority} done and checked.` });
    return { status: 'succeeded' };
  },

  preview(step, key, depth, context) {
    const entry = basePreview(step, key, depth, context.scope);
    entry.prompt = `Phase, priority ${step.priority}; ${step.concurrency} step(s) at a time.`;
    return [
      withDestructive(entry, step, context.scope),
      ...context.previewList(step.steps, `${key}/`, depth + 1, context),
      ...context.previewList(step.check, `${key}/check/`, depth + 1, context),
    ];
  },

  target: () => undefined,
  confirmsOnHosts: false,
};
