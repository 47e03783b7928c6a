/**
 * The plan preview: every step of a runbook with every command resolved for its hosts, as far as it
 * can be known before anything executes. Values that exist only at run time (captures, loop
 * variables, the run id) are shown as `⟨captures.x⟩` so the operator sees exactly where they go.
 */
import type { PlanStep, RunPlan } from '../api/contract';
import type { Environment } from '../core/inventory/model';
import type { ParamValue, Runbook, Step } from '../core/runbook/model';
import type { TemplateScope } from '../core/runbook/template';
import { environmentScope } from '../core/run/scope';
import { plannedHosts } from '../core/run/preflight';
import { previewSteps } from '../core/run/steps';
import type { Masker } from '../core/audit/mask';

export interface PlanInput {
  runbook: Runbook;
  library: { get(id: string): Runbook | undefined };
  environment: Environment;
  environmentId: string;
  params: Record<string, ParamValue>;
  operator: string;
  masker: Masker;
}

/** The resolved plan of a run that has not started. */
export function buildPlan(input: PlanInput): RunPlan {
  const { runbook, environment, params, masker } = input;
  const scope: TemplateScope = {
    params,
    captures: {},
    env: environmentScope(environment),
    run: { operator: input.operator, environment: environment.name },
    locals: {},
  };
  const maskStep = (step: PlanStep): PlanStep => ({
    ...step,
    commands: step.commands.map((entry) => ({ host: entry.host, command: masker.mask(entry.command) })),
    prompt: step.prompt === undefined ? undefined : masker.mask(step.prompt),
  });
  const steps = [...planSteps(runbook.steps, '', 0, scope, environment, input.library), ...planSteps(runbook.finally, 'finally/', 0, scope, environment, input.library)].map(
    maskStep,
  );
  const rollback = runbook.rollback
    .flatMap((entry) => planSteps([entry.step], 'rollback/', 0, scope, environment, input.library).map((step) => (entry.undoes ? { ...step, undoes: entry.undoes } : step)))
    .map(maskStep);
  const maskedParams: Record<string, unknown> = {};
  for (const spec of runbook.params) {
    if (params[spec.name] !== undefined) maskedParams[spec.name] = spec.secret ? '********' : params[spec.name];
  }
  return {
    runbookId: runbook.id,
    runbookTitle: runbook.title,
    environmentId: input.environmentId,
    environmentName: environment.name,
    lab: environment.lab,
    params: maskedParams,
    hosts: plannedHosts(runbook, params, environment, input.library),
    steps,
    rollback,
  };
}

/**
 * The plan entries of a list of steps, in order: each step kind previews itself and the steps it
 * holds (see core/run/steps). `prefix` is put before every key (`finally/`, `rollback/`).
 */
export function planSteps(
  steps: Step[],
  prefix: string,
  depth: number,
  scope: TemplateScope,
  environment: Environment,
  library: { get(id: string): Runbook | undefined },
): PlanStep[] {
  return previewSteps(steps, prefix, depth, { scope, environment, library, includes: [] });
}
