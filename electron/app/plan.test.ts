/**
 * The plan preview lists every step the run will walk, whatever its kind: an `sql` step once fell
 * through the preview's switch, so `before, count, after` previewed as `before, after`.
 */
import { describe, expect, it } from 'vitest';
import { Masker } from '../core/audit/mask';
import type { Environment } from '../core/inventory/model';
import type { Runbook } from '../core/runbook/model';
import { parseRunbook } from '../core/runbook/parse';
import { buildPlan } from './plan';

const environment: Environment = {
  name: 'edge',
  lab: true,
  profile: { id: 'systemd', title: 'systemd', description: '', words: {} },
  hosts: [{ name: 'ctl', address: '127.0.0.1', port: 22, user: 'u', roles: ['controller'] }],
  vars: {},
  databases: { nova: { name: 'nova', host: 'ctl', address: '127.0.0.1', port: 3306, user: 'opsdeck', password: 'db-secret-1' } },
  secrets: {},
  knownHostsFile: '/dev/null',
  file: 'edge.yaml',
};

function parsed(text: string): Runbook {
  const result = parseRunbook(text, 'test.yaml');
  if (!result.runbook) throw new Error(result.problems.map((problem) => `${problem.line}: ${problem.message}`).join('\n'));
  return result.runbook;
}

function plan(runbook: Runbook, library: Runbook[] = []) {
  return buildPlan({
    runbook,
    library: { get: (id) => library.find((candidate) => candidate.id === id) },
    environment,
    environmentId: 'edge',
    params: {},
    operator: 'alice',
    masker: new Masker(['db-secret-1']),
  });
}

describe('the plan preview', () => {
  it('lists sql steps in their place, with the database and the query as the run sends them', () => {
    const runbook = parsed(`id: t
title: T
steps:
  - { id: before, on: ctl, run: echo before }
  - id: count
    sql: { database: nova, query: "SELECT COUNT(*) AS n FROM instances WHERE host = ?", args: ["{{ env.name }}"] }
    capture: { n: { json: "[0].n" } }
  - id: counts
    sql: { database: nova, row_counts: [nova, nova_api] }
  - { id: after, on: ctl, run: echo after }
`);
    const steps = plan(runbook).steps;
    expect(steps.map((step) => step.key)).toEqual(['before', 'count', 'counts', 'after']);
    const count = steps[1];
    expect(count.kind).toBe('sql');
    expect(count.hosts).toEqual(['db:nova']);
    expect(count.commands).toEqual([{ host: 'db:nova', command: 'SELECT COUNT(*) AS n FROM instances WHERE host = ?  -- with ["edge"]' }]);
    expect(count.checks).toEqual(['exit code 0']);
    expect(count.captures).toEqual(['n ← stdout (JSON [0].n)']);
    expect(steps[2].commands).toEqual([{ host: 'db:nova', command: 'exact row counts of every table in nova, nova_api' }]);
  });

  it("shows an included runbook's steps under the include, keyed as the run keys them, with the parameters given", () => {
    const inner = parsed(`id: inner
title: Inner
params:
  who: { type: string }
steps:
  - { id: greet, on: ctl, run: "echo {{ params.who }}" }
  - id: rows
    sql: { database: nova, query: "SELECT 1" }
`);
    const outer = parsed(`id: outer
title: Outer
steps:
  - { id: first, on: ctl, run: echo first }
  - id: sub
    include: inner
    with: { who: operator }
  - { id: last, on: ctl, run: echo last }
`);
    const steps = plan(outer, [inner]).steps;
    expect(steps.map((step) => [step.key, step.depth])).toEqual([
      ['first', 0],
      ['sub', 0],
      ['sub/greet', 1],
      ['sub/rows', 1],
      ['last', 0],
    ]);
    expect(steps[2].commands).toEqual([{ host: 'ctl', command: "echo 'operator'" }]);
  });
});
