import { describe, expect, it } from 'vitest';
import type { HostSpec } from '../../inventory/model';
import type { CaptureSpec, Expect } from '../../runbook/model';
import { RETAINED_OUTPUT_BYTES } from '../output';
import { judge, newHostRun, outputNeeds, resetRun } from './host-commands';
import type { StepRunContext } from './types';

const HOST = { name: 'h001', address: '127.0.0.10', port: 22, user: 'ops', roles: [] } as unknown as HostSpec;
const EXIT_ONLY: Expect = { exit: [0], stdout: [], stderr: [], json: [] };
const RUN = { aborting: () => false } as unknown as StepRunContext;
const MIB = Buffer.alloc(1024 * 1024, 'x');

/** One host's run of a command that printed 1 MiB on stdout and "warning: slow" on stderr, exit 0. */
function ranWithOutput(expectations: Expect, capture: CaptureSpec[] = []) {
  const hostRun = newHostRun(HOST, 'yes | head -c 1048576', outputNeeds(expectations, capture));
  hostRun.stdout.push(MIB);
  hostRun.stderr.push(Buffer.from('warning: slow\n'));
  hostRun.result = { exitCode: 0, signal: null, timedOut: false, durationMs: 5 };
  return hostRun;
}

describe('host runs keep output in memory only for the checks and captures that read it', () => {
  it('keeps none of a stream no check or capture reads (300 hosts × 1 MiB held 300 MiB until the step ended)', () => {
    const hostRun = ranWithOutput(EXIT_ONLY);
    expect(hostRun.stdout.heldBytes).toBe(0);
    expect(hostRun.stderr.heldBytes).toBe(0);
    // Counted all the same.
    expect(hostRun.stdout.totalBytes).toBe(MIB.length);
    judge(RUN, hostRun, EXIT_ONLY);
    expect(hostRun.status).toBe('succeeded');
    // Nothing was cut for a check, so no check says so.
    expect(hostRun.checks.map((check) => check.name)).toEqual(['exit code 0']);
  });

  it('keeps the stream an expect reads, and judges it', () => {
    const expectations: Expect = { ...EXIT_ONLY, stdout: [{ contains: 'x\n' }], stderr: [{ notContains: 'warning' }] };
    const hostRun = ranWithOutput(expectations);
    expect(hostRun.stdout.heldBytes).toBe(MIB.length);
    expect(hostRun.stderr.heldBytes).toBe('warning: slow\n'.length);
    judge(RUN, hostRun, expectations);
    expect(hostRun.status).toBe('failed');
    expect(hostRun.checks.map((check) => [check.name, check.ok])).toEqual([
      ['exit code 0', true],
      ['stdout contains "x\\n"', false],
      ['stderr does not contain "warning"', false],
    ]);
  });

  it('keeps stdout for a JSON check and each stream a capture takes from, also after a reset for a retry', () => {
    expect(outputNeeds({ ...EXIT_ONLY, json: [{ path: 'status', equals: 'ok' }] }, [])).toEqual({ stdout: true, stderr: false });
    const hostRun = ranWithOutput(EXIT_ONLY, [{ name: 'warning', from: 'stderr', regex: 'warning: (\\w+)' }]);
    expect(hostRun.stdout.heldBytes).toBe(0);
    expect(hostRun.stderr.text()).toBe('warning: slow\n');
    resetRun(hostRun);
    hostRun.stderr.push(Buffer.from('again'));
    hostRun.stdout.push(MIB);
    expect([hostRun.stdout.heldBytes, hostRun.stderr.heldBytes]).toEqual([0, 5]);
  });

  it('still cuts a kept stream at the limit and says so in the checks', () => {
    const expectations: Expect = { ...EXIT_ONLY, stdout: [{ contains: 'x' }] };
    const hostRun = newHostRun(HOST, 'yes', outputNeeds(expectations, []));
    for (let pushed = 0; pushed <= RETAINED_OUTPUT_BYTES; pushed += MIB.length) hostRun.stdout.push(MIB);
    hostRun.result = { exitCode: 0, signal: null, timedOut: false, durationMs: 5 };
    expect(hostRun.stdout.heldBytes).toBe(RETAINED_OUTPUT_BYTES);
    judge(RUN, hostRun, expectations);
    expect(hostRun.checks.at(-1)).toMatchObject({ name: 'output fits in memory for checks', ok: true });
  });
});
