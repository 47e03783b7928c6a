/** `foreach:` — inner steps repeated for every item of a list, so many at a time. */
import type { StepStatus } from '../../audit/events';
import { OpsError } from '../../errors';
import type { ForeachStep } from '../../runbook/model';
import { mapWithLimit } from '../concurrency';
import { valueIn, type RunScope } from '../scope';
import { basePreview, withDestructive } from './preview';
import type { StepKindModule } from './types';

export const foreachStepKind: StepKindModule<ForeachStep> = {
  async execute(step, key, frame, run) {
    const items = valueIn(step.items, frame.scope);
    if (!Array.isArray(items)) {
      throw new OpsError('foreach-items', `Step ${key} needs a list to repeat over, but ${step.items} is ${describeValue(items)}.`);
    }
    await run.startStep(key, step, []);
    const started = Date.now();
    const results = await mapWithLimit(items as unknown[], step.concurrency, async (item, index) => {
      const scope: RunScope = {
        ...frame.scope,
        captures: { ...frame.scope.captures },
        locals: { ...frame.scope.locals, [step.as]: item },
      };
      const outcome = await run.walk(step.steps, { prefix: `${key}[${index}]/`, scope, topLevel: false, includes: frame.includes, optionalRoles: frame.optionalRoles });
      return { outcome, captures: scope.captures };
    });
    const failures = results.map((result, index) => (result.outcome !== 'ok' ? index : -1)).filter((index) => index >= 0);
    const status: StepStatus = failures.length > 0 ? 'failed' : 'succeeded';
    run.finishStep(key, started, {
      status,
      reason:
        failures.length > 0
          ? `${failures.length} of ${items.length} iterations failed: ${failures.map((index) => describeItem(items[index])).join(', ')}`
          : `${items.length} iterations succeeded`,
    });
    return { status };
  },

  /** The inner steps once, under `key[*]/`: the items are known only when the step runs. */
  preview(step, key, depth, context) {
    const entry = basePreview(step, key, depth, context.scope);
    entry.prompt = `For each ${step.as} in ${step.items}, ${step.concurrency} at a time:`;
    return [withDestructive(entry, step, context.scope), ...context.previewList(step.steps, `${key}[*]/`, depth + 1, context)];
  },

  target: () => undefined,
  confirmsOnHosts: false,
};

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the text "${value.length > 40 ? `${value.slice(0, 37)}...` : value}"`;
  return `a ${typeof value}`;
}

function describeItem(item: unknown): string {
  if (typeof item === 'string') return item;
  if (item && typeof item === 'object') {
    const record = item as Record<string, unknown>;
    const label = record.Name ?? record.name ?? record.ID ?? record.id;
    if (typeof label === 'string' || typeof label === 'number') return String(label);
  }
  return JSON.stringify(item);
}
