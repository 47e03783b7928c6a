/**
 * What the run view says in words, computed from the run's state: a failed check in plain words,
 * a run's status with what it hides ("succeeded, 1 step skipped"), whether there is anything to roll
 * back, a decision's chosen label, and a step's time split between working and waiting for a person.
 */
import type { CheckResult, RunStatus } from '../../electron/api/contract';
import type { RunView, StepView } from '../stores/runs';

/**
 * A failed check in plain words: `exit code 2, expected 0` (the engine names a check by what it
 * expects and details what it found: "exit code 0" — "exit code was 2").
 */
export function describeCheck(check: Pick<CheckResult, 'name' | 'detail'>): { host?: string; text: string } {
  const named = /^([^:\s]+): (.*)$/.exec(check.name);
  // Fan-out steps prefix each check with its host (`controller01: exit code 0`).
  const host = named && !/^(stdout|stderr|json|exit)\b/.test(named[1]) ? named[1] : undefined;
  const name = host ? named![2] : check.name;
  const expectedExit = /^exit code (?:one of )?(.+)$/.exec(name);
  const foundExit = /^exit code was (-?\d+)$/.exec(check.detail ?? '');
  if (expectedExit && foundExit) return { host, text: `exit code ${foundExit[1]}, expected ${expectedExit[1]}` };
  if (!check.detail) return { host, text: `${name}: not met` };
  return { host, text: `${check.detail} (expected: ${name})` };
}

/** The failed checks of a step, per host, in plain words. */
export function failedChecks(step: StepView): Array<{ host?: string; text: string }> {
  const failed = step.checks.filter((check) => check.ok === false).map(describeCheck);
  const single = step.hosts.length === 1 ? step.hosts[0] : undefined;
  return failed.map((entry) => ({ ...entry, host: entry.host ?? single }));
}

/** The hosts a step failed on (from its hosts' outcomes). */
export function failedHosts(step: StepView): string[] {
  return step.hostOutcomes.filter((outcome) => outcome.status === 'failed' || outcome.status === 'interrupted').map((outcome) => outcome.host);
}

/** How many steps ended skipped, and how many failed while the run went on (`continue_on_failure`). */
export function hiddenOutcomes(steps: StepView[], status: RunStatus): { skipped: number; failed: number } {
  const skipped = steps.filter((step) => step.status === 'skipped').length;
  // A run that succeeded with failed steps went on past them: say so.
  const failed = status === 'succeeded' ? steps.filter((step) => step.status === 'failed' || step.status === 'interrupted').length : 0;
  return { skipped, failed };
}

/** `succeeded, 1 step skipped`, `succeeded, 2 steps skipped, 1 failed`: the status with what it hides. */
export function statusText(status: RunStatus | (string & {}), counts: { skipped: number; failed: number }): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (counts.skipped > 0) parts.push(`${plural(counts.skipped, 'step')} skipped`);
  if (counts.failed > 0) parts.push(counts.skipped > 0 ? `${counts.failed} failed` : `${plural(counts.failed, 'step')} failed`);
  return parts.length > 0 ? `${status}, ${parts.join(', ')}` : status;
}

/**
 * Whether aborting with rollback would undo anything: the runbook has a rollback, and a step it
 * undoes has run (succeeded or failed). Without the plan's `undoes`, any step that ran counts.
 */
export function canRollBack(run: RunView): boolean {
  const rollback = run.plan?.rollback ?? [];
  if (rollback.length === 0) return false;
  const ran = (key: string) => ['succeeded', 'failed', 'interrupted'].includes(run.steps[key]?.status ?? 'pending') || run.steps[key]?.status === 'running';
  const undoes = rollback.map((step) => step.undoes).filter((key): key is string => typeof key === 'string');
  if (undoes.length < rollback.length) return run.stepOrder.some((key) => !key.startsWith('rollback/') && ran(key));
  return undoes.some(ran);
}

/** The label of the choice a decision step took (the engine records `chose <id>`). */
export function chosenLabel(step: StepView): string | undefined {
  const chosen = /^chose (.+)$/.exec(step.reason ?? '')?.[1];
  if (!chosen) return undefined;
  return step.planned?.choices?.find((choice) => choice.id === chosen)?.label ?? chosen;
}

/** A step's time: working, and waiting for a person (confirmations, decisions, manual steps, failures). */
export function stepTimes(step: StepView, now: number): { workingMs?: number; waitingMs: number } {
  const waitingMs = (step.waitedMs ?? 0) + (step.waitingSince !== undefined ? now - step.waitingSince : 0);
  const total = step.durationMs ?? (step.startedAt !== undefined && step.status === 'running' ? now - step.startedAt : undefined);
  return { workingMs: total === undefined ? undefined : Math.max(0, total - waitingMs), waitingMs };
}
