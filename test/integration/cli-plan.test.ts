/**
 * `opsdeck plan` (issue 16, item 7): the plan the console previews before Start, from the same
 * module, on the command line. Every step in order with its kind and hosts, each command exactly as
 * it will be sent to each host, destructive steps with their confirmation text, the rollback; JSON
 * for scripts. The environment's hosts are on TEST-NET (192.0.2.x): nothing may connect to them.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunPlan } from '../../electron/api/contract';
import { ConsoleService } from '../../electron/app/service';
import { BUNDLED_RUNBOOKS_DIR } from '../../electron/core/inventory/environment';
import { opsdeck } from '../support/cli';

let work: string;
let envFile: string;
let knownHosts: string;
let runbooks: string;
let service: ConsoleService;

const RUNBOOK = [
  'id: plan-me',
  'title: Drain {{ params.node }}',
  'version: "1"',
  'params:',
  '  node: { type: string, required: true }',
  '  token: { type: string, secret: true, default: "s3cret-token" }',
  'steps:',
  '  - id: look',
  '    title: Look at every compute host',
  '    on: compute',
  '    run: "hostname; echo {{ params.node }}"',
  '    expect: { stdout: [{ contains: "compute" }] }',
  '  - id: ask',
  '    title: Drain it?',
  '    decision: { question: "Drain {{ params.node }} now?", choices: [{ id: go, label: Drain }, { id: stop, label: Stop, next: end }] }',
  '  - id: drain',
  '    title: Disable {{ params.node }}',
  '    on: controller01',
  '    run: "openstack compute service set --disable {{ params.node }} nova-compute --os-token {{ params.token }}"',
  '    destructive: { confirm: "{{ params.node }}", warning: "No new instance lands on {{ params.node }}." }',
  '  - id: by-hand',
  '    title: Check the dashboard',
  '    manual: "Look at the dashboard for {{ params.node }}."',
  'rollback:',
  '  - id: enable',
  '    title: Enable {{ params.node }} again',
  '    on: controller01',
  '    run: "openstack compute service set --enable {{ params.node }} nova-compute"',
  '',
].join('\n');

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-cli-plan-'));
  knownHosts = path.join(work, 'known_hosts');
  writeFileSync(knownHosts, '');
  mkdirSync(path.join(work, 'environments'));
  envFile = path.join(work, 'environments', 'plan.yaml');
  writeFileSync(
    envFile,
    [
      'name: plan-cloud',
      'lab: true',
      'profile: systemd',
      `known_hosts: ${knownHosts}`,
      'defaults: { user: ops }',
      'hosts:',
      '  controller01: { address: 192.0.2.10, roles: [controller] }',
      '  compute01: { address: 192.0.2.11, roles: [compute] }',
      '  compute02: { address: 192.0.2.12, roles: [compute] }',
      '',
    ].join('\n'),
  );
  runbooks = path.join(work, 'runbooks');
  mkdirSync(runbooks);
  writeFileSync(path.join(runbooks, 'plan-me.yaml'), RUNBOOK);
  service = new ConsoleService({
    auditDir: path.join(work, 'audit'),
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: runbooks,
    environmentsDir: path.join(work, 'environments'),
    operator: 'tester',
    lab: { availability: () => ({ available: false, reason: 'no lab here' }), start: () => Promise.reject(new Error('no lab')) },
  });
});

afterAll(async () => {
  await service?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('opsdeck plan', () => {
  it('prints the plan the console previews, step for step, without connecting to any host', async () => {
    const result = await opsdeck('plan', path.join(runbooks, 'plan-me.yaml'), '--env', envFile, '-p', 'node=compute01', '--operator', 'tester', '--format', 'json');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.out) as RunPlan;
    const preview = await service.dispatch('run:plan', { runbookId: 'plan-me', environmentId: envFile, params: { node: 'compute01' } });
    if (!preview.ok) throw new Error(preview.error.userMessage);
    expect(plan).toEqual(preview.value);

    expect(plan.steps.map((step) => [step.key, step.kind])).toEqual([
      ['look', 'run'],
      ['ask', 'decision'],
      ['drain', 'run'],
      ['by-hand', 'manual'],
    ]);
    expect(plan.steps[0].commands).toEqual([
      { host: 'compute01', command: "hostname; echo 'compute01'" },
      { host: 'compute02', command: "hostname; echo 'compute01'" },
    ]);
    // The secret is masked in the command shown, as in the console.
    expect(plan.steps[2].commands).toEqual([{ host: 'controller01', command: "openstack compute service set --disable 'compute01' nova-compute --os-token '********'" }]);
    expect(result.out).not.toContain('s3cret-token');
    expect(plan.steps[2].destructive).toEqual({ confirm: 'compute01', warning: 'No new instance lands on compute01.' });
    expect(plan.rollback.map((step) => [step.key, step.commands])).toEqual([
      ['rollback/enable', [{ host: 'controller01', command: "openstack compute service set --enable 'compute01' nova-compute" }]],
    ]);
    // Nothing connected: no host key was learnt.
    expect(readFileSync(knownHosts, 'utf8')).toBe('');
  });

  it('reads as text: every step in order, its hosts and commands, the destructive confirmation and the rollback', async () => {
    const result = await opsdeck('plan', path.join(runbooks, 'plan-me.yaml'), '--env', envFile, '-p', 'node=compute02');
    expect(result.code).toBe(0);
    const text = result.out;
    const order = ['[look] run', '[ask] decision', '[drain] run', '[by-hand] manual', 'Rollback', '[rollback/enable] run'].map((marker) => text.indexOf(marker));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toContain("compute01 $ hostname; echo 'compute02'");
    expect(text).toContain("compute02 $ hostname; echo 'compute02'");
    expect(text).toContain('DESTRUCTIVE: type "compute02" to go on — No new instance lands on compute02.');
    expect(text).toContain("controller01 $ openstack compute service set --enable 'compute02' nova-compute");
    expect(text).toContain('- stop: Stop → end');
    expect(text).not.toContain('s3cret-token');
  });

  it('refuses what a run would refuse: a missing parameter, an unknown runbook', async () => {
    const missing = await opsdeck('plan', path.join(runbooks, 'plan-me.yaml'), '--env', envFile);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('node');
    const unknown = await opsdeck('plan', 'no-such-runbook', '--env', envFile);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('No runbook "no-such-runbook"');
    const noEnv = await opsdeck('plan', 'hello-lab');
    expect(noEnv.code).toBe(2);
    expect(noEnv.err).toContain('--env');
  });
});
