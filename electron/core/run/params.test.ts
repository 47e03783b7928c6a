import { describe, expect, it } from 'vitest';
import type { Environment } from '../inventory/model';
import type { ParamSpec } from '../runbook/model';
import { ParamError, resolveParams } from './params';

const at = { file: 't.yaml', line: 1, column: 1 };
const spec = (name: string, rest: Partial<ParamSpec>): ParamSpec => ({ name, type: 'string', required: false, secret: false, source: at, ...rest });

const runbook = {
  id: 'maint',
  params: [
    spec('host', { type: 'host', required: true, role: 'compute' }),
    spec('targets', { type: 'hosts' }),
    spec('reason', { type: 'string', default: 'planned maintenance' }),
    spec('concurrency', { type: 'int', default: 2, min: 1, max: 10 }),
    spec('shared', { type: 'bool', default: true }),
    spec('mode', { type: 'enum', values: ['live', 'block'], default: 'live' }),
    spec('ticket', { type: 'string', pattern: 'OPS-[0-9]+' }),
  ],
};

const environment = {
  name: 'lab',
  hosts: [
    { name: 'controller01', roles: ['controller'] },
    { name: 'compute01', roles: ['compute'] },
    { name: 'compute02', roles: ['compute'] },
  ],
} as unknown as Environment;

function problems(given: Record<string, unknown>): string[] {
  try {
    resolveParams(runbook, given, environment);
  } catch (error) {
    if (error instanceof ParamError) return error.problems.map((p) => `${p.param}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('resolveParams', () => {
  it('converts strings from a command line and fills in defaults', () => {
    expect(resolveParams(runbook, { host: 'compute01', targets: 'compute01, compute02', concurrency: '4', shared: 'no' }, environment)).toEqual({
      host: 'compute01',
      targets: ['compute01', 'compute02'],
      reason: 'planned maintenance',
      concurrency: 4,
      shared: false,
      mode: 'live',
    });
  });

  it('names every wrong parameter at once', () => {
    expect(problems({ host: 'controller01', concurrency: '99', shared: 'maybe', mode: 'teleport', ticket: 'JIRA-1', colour: 'red' })).toEqual([
      'colour: runbook "maint" has no such parameter (it has: host, targets, reason, concurrency, shared, mode, ticket).',
      'host: "controller01" does not have the role "compute" in environment "lab" (its roles: controller).',
      'concurrency: 99 is above the maximum 10.',
      'shared: "maybe" is not true or false.',
      'mode: "teleport" is not one of: live, block.',
      'ticket: "JIRA-1" does not match the pattern OPS-[0-9]+.',
    ]);
  });

  it('requires required parameters and refuses hosts outside the environment or with shell syntax', () => {
    expect(problems({})).toEqual(['host: is required (a host name of the environment).']);
    expect(problems({ host: 'compute09' })[0]).toContain('"compute09" is not a host of environment "lab" (hosts: controller01, compute01, compute02)');
    expect(problems({ host: 'compute01;reboot' })[0]).toContain('is not a valid host name');
    expect(problems({ host: 'compute01', targets: 'compute01 $(id)' })[0]).toContain('is not a valid host name');
  });

  it('keeps odd but legal text intact (quoting happens at render time) and refuses huge values', () => {
    const odd = `it's "quoted"; $(not run) \`nor this\`\nline two ☃`;
    expect(resolveParams(runbook, { host: 'compute01', reason: odd }, environment).reason).toBe(odd);
    expect(problems({ host: 'compute01', reason: 'x'.repeat(5000) })[0]).toContain('5000 characters long; the limit is 4096');
  });
});
