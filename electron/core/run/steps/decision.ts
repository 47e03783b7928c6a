/** `decision:` — a question with choices; the chosen id is kept and may send the run elsewhere. */
import { OpsError } from '../../errors';
import type { DecisionStep } from '../../runbook/model';
import { renderIn } from '../scope';
import { basePreview, previewTemplate, withDestructive } from './preview';
import type { StepKindModule } from './types';

export const decisionStepKind: StepKindModule<DecisionStep> = {
  async execute(step, key, frame, run) {
    await run.startStep(key, step, []);
    const started = Date.now();
    const reply = await run.ask(key, {
      need: 'decision',
      prompt: renderIn(step.question, frame.scope, 'text'),
      choices: step.choices.map((choice) => ({ id: choice.id, label: renderIn(choice.label, frame.scope, 'text') })),
    });
    if (reply.kind !== 'decision') throw new OpsError('internal', 'unexpected reply');
    const choice = step.choices.find((candidate) => candidate.id === reply.choice)!;
    frame.scope.captures[step.captureAs] = choice.id;
    run.finishStep(key, started, { status: 'succeeded', captures: { [step.captureAs]: choice.id }, reason: `chose ${choice.id}` });
    return { status: 'succeeded', jump: choice.next };
  },

  preview(step, key, depth, { scope }) {
    const entry = basePreview(step, key, depth, scope);
    entry.prompt = previewTemplate(step.question, scope, 'text');
    entry.choices = step.choices.map((choice) => ({
      id: choice.id,
      label: previewTemplate(choice.label, scope, 'text') + (choice.next ? ` → ${choice.next}` : ''),
    }));
    return [withDestructive(entry, step, scope)];
  },

  target: () => undefined,
  confirmsOnHosts: false,
};
