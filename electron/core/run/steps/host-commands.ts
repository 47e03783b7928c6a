/**
 * What run and wait steps share: a command sent to each target host, its output streamed into
 * events (decoded, masked), judged against the step's expectations, and the step finished with one
 * status, per-host results and captures.
 */
import type { CheckResult, StepStatus } from '../../audit/events';
import { CancelledError, codeOf, isOpsError, userMessageOf } from '../../errors';
import type { HostSpec } from '../../inventory/model';
import type { CaptureSpec, Expect } from '../../runbook/model';
import type { ExecResult } from '../../ssh/types';
import { evaluateExpect, extractCaptures } from '../checks';
import { formatMs } from '../format';
import { RetainedOutput, StreamText } from '../output';
import type { StepFrame, StepOutcome, StepRunContext } from './types';

/** One host's part of a step. */
export interface HostRun {
  host: HostSpec;
  command: string;
  /** Written to the command's stdin; never emitted (it carries secrets off the command line). */
  stdin?: string;
  result?: ExecResult;
  error?: unknown;
  stdout: RetainedOutput;
  stderr: RetainedOutput;
  /** Which streams the step's checks and captures read: only those are kept in memory. */
  needs: OutputNeeds;
  status: StepStatus;
  checks: CheckResult[];
  /** The command's process on the host, once it started. */
  pid?: number;
}

/** Which of a command's streams a step's checks (`expect`, `until`) and captures read. */
export interface OutputNeeds {
  stdout: boolean;
  stderr: boolean;
}

export function outputNeeds(expect: Expect, capture: CaptureSpec[]): OutputNeeds {
  return {
    stdout: expect.stdout.length > 0 || expect.json.length > 0 || capture.some((spec) => spec.from === 'stdout'),
    stderr: expect.stderr.length > 0 || capture.some((spec) => spec.from === 'stderr'),
  };
}

export function newHostRun(host: HostSpec, command: string, needs: OutputNeeds, stdin?: string): HostRun {
  return {
    host,
    command,
    ...(stdin !== undefined ? { stdin } : {}),
    stdout: new RetainedOutput(needs.stdout),
    stderr: new RetainedOutput(needs.stderr),
    needs,
    status: 'pending',
    checks: [],
  };
}

/** Clears a host run for another attempt. */
export function resetRun(run: HostRun): void {
  run.result = undefined;
  run.error = undefined;
  run.stdout = new RetainedOutput(run.needs.stdout);
  run.stderr = new RetainedOutput(run.needs.stderr);
  run.status = 'pending';
  run.checks = [];
}

/** Runs one host's command, streaming its output into events; never throws. */
export async function execOnHost(run: StepRunContext, key: string, hostRun: HostRun, timeoutMs: number, sudo: boolean, attempt: number): Promise<void> {
  hostRun.status = 'running';
  await run.emitDurable({ type: 'step.command', step: key, host: hostRun.host.name, command: run.masker.mask(hostRun.command), attempt });
  const streams = {
    stdout: { text: new StreamText(), masker: run.masker.createStreamMasker() },
    stderr: { text: new StreamText(), masker: run.masker.createStreamMasker() },
  };
  const forward = (stream: 'stdout' | 'stderr', chunk: Buffer) => {
    (stream === 'stdout' ? hostRun.stdout : hostRun.stderr).push(chunk);
    const data = streams[stream].masker.push(streams[stream].text.push(chunk));
    if (data) run.emit({ type: 'step.output', step: key, host: hostRun.host.name, stream, data });
  };
  try {
    hostRun.result = await run.ssh.exec(hostRun.host, hostRun.command, {
      timeoutMs,
      sudo,
      ...(hostRun.stdin !== undefined ? { stdin: hostRun.stdin } : {}),
      signal: run.signal(),
      onStarted: (pid) => {
        hostRun.pid = pid;
        run.emit({ type: 'step.remote', step: key, host: hostRun.host.name, pid });
      },
      onStdout: (chunk) => forward('stdout', chunk),
      onStderr: (chunk) => forward('stderr', chunk),
    });
  } catch (error) {
    hostRun.error = error;
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    const rest = streams[stream].masker.push(streams[stream].text.end()) + streams[stream].masker.flush();
    if (rest) run.emit({ type: 'step.output', step: key, host: hostRun.host.name, stream, data: rest });
  }
}

/** Sets a host run's status and checks from its result. */
export function judge(run: StepRunContext, hostRun: HostRun, expect: Expect): void {
  if (hostRun.error) {
    if (run.aborting()) throw new CancelledError('The run');
    hostRun.status = codeOf(hostRun.error) === 'ssh-connection-lost' ? 'interrupted' : 'failed';
    hostRun.checks = [{ name: 'connection', ok: false, detail: userMessageOf(hostRun.error) }];
    return;
  }
  const result = hostRun.result!;
  if (result.timedOut) {
    hostRun.status = 'failed';
    hostRun.checks = [{ name: 'finished in time', ok: false, detail: `timed out after ${formatMs(result.durationMs)}; the command was killed on ${hostRun.host.name}` }];
    return;
  }
  const truncated = hostRun.stdout.truncated || hostRun.stderr.truncated;
  hostRun.checks = evaluateExpect(expect, { exitCode: result.exitCode, stdout: hostRun.stdout.text(), stderr: hostRun.stderr.text() });
  if (truncated) hostRun.checks.push({ name: 'output fits in memory for checks', ok: true, detail: 'only the first 8 MiB of output were checked' });
  hostRun.status = hostRun.checks.every((check) => check.ok) ? 'succeeded' : 'failed';
}

/** Finishes a run or wait step from its hosts' results: one status, per-host results, captures. */
export function finishHostStep(
  run: StepRunContext,
  step: { capture: CaptureSpec[] },
  key: string,
  started: number,
  runs: HostRun[],
  frame: StepFrame,
  reasonOverride?: string,
): StepOutcome {
  const several = runs.length > 1;
  const checks = runs.flatMap((hostRun) =>
    hostRun.checks.map((check) => (several && !check.name.startsWith(`${hostRun.host.name}:`) ? { ...check, name: `${hostRun.host.name}: ${check.name}` } : check)),
  );
  let status: StepStatus = runs.some((hostRun) => hostRun.status === 'interrupted')
    ? 'interrupted'
    : runs.every((hostRun) => hostRun.status === 'succeeded')
      ? 'succeeded'
      : 'failed';
  let captures: Record<string, unknown> = {};
  let reason = reasonOverride;
  if (status === 'succeeded' && step.capture.length > 0) {
    try {
      captures = capture(step.capture, runs);
      Object.assign(frame.scope.captures, captures);
    } catch (error) {
      status = 'failed';
      reason = userMessageOf(error);
    }
  }
  if (!reason && status !== 'succeeded') reason = describeFailure(runs, status);
  if (status === 'interrupted') {
    run.rememberLostCommands(
      key,
      runs.filter((hostRun) => hostRun.status === 'interrupted' && hostRun.pid !== undefined).map((hostRun) => ({ host: hostRun.host, pid: hostRun.pid! })),
    );
  }
  run.finishStep(key, started, {
    status,
    hosts: runs.map((hostRun) => ({
      host: hostRun.host.name,
      exitCode: hostRun.result?.exitCode ?? null,
      signal: hostRun.result?.signal ?? null,
      timedOut: hostRun.result?.timedOut ?? false,
      status: hostRun.status,
      ...(hostRun.status === 'interrupted' && hostRun.pid !== undefined ? { pid: hostRun.pid } : {}),
    })),
    exitCode: runs.length === 1 ? (runs[0].result?.exitCode ?? null) : undefined,
    checks,
    captures: run.masker.maskValue(captures),
    reason,
    errorCode: runs.map((hostRun) => hostRun.error).filter(isOpsError)[0]?.code,
  });
  return { status };
}

function capture(specs: CaptureSpec[], runs: HostRun[]): Record<string, unknown> {
  const perHost = runs.map((hostRun) => extractCaptures(specs, { exitCode: hostRun.result?.exitCode ?? null, stdout: hostRun.stdout.text(), stderr: hostRun.stderr.text() }));
  if (perHost.length === 1) return perHost[0];
  const merged: Record<string, unknown> = {};
  for (const spec of specs) {
    merged[spec.name] = perHost.flatMap((values): unknown[] => {
      const value = values[spec.name];
      return Array.isArray(value) ? value : [value];
    });
  }
  return merged;
}

/** Whether another attempt may help: not for credentials, host keys, a lost connection or a cancel. */
export function isRetriable(error: unknown): boolean {
  const code = codeOf(error);
  // Retrying cannot fix credentials or host keys, and a lost connection leaves the command's fate
  // unknown: the operator decides those, not the retry policy.
  return !['ssh-auth', 'ssh-host-key-unknown', 'ssh-host-key-changed', 'ssh-host-key-revoked', 'ssh-connection-lost', 'ssh-key', 'cancelled'].includes(code);
}

function describeFailure(runs: HostRun[], status: StepStatus): string {
  const bad = runs.filter((hostRun) => hostRun.status !== 'succeeded');
  const parts = bad.map((hostRun) => {
    const failedCheck = hostRun.checks.find((check) => !check.ok);
    return `${hostRun.host.name}: ${failedCheck ? `${failedCheck.name}${failedCheck.detail ? ` — ${failedCheck.detail}` : ''}` : hostRun.status}`;
  });
  if (status === 'interrupted') {
    return `The connection was lost while the command ran; whether it finished on the host is unknown. ${parts.join('; ')}`;
  }
  return parts.join('; ');
}
