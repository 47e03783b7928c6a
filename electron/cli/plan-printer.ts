/**
 * `opsdeck plan` as text: the plan the console previews before Start (electron/app/plan.ts), one step
 * after another, each command exactly as it will be sent to each host.
 */
import type { PlanStep, RunPlan } from '../api/contract';
import type { Style } from './printer';

/** The whole plan, as an operator reads it before a maintenance window. */
export function renderPlan(plan: RunPlan, style: Style): string {
  const lines: string[] = [];
  lines.push(style.bold(`Plan of ${plan.runbookId}: ${plan.runbookTitle}`));
  lines.push(`  environment ${plan.environmentName}${plan.lab ? ' [LAB]' : ''}`);
  const params = Object.entries(plan.params);
  if (params.length > 0) lines.push(`  parameters: ${params.map(([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(', ')}`);
  lines.push(`  hosts: ${plan.hosts.length > 0 ? plan.hosts.join(', ') : '(none)'}`);
  lines.push('');
  plan.steps.forEach((step, index) => lines.push(...renderStep(step, `${index + 1}.`, style)));
  lines.push('');
  if (plan.rollback.length === 0) {
    lines.push(style.dim('Rollback: none declared.'));
  } else {
    lines.push(style.bold('Rollback (runs when the run is rolled back):'));
    plan.rollback.forEach((step, index) => lines.push(...renderStep(step, `R${index + 1}.`, style)));
  }
  lines.push(style.dim('Nothing was run: this is the plan only.'));
  return lines.join('\n') + '\n';
}

function renderStep(step: PlanStep, number: string, style: Style): string[] {
  const indent = '  '.repeat(step.depth);
  const more = `${indent}     `;
  const lines = [`${indent}${number.padEnd(4)} ${style.bold(step.title)} ${style.dim(`[${step.key}] ${step.kind}`)}`];
  if (step.hosts.length > 0) lines.push(`${more}on ${step.hosts.join(', ')}`);
  if (step.targetNote) lines.push(`${more}${step.targetNote}`);
  for (const { host, command } of step.commands) {
    const [first, ...rest] = command.split('\n');
    lines.push(`${more}${style.cyan(`${host} $`)} ${first}`);
    for (const line of rest) lines.push(`${more}${' '.repeat(host.length + 2)} ${line}`);
  }
  if (step.prompt) for (const line of step.prompt.replace(/\s+$/, '').split('\n')) lines.push(`${more}${line}`);
  for (const choice of step.choices ?? []) lines.push(`${more}- ${choice.id}: ${choice.label}`);
  if (step.checks.length > 0) lines.push(`${more}checks: ${step.checks.join('; ')}`);
  if (step.captures.length > 0) lines.push(`${more}captures: ${step.captures.join('; ')}`);
  if (step.destructive) {
    lines.push(
      `${more}${style.red('DESTRUCTIVE')}${step.destructive.confirm ? `: type "${step.destructive.confirm}" to go on` : ''}${step.destructive.warning ? ` — ${step.destructive.warning}` : ''}`,
    );
  }
  return lines;
}
