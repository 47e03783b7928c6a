/** `run:` — a shell command on the step's hosts, checked, captured, retried when the runbook says. */
import type { RunStep } from '../../runbook/model';
import { mapWithLimit, sleep } from '../concurrency';
import { formatMs } from '../format';
import { renderIn } from '../scope';
import { execOnHost, finishHostStep, isRetriable, judge, newHostRun, outputNeeds, resetRun } from './host-commands';
import { basePreview, previewCommandStep } from './preview';
import type { StepKindModule } from './types';

export const runStepKind: StepKindModule<RunStep> = {
  async execute(step, key, frame, run) {
    const only = run.takeRetryOnly(key);
    run.setFailedHosts(key, []);
    const hosts = run.fittedTargets(step.on, frame).hosts.filter((host) => !only || only.has(host.name));
    const needs = outputNeeds(step.expect, step.capture);
    const runs = hosts.map((host) =>
      newHostRun(
        host,
        renderIn(step.command, { ...frame.scope, host: host.name }, 'shell'),
        needs,
        step.stdin !== undefined ? renderIn(step.stdin, { ...frame.scope, host: host.name }, 'text') : undefined,
      ),
    );
    await run.startStep(
      key,
      step,
      hosts.map((host) => host.name),
    );
    const started = Date.now();
    if (step.destructive) {
      const commands = runs.map((hostRun) => ({ host: hostRun.host.name, command: hostRun.command }));
      await run.confirmDestructive(step, key, hosts.map((host) => host.name).join(' '), frame.scope, commands);
    }

    let pending = runs;
    for (let attempt = 1; ; attempt++) {
      await mapWithLimit(pending, step.concurrency, (hostRun) => execOnHost(run, key, hostRun, step.timeoutMs, step.sudo, attempt));
      for (const hostRun of pending) judge(run, hostRun, step.expect);
      pending = runs.filter((hostRun) => hostRun.status === 'failed' && isRetriable(hostRun.error));
      if (pending.length === 0 || attempt > step.retry.times) break;
      run.note(
        'warning',
        `Attempt ${attempt} of ${step.retry.times + 1} failed on ${pending.map((hostRun) => hostRun.host.name).join(', ')}; retrying in ${formatMs(step.retry.delayMs)}.`,
        key,
      );
      await sleep(step.retry.delayMs, run.signal());
      for (const hostRun of pending) resetRun(hostRun);
    }
    const outcome = finishHostStep(run, step, key, started, runs, frame);
    // A fan-out step that failed on some hosts only (and captures nothing, which a partial retry
    // would lose) can be retried on those hosts alone.
    const failed = runs.filter((hostRun) => hostRun.status === 'failed').map((hostRun) => hostRun.host.name);
    if (outcome.status === 'failed' && failed.length > 0 && failed.length < runs.length && step.capture.length === 0) run.setFailedHosts(key, failed);
    return outcome;
  },

  preview(step, key, depth, context) {
    return [previewCommandStep(step, basePreview(step, key, depth, context.scope), step.expect, context)];
  },

  target: (step) => step.on,
  confirmsOnHosts: true,
};
