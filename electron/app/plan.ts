/**
 * The plan preview: every step of a runbook with every command resolved for its hosts, as far as it
 * can be known before anything executes. Values that exist only at run time (captures, loop
 * variables, the run id) are shown as `⟨captures.x⟩` so the operator sees exactly where they go.
 */
import { commandAsSent } from '../core/ssh/command-line';
import type { PlanStep, RunPlan } from '../api/contract';
import type { Environment } from '../core/inventory/model';
import type { CaptureSpec, Expect, OutputMatch, ParamValue, Runbook, Step } from '../core/runbook/model';
import { renderTemplate, type RenderMode, type TemplateScope } from '../core/runbook/template';
import { environmentScope } from '../core/run/scope';
import { plannedHosts } from '../core/run/preflight';
import { resolveTargets } from '../core/run/targets';
import type { Masker } from '../core/audit/mask';

/** Renders what can be rendered now; leaves every other reference visible as `⟨path⟩`. */
export function previewTemplate(template: string, scope: TemplateScope, mode: RenderMode): string {
  try {
    // Rendered whole, so each value is quoted for the place it sits in, as the run will render it.
    return renderTemplate(template, scope, mode, { unresolved: (expression) => `⟨${expression.source.trim()}⟩` });
  } catch {
    return template;
  }
}

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
  const steps = [
    ...planSteps(runbook.steps, '', 0, scope, environment, input.library),
    ...planSteps(runbook.finally, 'finally/', 0, scope, environment, input.library),
  ].map(maskStep);
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

function planSteps(
  steps: Step[],
  prefix: string,
  depth: number,
  scope: TemplateScope,
  environment: Environment,
  library: { get(id: string): Runbook | undefined },
): PlanStep[] {
  const out: PlanStep[] = [];
  for (const step of steps) {
    const key = prefix + step.id;
    const base: PlanStep = {
      key,
      title: previewTemplate(step.title, scope, 'text'),
      kind: step.kind,
      depth,
      description: step.description,
      hosts: [],
      commands: [],
      checks: [],
      captures: [],
    };
    switch (step.kind) {
      case 'run':
      case 'wait': {
        let hosts: string[] = [];
        try {
          hosts = resolveTargets(renderTemplate(step.on, scope, 'text'), environment).map((host) => host.name);
        } catch {
          base.targetNote = `on: ${step.on} (known when the step runs)`;
        }
        base.hosts = hosts;
        // As the host's shell will be given it (the engine's own sudo wrapper), newlines kept.
        if (step.sudo) base.sudo = true;
        base.commands = (hosts.length > 0 ? hosts : [`⟨${step.on}⟩`]).map((host) => ({
          host,
          command: commandAsSent(previewTemplate(step.command, { ...scope, host: hosts.length > 0 ? host : undefined }, 'shell'), step.sudo),
        }));
        base.checks = describeExpect(step.kind === 'run' ? step.expect : step.until);
        if (step.kind === 'wait') base.checks.unshift(`polled every ${seconds(step.intervalMs)} until it holds, for at most ${seconds(step.deadlineMs)}`);
        base.captures = step.capture.map(describeCapture);
        if (step.destructive) {
          base.destructive = {
            confirm: step.destructive.confirm ? previewTemplate(step.destructive.confirm, scope, 'text') : hosts.join(' ') || undefined,
            warning: step.destructive.warning ? previewTemplate(step.destructive.warning, scope, 'text') : undefined,
          };
        }
        out.push(base);
        break;
      }
      case 'manual':
        base.prompt = previewTemplate(step.instructions, scope, 'text');
        out.push(withDestructive(base, step, scope));
        break;
      case 'decision':
        base.prompt = previewTemplate(step.question, scope, 'text');
        base.choices = step.choices.map((choice) => ({
          id: choice.id,
          label: previewTemplate(choice.label, scope, 'text') + (choice.next ? ` → ${choice.next}` : ''),
        }));
        out.push(withDestructive(base, step, scope));
        break;
      case 'foreach':
        base.prompt = `For each ${step.as} in ${step.items}, ${step.concurrency} at a time:`;
        out.push(withDestructive(base, step, scope));
        out.push(...planSteps(step.steps, `${key}[*]/`, depth + 1, scope, environment, library));
        break;
      case 'phase':
        base.prompt = `Phase, priority ${step.priority}; ${step.concurrency} step(s) at a time.`;
        out.push(withDestructive(base, step, scope));
        out.push(...planSteps(step.steps, `${key}/`, depth + 1, scope, environment, library));
        out.push(...planSteps(step.check, `${key}/check/`, depth + 1, scope, environment, library));
        break;
      case 'include': {
        const included = library.get(step.runbook);
        base.prompt = `Runs the runbook ${step.runbook}${included ? ` (${included.title})` : ' (not in the library)'} with its own parameters.`;
        out.push(withDestructive(base, step, scope));
        break;
      }
    }
  }
  return out;
}

function withDestructive(base: PlanStep, step: Step, scope: TemplateScope): PlanStep {
  if (!step.destructive) return base;
  return {
    ...base,
    destructive: {
      confirm: step.destructive.confirm ? previewTemplate(step.destructive.confirm, scope, 'text') : step.id,
      warning: step.destructive.warning ? previewTemplate(step.destructive.warning, scope, 'text') : undefined,
    },
  };
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function describeMatch(stream: string, match: OutputMatch): string {
  if (match.contains !== undefined) return `${stream} contains "${match.contains}"`;
  if (match.notContains !== undefined) return `${stream} does not contain "${match.notContains}"`;
  if (match.matches !== undefined) return `${stream} matches /${match.matches}/`;
  if (match.notMatches !== undefined) return `${stream} does not match /${match.notMatches}/`;
  if (match.empty !== undefined) return `${stream} is ${match.empty ? '' : 'not '}empty`;
  return `${stream} check`;
}

/** The checks of a step in words, as an operator reads them before the run. */
export function describeExpect(expect: Expect): string[] {
  const checks = [`exit code ${expect.exit.join(' or ')}`];
  for (const match of expect.stdout) checks.push(describeMatch('stdout', match));
  for (const match of expect.stderr) checks.push(describeMatch('stderr', match));
  for (const check of expect.json) {
    const conditions = Object.entries(check)
      .filter(([key]) => key !== 'path')
      .map(([key, value]) => `${key} ${JSON.stringify(value)}`)
      .join(', ');
    checks.push(`JSON ${check.path}: ${conditions}`);
  }
  return checks;
}

function describeCapture(capture: CaptureSpec): string {
  const how = capture.json ? `JSON ${capture.json}` : capture.regex ? `/${capture.regex}/` : capture.lines ? 'lines' : 'whole output';
  return `${capture.name} ← ${capture.from} (${how})`;
}
