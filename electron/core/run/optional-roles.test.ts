/**
 * A role a runbook can do without: absent from the environment, its steps are skipped with the
 * reason recorded (or run on the fallback role the runbook names), and the run is never refused.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent, StepFinishedEvent } from '../audit/events';
import { Masker } from '../audit/mask';
import type { Environment } from '../inventory/model';
import { parseRunbook } from '../runbook/parse';
import { resolveParams } from './params';
import { plannedHosts } from './preflight';
import { Runner } from './runner';
import { LocalShellConnector } from './testing/local-shell';

const environment: Environment = {
  name: 'edge',
  lab: true,
  profile: { id: 'systemd', title: 'systemd', description: '', words: {} },
  hosts: [
    { name: 'ctl', address: '127.0.0.1', port: 22, user: 'u', roles: ['controller'] },
    { name: 'cmp1', address: '127.0.0.1', port: 22, user: 'u', roles: ['compute'] },
  ],
  vars: {},
  databases: {},
  secrets: {},
  knownHostsFile: '/dev/null',
  file: 'edge.yaml',
};

const RUNBOOK = `id: t
title: T
requires: [controller, compute]
optional_roles:
  storage: skip
  network: skip
  db: controller
steps:
  - { id: volumes, title: Start cinder-volume, on: storage, run: echo cinder }
  - { id: agents, title: Agents, on: compute network, run: echo agents }
  - { id: database, title: Database, on: db, run: echo db }
  - id: phase
    phase: { priority: 1 }
    steps:
      - { id: in-phase, title: In phase, on: storage, run: echo in-phase }
    check:
      - { id: storage-check, title: Storage check, on: storage, run: "false" }
`;

function parsed() {
  const result = parseRunbook(RUNBOOK, 'test.yaml');
  if (!result.runbook) throw new Error(result.problems.map((problem) => `${problem.line}: ${problem.message}`).join('\n'));
  return result.runbook;
}

describe('optional roles', () => {
  it('are read from optional_roles (skip, or a role to run on instead)', () => {
    expect(parsed().optionalRoles).toEqual({ storage: 'skip', network: 'skip', db: 'controller' });
  });

  it('do not refuse the run when the environment lacks them', () => {
    expect(plannedHosts(parsed(), {}, environment)).toEqual(['ctl', 'cmp1']);
  });

  it('skip the steps that need only an absent role, with the reason recorded, and run the rest', async () => {
    const runbook = parsed();
    const events: RunEvent[] = [];
    const ssh = new LocalShellConnector();
    const runner = new Runner({
      runId: 'run-1',
      runbook,
      environment,
      params: resolveParams(runbook, {}, environment),
      ssh,
      operator: 'alice',
      masker: new Masker([]),
      recorder: { append: (event) => events.push(event) },
      onFailure: 'stop',
    });
    expect(await runner.start()).toBe('succeeded');
    const finished = (step: string) => events.find((event): event is StepFinishedEvent => event.type === 'step.finished' && event.step === step);
    expect(finished('volumes')).toMatchObject({ status: 'skipped', reason: 'no storage role in this environment' });
    expect(finished('phase/check/storage-check')).toMatchObject({ status: 'skipped', reason: 'no storage role in this environment' });
    // A step on a present and an absent optional role runs where it can.
    expect(finished('agents')?.status).toBe('succeeded');
    expect(finished('agents')?.hosts?.map((host) => host.host)).toEqual(['cmp1']);
    // A role with a fallback runs on the fallback's hosts, and says so.
    expect(finished('database')?.hosts?.map((host) => host.host)).toEqual(['ctl']);
    const notes = events.filter((event) => event.type === 'run.note').map((event) => (event as { message: string }).message);
    expect(notes).toContain('no db role in this environment: step database runs on the controller hosts instead');
    expect(ssh.commands.map((command) => command.command)).toEqual(['echo agents', 'echo db']);
  });
});
