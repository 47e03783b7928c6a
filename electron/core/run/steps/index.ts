/**
 * The step kinds, one module each, registered by kind. The type `StepKindRegistry` maps every kind of
 * the model's `Step` union to a module for exactly that kind: adding a kind to the model fails to
 * compile here until it has an executor, a plan preview and its hosts.
 */
import type { Step } from '../../runbook/model';
import { decisionStepKind } from './decision';
import { foreachStepKind } from './foreach';
import { includeStepKind } from './include';
import { manualStepKind } from './manual';
import { phaseStepKind } from './phase';
import { runStepKind } from './run';
import { sqlStepKind } from './sql';
import type { PlanStep, PreviewContext, StepKindModule, StepKindRegistry } from './types';
import { waitStepKind } from './wait';

export const STEP_KINDS: StepKindRegistry = {
  run: runStepKind,
  wait: waitStepKind,
  manual: manualStepKind,
  decision: decisionStepKind,
  foreach: foreachStepKind,
  phase: phaseStepKind,
  include: includeStepKind,
  sql: sqlStepKind,
};

/** The module of a step's kind, typed for that step. */
export function stepKindOf<S extends Step>(step: S): StepKindModule<S> {
  return STEP_KINDS[step.kind] as unknown as StepKindModule<S>;
}

/** The plan entries of a list of steps, in order, each kind previewing itself and what it holds. */
export function previewSteps(steps: Step[], prefix: string, depth: number, context: Omit<PreviewContext, 'previewList'>): PlanStep[] {
  const full: PreviewContext = { ...context, previewList: (inner, innerPrefix, innerDepth, innerContext) => previewSteps(inner, innerPrefix, innerDepth, innerContext) };
  return steps.flatMap((step) => stepKindOf(step).preview(step, prefix + step.id, depth, full));
}

export { planOfSteps } from '../../runbook/step-lists';
export type { PlanStep, PreviewContext, StepKindModule, StepKindRegistry } from './types';
