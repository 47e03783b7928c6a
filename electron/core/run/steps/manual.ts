/** `manual:` — instructions the operator carries out, then marks done or failed. */
import type { StepStatus } from '../../audit/events';
import { OpsError } from '../../errors';
import type { ManualStep } from '../../runbook/model';
import { renderIn } from '../scope';
import { basePreview, previewTemplate, withDestructive } from './preview';
import type { StepKindModule } from './types';

export const manualStepKind: StepKindModule<ManualStep> = {
  async execute(step, key, frame, run) {
    await run.startStep(key, step, []);
    const started = Date.now();
    const reply = await run.ask(key, { need: 'manual', prompt: renderIn(step.instructions, frame.scope, 'text') });
    if (reply.kind !== 'manual') throw new OpsError('internal', 'unexpected reply');
    const status: StepStatus = reply.outcome === 'done' ? 'succeeded' : 'failed';
    run.finishStep(key, started, {
      status,
      reason: reply.outcome === 'failed' ? `marked failed by ${run.operator}${reply.note ? `: ${reply.note}` : ''}` : reply.note,
    });
    return { status };
  },

  preview(step, key, depth, { scope }) {
    const entry = basePreview(step, key, depth, scope);
    entry.prompt = previewTemplate(step.instructions, scope, 'text');
    return [withDestructive(entry, step, scope)];
  },

  target: () => undefined,
  confirmsOnHosts: false,
};
