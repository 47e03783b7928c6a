/** `include:` — another runbook of the library run as one step, with its own parameters. */
import type { StepStatus } from '../../audit/events';
import { OpsError } from '../../errors';
import type { IncludeStep, ParamValue } from '../../runbook/model';
import { resolveTemplateValue } from '../../runbook/template';
import { resolveParams } from '../params';
import { valueIn, type RunScope } from '../scope';
import { basePreview, withDestructive } from './preview';
import type { StepKindModule } from './types';

export const includeStepKind: StepKindModule<IncludeStep> = {
  async execute(step, key, frame, run) {
    const included = run.library?.get(step.runbook);
    if (!included) throw new OpsError('include', `Step ${key} includes runbook "${step.runbook}", which is not in the library.`);
    if (frame.includes.includes(included.id)) {
      throw new OpsError(
        'include-loop',
        `Step ${key} includes runbook "${included.id}", which is already running around it (${[...frame.includes, included.id].join(' -> ')}); that would never end.`,
      );
    }
    const given = Object.fromEntries(Object.entries(step.with).map(([name, template]) => [name, valueIn(template, frame.scope)]));
    const params = resolveParams(included, given, run.environment);
    await run.startStep(key, step, []);
    const started = Date.now();
    const scope: RunScope = { ...frame.scope, params, captures: {}, locals: {} };
    const optionalRoles = { ...(frame.optionalRoles ?? run.runbook.optionalRoles ?? {}), ...(included.optionalRoles ?? {}) };
    const outcome = await run.walk(included.steps, { prefix: `${key}/`, scope, topLevel: false, includes: [...frame.includes, included.id], optionalRoles });
    frame.scope.captures[step.id] = scope.captures;
    const status: StepStatus = outcome === 'ok' ? 'succeeded' : outcome;
    run.finishStep(key, started, {
      status,
      captures: run.masker.maskValue({ [step.id]: scope.captures }),
      reason: status === 'failed' ? `a step of included runbook ${included.id} failed` : undefined,
    });
    return { status };
  },

  /**
   * The include, then the included runbook's steps under `key/` as the run will key them, with the
   * parameters known before the run (the others shown as `⟨params.x⟩`). An include of a runbook it
   * already sits in is not expanded again (the run refuses it).
   */
  preview(step, key, depth, context) {
    const included = context.library.get(step.runbook);
    const entry = basePreview(step, key, depth, context.scope);
    entry.prompt = `Runs the runbook ${step.runbook}${included ? ` (${included.title})` : ' (not in the library)'} with its own parameters.`;
    const head = withDestructive(entry, step, context.scope);
    if (!included || context.includes.includes(included.id)) return [head];
    const given: Record<string, unknown> = {};
    for (const [name, template] of Object.entries(step.with)) {
      try {
        given[name] = resolveTemplateValue(template, context.scope);
      } catch {
        // Known only when the run gets there (a capture): the inner steps show it unresolved.
      }
    }
    let params: Record<string, ParamValue>;
    try {
      params = resolveParams(included, given, context.environment);
    } catch {
      params = Object.fromEntries(included.params.filter((spec) => spec.default !== undefined).map((spec) => [spec.name, spec.default!]));
      Object.assign(params, given);
    }
    const scope = { ...context.scope, params, captures: {}, locals: {} };
    return [head, ...context.previewList(included.steps, `${key}/`, depth + 1, { ...context, scope, includes: [...context.includes, included.id] })];
  },

  target: () => undefined,
  confirmsOnHosts: false,
};
