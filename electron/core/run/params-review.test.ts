/**
 * Security review, issue 11, item 16: a parameter's default goes through the checks a given value
 * gets (host names of the environment, role membership; a `hosts` default is host names), and a
 * runbook's `requires:` is enforced before anything runs.
 */
import { describe, expect, it } from 'vitest';
import { OpsError } from '../errors';
import type { Environment } from '../inventory/model';
import { parseRunbook } from '../runbook/parse';
import type { ParamSpec, Runbook } from '../runbook/model';
import { ParamError, resolveParams } from './params';
import { plannedHosts } from './preflight';

const at = { file: 't.yaml', line: 1, column: 1 };
const spec = (name: string, rest: Partial<ParamSpec>): ParamSpec => ({ name, type: 'string', required: false, secret: false, source: at, ...rest });

const environment = {
  name: 'lab',
  hosts: [
    { name: 'controller01', roles: ['controller'] },
    { name: 'compute01', roles: ['compute'] },
    { name: 'compute02', roles: ['compute'] },
  ],
  vars: {},
  secrets: {},
  profile: { id: 'systemd', words: {} },
} as unknown as Environment;

function problems(params: ParamSpec[], given: Record<string, unknown> = {}): string[] {
  try {
    resolveParams({ id: 'rb', params }, given, environment);
  } catch (error) {
    if (error instanceof ParamError) return error.problems.map((p) => `${p.param}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('parameter defaults are checked against the environment like given values', () => {
  it('a host default without the role asked for is refused', () => {
    expect(problems([spec('h', { type: 'host', role: 'compute', default: 'controller01' })])).toEqual([
      'h: has a default that does not fit here: "controller01" does not have the role "compute" in environment "lab" (its roles: controller). Give a value for it.',
    ]);
    // A given value that fits replaces the default, which is then not used.
    expect(problems([spec('h', { type: 'host', role: 'compute', default: 'controller01' })], { h: 'compute01' })).toEqual([]);
  });

  it('a hosts default naming a host the environment lacks, or a host without the role, is refused', () => {
    expect(problems([spec('hs', { type: 'hosts', default: ['compute01', 'compute09'] })])).toEqual([
      'hs: has a default that does not fit here: "compute09" is not a host of environment "lab" (hosts: controller01, compute01, compute02). Give a value for it.',
    ]);
    expect(problems([spec('hs', { type: 'hosts', role: 'compute', default: ['compute01', 'controller01'] })])[0]).toContain('"controller01" does not have the role "compute"');
  });

  it('defaults that fit are used as before', () => {
    const values = resolveParams(
      {
        id: 'rb',
        params: [
          spec('h', { type: 'host', role: 'compute', default: 'compute02' }),
          spec('hs', { type: 'hosts', default: ['compute01', 'compute02'] }),
          spec('n', { type: 'int', default: 3, min: 1 }),
        ],
      },
      {},
      environment,
    );
    expect(values).toEqual({ h: 'compute02', hs: ['compute01', 'compute02'], n: 3 });
  });

  it('validate refuses a hosts default that is not host names', () => {
    const text = 'id: t\ntitle: T\nparams:\n  hs: { type: hosts, default: ["compute01", "$(id)"] }\nsteps:\n  - id: a\n    manual: x\n';
    const found = parseRunbook(text, 'rb.yaml').problems.map((problem) => `${problem.line}:${problem.column} ${problem.message}`);
    expect(found).toEqual(['4:31 params.hs: the default ["compute01","$(id)"] is not a list of host names.']);
  });
});

describe('requires: is enforced', () => {
  it('a run in an environment lacking a required role is refused, naming every missing role', () => {
    const run = () => resolveParams({ id: 'rb', params: [], requires: ['controller', 'db', 'mq'] }, {}, environment);
    expect(run).toThrow(OpsError);
    expect(run).toThrow('Nothing was run: runbook "rb" requires hosts with the roles db, mq, and environment "lab" has none (its roles: controller, compute).');
    expect(resolveParams({ id: 'rb', params: [], requires: ['controller', 'compute'] }, {}, environment)).toEqual({});
  });
});

describe('requires: of an included runbook', () => {
  it('refuses the run before anything runs, not when the include is reached', () => {
    const parse = (text: string): Runbook => parseRunbook(text, 'rb.yaml').runbook!;
    const included = parse('id: needs-storage\ntitle: N\nrequires: [storage]\nsteps:\n  - { id: a, on: compute01, run: "true" }\n');
    const main = parse('id: main\ntitle: M\nrequires: [compute]\nsteps:\n  - { id: first, on: compute01, run: "true" }\n  - { id: inc, include: needs-storage }\n');
    const library = { get: (id: string) => (id === 'needs-storage' ? included : undefined) };
    expect(() => plannedHosts(main, {}, environment, library)).toThrow('runbook "needs-storage" requires hosts with the role storage');
    expect(plannedHosts(main, {}, environment, { get: () => undefined })).toEqual(['compute01']);
  });
});
