/**
 * ConsoleService without SSH: every request validated, errors as replies a person reads, parameter
 * problems per field, and the plan preview resolving every command for its hosts before a run.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunPlan } from '../api/contract';
import { BUNDLED_RUNBOOKS_DIR } from '../core/inventory/environment';
import { ConsoleService } from './service';

let work: string;
let service: ConsoleService;
let environmentId: string;

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-service-'));
  mkdirSync(path.join(work, 'environments'));
  mkdirSync(path.join(work, 'runbooks'));
  writeFileSync(path.join(work, 'known_hosts'), '');
  environmentId = path.join(work, 'environments', 'test.yaml');
  writeFileSync(
    environmentId,
    [
      'name: test-cloud',
      'lab: true',
      'profile: systemd',
      `known_hosts: ${path.join(work, 'known_hosts')}`,
      'defaults: { user: ops }',
      'hosts:',
      '  controller01: { address: 192.0.2.10, roles: [controller, db, mq] }',
      '  compute01: { address: 192.0.2.11, roles: [compute] }',
      '  compute02: { address: 192.0.2.12, roles: [compute] }',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(work, 'runbooks', 'broken.yaml'), 'id: broken\ntitle: Broken\nversion: "1"\nsteps: 12\n');
  service = new ConsoleService({
    auditDir: path.join(work, 'audit'),
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: path.join(work, 'runbooks'),
    environmentsDir: path.join(work, 'environments'),
    operator: 'tester',
    lab: { availability: () => ({ available: false, reason: 'no lab in unit tests' }), start: () => Promise.reject(new Error('no')) },
  });
});

afterAll(async () => {
  await service.close();
  rmSync(work, { recursive: true, force: true });
});

describe('ConsoleService.dispatch', () => {
  it('refuses unknown commands and payloads that fail the schema, without throwing', async () => {
    expect(await service.dispatch('fs:read', { file: '/etc/shadow' })).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    expect(await service.dispatch('terminal:write', { terminalId: 'x', data: 'a'.repeat(70_000) })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await service.dispatch('library:list', { extra: true })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await service.dispatch(42, {})).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
  });

  it('lists bundled and user runbooks with the problems of files that could not be loaded', async () => {
    const result = await service.dispatch('library:list', {});
    if (!result.ok) throw new Error(result.error.userMessage);
    const listing = result.value as { runbooks: Array<{ id: string; origin: string }>; problems: Array<{ file: string; line: number }> };
    expect(listing.runbooks.find((runbook) => runbook.id === 'hello-lab')?.origin).toBe('bundled');
    expect(listing.problems.some((problem) => problem.file.endsWith('broken.yaml') && problem.line >= 1)).toBe(true);
  });

  it('finds environments in the environments directory, labelled lab', async () => {
    const result = await service.dispatch('environment:list', {});
    expect(result).toMatchObject({ ok: true, value: [{ environmentId, name: 'test-cloud', lab: true }] });
  });

  it('answers parameter problems per field', async () => {
    const result = await service.dispatch('run:plan', { runbookId: 'hello-lab', environmentId, params: { marker_dir: 'not a path;', nope: 'x' } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('params');
    expect(result.error.problems?.map((problem) => problem.field).sort()).toEqual(['marker_dir', 'nope']);
  });

  it('previews the plan: every command resolved for its hosts, run-time values marked, rollback included', async () => {
    const result = await service.dispatch('run:plan', { runbookId: 'hello-lab', environmentId, params: { greeting: "it's me" } });
    if (!result.ok) throw new Error(result.error.userMessage);
    const plan = result.value as RunPlan;
    const look = plan.steps.find((step) => step.key === 'look-at-computes')!;
    expect(look.commands.map((command) => command.host)).toEqual(['compute01', 'compute02']);
    const write = plan.steps.find((step) => step.key === 'write-marker')!;
    expect(write.destructive?.confirm).toBe('controller01');
    // Values are shell-quoted exactly as the runner will; the run id is known only when it starts.
    expect(write.commands[0].command).toContain(`'it'\\''s me'`);
    expect(write.commands[0].command).toContain('⟨run.id⟩');
    expect(plan.steps.find((step) => step.key === 'go-on')?.prompt).toContain('⟨captures.controller⟩');
    expect(plan.rollback.map((step) => step.key)).toEqual(['rollback/remove-marker']);
    expect(plan.hosts).toEqual(['controller01', 'compute01', 'compute02']);
    expect(plan.lab).toBe(true);
  });

  it('says why the lab cannot start here', async () => {
    expect(await service.dispatch('lab:start', {})).toMatchObject({ ok: false, error: { code: 'lab-unavailable', userMessage: 'no lab in unit tests' } });
  });

  it('refuses to trust a host key that was never presented', async () => {
    const result = await service.dispatch('hosts:acceptKey', { environmentId, host: 'compute01', fingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(result).toMatchObject({ ok: false, error: { code: 'host-key-not-presented' } });
  });
});
