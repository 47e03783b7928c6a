/**
 * What the plan previews of every kind share: templates rendered as far as they can be before the
 * run (values that exist only at run time shown as `⟨captures.x⟩`), checks and captures in words.
 */
import type { CaptureSpec, Expect, OutputMatch, Step } from '../../runbook/model';
import type { Environment } from '../../inventory/model';
import { renderTemplate, type RenderMode, type TemplateScope } from '../../runbook/template';
import { commandAsSent } from '../../ssh/command-line';
import { resolveTargets } from '../targets';
import type { PlanStep } from './types';

/** Renders what can be rendered now; leaves every other reference visible as `⟨path⟩`. */
export function previewTemplate(template: string, scope: TemplateScope, mode: RenderMode): string {
  try {
    // Rendered whole, so each value is quoted for the place it sits in, as the run will render it.
    return renderTemplate(template, scope, mode, { unresolved: (expression) => `⟨${expression.source.trim()}⟩` });
  } catch {
    return template;
  }
}

/** The entry every kind starts from: key, title, kind and depth, nothing else yet. */
export function basePreview(step: Step, key: string, depth: number, scope: TemplateScope): PlanStep {
  return {
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
}

/** The destructive confirmation of a step whose confirmation does not depend on its hosts (default: its id). */
export function withDestructive(base: PlanStep, step: Step, scope: TemplateScope, typed: string = step.id): PlanStep {
  if (!step.destructive) return base;
  return {
    ...base,
    destructive: {
      confirm: step.destructive.confirm ? previewTemplate(step.destructive.confirm, scope, 'text') : typed || undefined,
      warning: step.destructive.warning ? previewTemplate(step.destructive.warning, scope, 'text') : undefined,
    },
  };
}

export function seconds(ms: number): string {
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

export function describeCapture(capture: CaptureSpec): string {
  const how = capture.json ? `JSON ${capture.json}` : capture.regex ? `/${capture.regex}/` : capture.lines ? 'lines' : 'whole output';
  return `${capture.name} ← ${capture.from} (${how})`;
}

/**
 * The preview of a step that sends a command to hosts (run, wait): its hosts when `on:` is known
 * before the run, the command as it will be sent to each, its checks, captures and confirmation.
 */
export function previewCommandStep(
  step: Extract<Step, { kind: 'run' | 'wait' }>,
  base: PlanStep,
  expect: Expect,
  context: { scope: TemplateScope; environment: Environment },
): PlanStep {
  const { scope } = context;
  let hosts: string[] = [];
  try {
    hosts = resolveTargets(renderTemplate(step.on, scope, 'text'), context.environment).map((host) => host.name);
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
  base.checks = describeExpect(expect);
  base.captures = step.capture.map(describeCapture);
  return withDestructive(base, step, scope, hosts.join(' '));
}
