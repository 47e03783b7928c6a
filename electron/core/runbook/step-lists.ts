/**
 * The step lists a step holds, by kind: what every walk over a runbook's steps (its plan, its
 * includes, its hosts) descends into. The switch is exhaustive: a new kind does not compile until it
 * says what it holds.
 */
import type { Step, StepKind } from './model';

export interface NestedList {
  steps: Step[];
  /** What the inner steps' keys add to the step's key: `/`, `/check/`, `[3]/` (`[*]/` before the run). */
  infix: string;
  /** The list runs once per item of something known only at run time (a foreach). */
  repeated: boolean;
}

/**
 * Kinds whose step is made of other steps (its time is theirs): a report of the slowest steps leaves
 * them out. A Record, so a new kind must say.
 */
export const HOLDS_STEPS: Readonly<Record<StepKind, boolean>> = {
  run: false,
  wait: false,
  manual: false,
  decision: false,
  sql: false,
  foreach: true,
  phase: true,
  include: true,
};

/** Whether a step kind as recorded in a journal (any text) holds other steps. */
export function holdsSteps(kind: string): boolean {
  return Object.hasOwn(HOLDS_STEPS, kind) && HOLDS_STEPS[kind as StepKind];
}

/** The lists of steps written inside a step (an include's runbook is not: it lives in the library). */
export function nestedLists(step: Step): NestedList[] {
  switch (step.kind) {
    case 'foreach':
      return [{ steps: step.steps, infix: '[*]/', repeated: true }];
    case 'phase':
      return [
        { steps: step.steps, infix: '/', repeated: false },
        { steps: step.check, infix: '/check/', repeated: false },
      ];
    case 'run':
    case 'wait':
    case 'manual':
    case 'decision':
    case 'include':
    case 'sql':
      return [];
    default:
      return unknownKind(step);
  }
}

/**
 * The plan of a runbook as `run.started` records it: step keys, titles, kinds, in order; the steps of
 * a phase expanded (their keys are known before the run), those of a foreach not (they are keyed by
 * iteration) and an include's not (they belong to the included runbook).
 */
export function planOfSteps(steps: readonly Step[], prefix = ''): Array<{ key: string; title: string; kind: string }> {
  return steps.flatMap((step) => {
    const entry = { key: prefix + step.id, title: step.title, kind: step.kind };
    const inner = nestedLists(step).filter((list) => !list.repeated);
    return [entry, ...inner.flatMap((list) => planOfSteps(list.steps, entry.key + list.infix))];
  });
}

/** The `default:` of a switch over every step kind: does not compile while a kind has no case. */
export function unknownKind(step: never): never {
  throw new Error(`unknown step kind ${(step as Step).kind}`);
}
