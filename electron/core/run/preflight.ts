import type { Environment } from '../inventory/model';
import type { ParamValue, Runbook, Step } from '../runbook/model';
import { OpsError, userMessageOf } from '../errors';
import { renderTemplate } from '../runbook/template';
import { checkRequires } from './params';
import { environmentScope } from './scope';
import { resolveFittedTargets } from './targets';
import { nestedLists } from '../runbook/step-lists';
import { stepKindOf } from './steps';

/**
 * The hosts a run will touch, as far as they can be known before it starts: every `on:` that depends
 * only on parameters and the environment. Targets taken from captures are found when the step runs.
 * A known `on:` naming no host or role of the environment refuses the run before anything runs
 * (OpsError `target`, naming every such step), and so does an included runbook whose `requires:`
 * the environment does not meet (OpsError `requires`).
 */
export function plannedHosts(runbook: Runbook, params: Record<string, ParamValue>, environment: Environment, library?: { get(id: string): Runbook | undefined }): string[] {
  const names = new Set<string>();
  const unknown: string[] = [];
  const scope = { params, captures: {}, env: environmentScope(environment), run: {}, locals: {} };
  const visit = (steps: Step[], seen: Set<string>, optionalRoles: Record<string, string>) => {
    for (const step of steps) {
      const target = stepKindOf(step).target(step);
      if (target !== undefined) {
        let on: string;
        try {
          on = renderTemplate(target, scope, 'text');
        } catch {
          continue; // Depends on a capture or a loop variable: known only when the step runs.
        }
        try {
          for (const host of resolveFittedTargets(on, environment, optionalRoles).hosts) names.add(host.name);
        } catch (error) {
          unknown.push(`step ${step.id} (${step.source.file}:${step.source.line}): ${userMessageOf(error)}`);
        }
      }
      for (const list of nestedLists(step)) visit(list.steps, seen, optionalRoles);
      if (step.kind === 'include' && !seen.has(step.runbook)) {
        const included = library?.get(step.runbook);
        if (included) {
          // An included runbook's requires: refuses the run now, not when the include is reached.
          checkRequires(included, environment);
          visit(included.steps, new Set([...seen, step.runbook]), { ...optionalRoles, ...(included.optionalRoles ?? {}) });
        }
      }
    }
  };
  visit([...runbook.steps, ...runbook.rollback.map((entry) => entry.step), ...runbook.finally], new Set([runbook.id]), runbook.optionalRoles ?? {});
  if (unknown.length > 0) {
    throw new OpsError('target', `Nothing was run: the runbook names hosts that environment "${environment.name}" does not have.\n  ${unknown.join('\n  ')}`);
  }
  return environment.hosts.map((host) => host.name).filter((name) => names.has(name));
}
