/** Fixtures shared by the audit tests (not used by the engine). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunStartedEvent } from './events';
import { Journal } from './journal';
import { Masker } from './mask';

export function temporaryAuditDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-audit-'));
}

export function runStarted(runId: string, overrides: Partial<RunStartedEvent> = {}): RunStartedEvent {
  return {
    type: 'run.started',
    runId,
    runbook: { id: 'nova-compute-drain', title: 'Drain a compute node', version: '1.2.0', file: 'runbooks/drain.yaml', sha256: 'ab'.repeat(32) },
    environment: { name: 'staging', file: 'envs/staging.yaml', profile: 'default', lab: true },
    params: { host: 'compute-01', db_password: 'Tr0ub4dor&3' },
    operator: 'alice',
    machine: 'ops-laptop',
    plan: [
      { key: 'disable', title: 'Disable the compute service', kind: 'run' },
      { key: 'migrate', title: 'Live-migrate instances', kind: 'run' },
      { key: 'confirm-reboot', title: 'Confirm the reboot', kind: 'confirm' },
      { key: 'reboot', title: 'Reboot the host', kind: 'run' },
    ],
    ...overrides,
  };
}

/**
 * Writes a typical run: `disable` succeeded with output and a capture, `migrate` started with output
 * and left in flight (no step.finished, no run.finished), unless `finish` is true.
 */
export function writeSampleRun(auditDir: string, runId: string, options: { finish?: boolean; outputs?: number } = {}): Journal {
  const journal = Journal.create(auditDir, runId, new Masker(['Tr0ub4dor&3']), { syncIntervalMs: 0 });
  journal.append(runStarted(runId));
  journal.append({ type: 'step.started', step: 'disable', title: 'Disable the compute service', kind: 'run', hosts: ['ctl-01'], attempt: 1 });
  journal.append({ type: 'step.command', step: 'disable', host: 'ctl-01', command: 'openstack compute service set --disable compute-01 nova-compute', attempt: 1 });
  for (let index = 0; index < (options.outputs ?? 3); index += 1) {
    journal.append({ type: 'step.output', step: 'disable', host: 'ctl-01', stream: 'stdout', data: `line ${index}\n` });
  }
  journal.append({
    type: 'step.finished',
    step: 'disable',
    status: 'succeeded',
    exitCode: 0,
    durationMs: 1500,
    checks: [{ name: 'exit code 0', ok: true }],
    captures: { service_id: 'c0ffee' },
  });
  journal.append({ type: 'step.started', step: 'migrate', title: 'Live-migrate instances', kind: 'run', hosts: ['ctl-01'], attempt: 1 });
  journal.append({ type: 'step.output', step: 'migrate', host: 'ctl-01', stream: 'stdout', data: 'migrating vm-1\n' });
  if (options.finish) {
    journal.append({ type: 'step.finished', step: 'migrate', status: 'succeeded', exitCode: 0, durationMs: 2000, checks: [], captures: {} });
    journal.append({ type: 'run.finished', status: 'succeeded', durationMs: 5000 });
  }
  return journal;
}
