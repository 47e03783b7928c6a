import type { Environment } from '../inventory/model';
import type { ParamValue, Runbook, Step } from '../runbook/model';
import { OpsError, userMessageOf } from '../errors';
import { renderTemplate } from '../runbook/template';
import { environmentScope } from './scope';
import { resolveFittedTargets } from './targets';

/**
 * The hosts a run will touch, as far as they can be known before it starts: every `on:` that depends
 * only on parameters and the environment. Targets taken from captures are found when the step runs.
 * A known `on:` naming no host or role of the environment refuses the run before anything runs
 * (OpsError `target`, naming every such step).
 */
export function plannedHosts(
  runbook: Runbook,
  params: Record<string, ParamValue>,
  environment: Environment,
  library?: { get(id: string): Runbook | undefined },
): string[] {
  const names = new Set<string>();
  const unknown: string[] = [];
  const scope = { params, captures: {}, env: environmentScope(environment), run: {}, locals: {} };
  const visit = (steps: Step[], seen: Set<string>, optionalRoles: Record<string, string>) => {
    for (const step of steps) {
      if (step.kind === 'run' || step.kind === 'wait') {
        let on: string;
        try {
          on = renderTemplate(step.on, scope, 'text');
        } catch {
          continue; // Depends on a capture or a loop variable: known only when the step runs.
        }
        try {
          for (const host of resolveFittedTargets(on, environment, optionalRoles).hosts) names.add(host.name);
        } catch (error) {
          unknown.push(`step ${step.id} (${step.source.file}:${step.source.line}): ${userMessageOf(error)}`);
        }
      } else if (step.kind === 'foreach' || step.kind === 'phase') {
        visit(step.steps, seen, optionalRoles);
        if (step.kind === 'phase') visit(step.check, seen, optionalRoles);
      } else if (step.kind === 'include' && !seen.has(step.runbook)) {
        const included = library?.get(step.runbook);
        if (included) visit(included.steps, new Set([...seen, step.runbook]), { ...optionalRoles, ...(included.optionalRoles ?? {}) });
      }
    }
  };
  visit([...runbook.steps, ...runbook.rollback.map((entry) => entry.step), ...runbook.finally], new Set([runbook.id]), runbook.optionalRoles ?? {});
  if (unknown.length > 0) {
    throw new OpsError('target', `Nothing was run: the runbook names hosts that environment "${environment.name}" does not have.\n  ${unknown.join('\n  ')}`);
  }
  return environment.hosts.map((host) => host.name).filter((name) => names.has(name));
}
