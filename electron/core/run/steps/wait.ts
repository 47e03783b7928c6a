/** `wait:` — a command polled on the step's hosts until its condition holds or the deadline passes. */
import type { WaitStep } from '../../runbook/model';
import { mapWithLimit, sleep } from '../concurrency';
import { formatMs } from '../format';
import { renderIn } from '../scope';
import { execOnHost, finishHostStep, judge, newHostRun, outputNeeds } from './host-commands';
import { basePreview, previewCommandStep, seconds } from './preview';
import type { StepKindModule } from './types';

export const waitStepKind: StepKindModule<WaitStep> = {
  async execute(step, key, frame, run) {
    const hosts = run.fittedTargets(step.on, frame).hosts;
    await run.startStep(
      key,
      step,
      hosts.map((host) => host.name),
    );
    const started = Date.now();
    if (step.destructive) {
      const commands = hosts.map((host) => ({ host: host.name, command: renderIn(step.command, { ...frame.scope, host: host.name }, 'shell') }));
      await run.confirmDestructive(step, key, hosts.map((host) => host.name).join(' '), frame.scope, commands);
    }
    const deadline = started + step.deadlineMs;
    for (let poll = 1; ; poll++) {
      const runs = hosts.map((host) => newHostRun(host, renderIn(step.command, { ...frame.scope, host: host.name }, 'shell'), outputNeeds(step.until, step.capture)));
      await mapWithLimit(runs, step.concurrency, (hostRun) => execOnHost(run, key, hostRun, step.timeoutMs, step.sudo, poll));
      for (const hostRun of runs) judge(run, hostRun, step.until);
      const lost = runs.some((hostRun) => hostRun.status === 'interrupted');
      const done = runs.every((hostRun) => hostRun.status === 'succeeded');
      const timeLeft = deadline - Date.now();
      if (done || lost || timeLeft <= 0) {
        if (!done && !lost) {
          for (const hostRun of runs) hostRun.status = hostRun.status === 'succeeded' ? 'succeeded' : 'failed';
          const unmet = runs.flatMap((hostRun) => hostRun.checks.filter((check) => !check.ok).map((check) => `${check.name}${check.detail ? ` (found: ${check.detail})` : ''}`));
          return finishHostStep(
            run,
            step,
            key,
            started,
            runs,
            frame,
            `The deadline of ${formatMs(step.deadlineMs)} passed after ${poll} polls and the condition still does not hold: ${unmet.join('; ')}`,
          );
        }
        return finishHostStep(run, step, key, started, runs, frame);
      }
      await sleep(Math.min(step.intervalMs, timeLeft), run.signal());
    }
  },

  preview(step, key, depth, context) {
    const entry = previewCommandStep(step, basePreview(step, key, depth, context.scope), step.until, context);
    entry.checks.unshift(`polled every ${seconds(step.intervalMs)} until it holds, for at most ${seconds(step.deadlineMs)}`);
    return [entry];
  },

  target: (step) => step.on,
  confirmsOnHosts: true,
};
