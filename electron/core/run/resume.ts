/**
 * What a reopened run may take from its journal, and what it must be given again.
 *
 * The journal never holds a secret: secret parameters are recorded as {@link MASK}, and so is any
 * capture or parameter in which the masker found one. Such a value cannot be recovered, and running
 * the remaining steps with the mask in its place would be worse than stopping (a password rotation
 * would set the literal `********`). So a resumed run is given its secret parameters again, and a
 * masked capture that a remaining step still needs stops the resume, naming the step that captured
 * it: that step has to run again (`--rerun`), which a resume otherwise never does.
 */
import { MASK } from '../audit/mask';
import type { RunState } from '../audit/replay';
import type { StepStatus } from '../audit/events';
import type { Environment } from '../inventory/model';
import type { ParamValue, Runbook, Step } from '../runbook/model';
import { OpsError } from '../errors';
import { ParamError, resolveParams, type ParamProblem } from './params';

/** True when the journal could only keep `value` masked: it holds {@link MASK} somewhere. */
export function isMasked(value: unknown): boolean {
  return (JSON.stringify(value) ?? '').includes(MASK);
}

/**
 * The parameters a resumed run must be given again, in the runbook's order: every secret parameter
 * the run started with, and any other whose recorded value was masked.
 */
export function paramsToGiveAgain(runbook: Pick<Runbook, 'params'>, recorded: Record<string, unknown>): string[] {
  return runbook.params.filter((spec) => Object.hasOwn(recorded, spec.name) && (spec.secret || isMasked(recorded[spec.name]))).map((spec) => spec.name);
}

/**
 * The parameters of a resumed run: those recorded when it started, and the secrets given again (never a
 * masked value). A parameter that is not given again keeps what the run started with; giving it anyway
 * is refused, since the steps already run used the recorded value.
 * @throws ParamError naming each secret not given again, each recorded parameter given a new value, and
 * each value that does not fit its declaration.
 */
export function resumeParams(
  runbook: Pick<Runbook, 'params' | 'id'>,
  recorded: Record<string, unknown>,
  given: Record<string, unknown>,
  environment?: Environment,
): Record<string, ParamValue> {
  const again = new Set(paramsToGiveAgain(runbook, recorded));
  const problems: ParamProblem[] = [];
  for (const name of again) {
    if (given[name] === undefined || given[name] === '') {
      problems.push({ param: name, message: 'is a secret the journal keeps masked; the resumed run needs it given again.' });
    }
  }
  const declared = new Set(runbook.params.map((spec) => spec.name));
  for (const name of Object.keys(given)) {
    if (again.has(name) || !declared.has(name)) continue;
    // The same command line as the first time is no change.
    if (Object.hasOwn(recorded, name) && sameValue(recorded[name], given[name])) continue;
    problems.push({
      param: name,
      message: Object.hasOwn(recorded, name)
        ? `the run started with ${JSON.stringify(recorded[name])} and keeps it; only secret parameters are given again on resume. Start a new run to change it.`
        : 'the run started without it and keeps going without it; start a new run to give it.',
    });
  }
  if (problems.length > 0) throw new ParamError(problems);
  const kept = Object.fromEntries(Object.entries(recorded).filter(([name]) => !again.has(name) && declared.has(name)));
  return resolveParams(runbook, { ...kept, ...Object.fromEntries([...again].map((name) => [name, given[name]])) }, environment);
}

/** A capture the journal kept masked, from a step that will not run again, and the steps that read it. */
export interface LostCapture {
  capture: string;
  /** Key of the step that captured it. */
  step: string;
  /** Steps still to run (rollback and finally included) whose templates read it. */
  neededBy: string[];
}

/**
 * Captures a resumed run would read as {@link MASK}: masked in the journal, captured by a step that is
 * done (`statuses` says succeeded or skipped), and read by a step that may still run.
 */
export function lostCaptures(
  runbook: Pick<Runbook, 'steps' | 'rollback' | 'finally'>,
  state: Pick<RunState, 'steps' | 'captures'>,
  statuses: Record<string, StepStatus>,
): LostCapture[] {
  const done = (key: string) => statuses[key] === 'succeeded' || statuses[key] === 'skipped';
  // A phase is looked into: the steps of it that are done do not count, those still to run do.
  const notDone = (steps: Step[], prefix: string): Array<{ key: string; step: Step }> =>
    steps.flatMap((step) => {
      const key = prefix + step.id;
      if (done(key)) return [];
      if (step.kind !== 'phase') return [{ key, step }];
      return [{ key, step: { ...step, steps: [], check: [] } }, ...notDone(step.steps, `${key}/`), ...notDone(step.check, `${key}/check/`)];
    });
  const remaining: Array<{ key: string; step: Step }> = [
    ...notDone(runbook.steps, ''),
    ...runbook.rollback.map((entry) => ({ key: `rollback/${entry.step.id}`, step: entry.step })),
    ...runbook.finally.map((step) => ({ key: `finally/${step.id}`, step })),
  ];
  const lost: LostCapture[] = [];
  for (const [capture, value] of Object.entries(state.captures)) {
    if (!isMasked(value)) continue;
    const step = state.steps.findLast((candidate) => Object.hasOwn(candidate.captures, capture));
    if (!step || !done(step.key)) continue;
    const reads = new RegExp(String.raw`\bcaptures\s*(?:\.\s*${escapeRegExp(capture)}\b|\[\s*["']${escapeRegExp(capture)}["']\s*\])`);
    const neededBy = remaining.filter((candidate) => reads.test(JSON.stringify(candidate.step))).map((candidate) => candidate.key);
    if (neededBy.length > 0) lost.push({ capture, step: step.key, neededBy });
  }
  return lost;
}

/**
 * Makes `stepKey` run again in a resumed run although it is done: it, the steps under it, and the
 * groups around it lose their status, and it leaves the rollback order (it is added back when it succeeds).
 * @throws OpsError `rerun-unknown` for a key the journal does not know as done.
 */
export function rerunStep(resume: { statuses: Record<string, StepStatus>; completedOrder: string[] }, stepKey: string): void {
  const status = resume.statuses[stepKey];
  if (status !== 'succeeded' && status !== 'skipped') {
    const done = Object.entries(resume.statuses)
      .filter(([, candidate]) => candidate === 'succeeded')
      .map(([key]) => key);
    throw new OpsError(
      'rerun-unknown',
      `--rerun ${stepKey}: that step is not done in this run, so it runs anyway if it is still to run (steps done: ${done.join(', ') || 'none'}).`,
    );
  }
  for (const key of Object.keys(resume.statuses)) {
    if (key === stepKey || key.startsWith(`${stepKey}/`) || key.startsWith(`${stepKey}[`)) delete resume.statuses[key];
  }
  // The groups around it (phase/x → phase, loop[2]/x → loop): a group that is done is not entered.
  const parts = stepKey.split('/');
  for (let length = 1; length < parts.length; length++) {
    delete resume.statuses[
      parts
        .slice(0, length)
        .join('/')
        .replace(/\[\d+\]$/, '')
    ];
  }
  const topLevel = parts[0].replace(/\[\d+\]$/, '');
  const at = resume.completedOrder.indexOf(topLevel);
  if (at >= 0) resume.completedOrder.splice(at, 1);
}

function sameValue(recorded: unknown, given: unknown): boolean {
  const text = (value: unknown) => (Array.isArray(value) ? value.join(',') : String(value));
  return text(recorded) === text(given);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
