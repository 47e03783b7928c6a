/**
 * The plan preview lists every step the run will walk, whatever its kind: an `sql` step once fell
 * through the preview's switch, so `before, count, after` previewed as `before, after`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Masker } from '../core/audit/mask';
import type { Environment } from '../core/inventory/model';
import type { Runbook } from '../core/runbook/model';
import { RunbookLibrary } from '../core/runbook/library';
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

/** The step keys a runbook's YAML holds, in order, as the run keys them (read from the YAML itself). */
function keysInYaml(items: unknown, prefix: string, raw: Map<string, Record<string, unknown>>, includes: string[]): string[] {
  if (!Array.isArray(items)) return [];
  return items.flatMap((item: Record<string, unknown>) => {
    const key = prefix + String(item.id);
    const inner: string[] = [];
    if (item.foreach !== undefined) inner.push(...keysInYaml(item.steps, `${key}[*]/`, raw, includes));
    if (item.phase !== undefined) inner.push(...keysInYaml(item.steps, `${key}/`, raw, includes), ...keysInYaml(item.check, `${key}/check/`, raw, includes));
    if (typeof item.include === 'string' && !includes.includes(item.include) && raw.has(item.include)) {
      inner.push(...keysInYaml(raw.get(item.include)!.steps, `${key}/`, raw, [...includes, item.include]));
    }
    return [key, ...inner];
  });
}

describe('the plan preview of every bundled runbook', async () => {
  const directory = path.resolve(__dirname, '../../runbooks');
  const library = await RunbookLibrary.load([directory]);
  const files = readdirSync(directory, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.yaml') && !file.startsWith('profiles'));
  const raw = new Map<string, Record<string, unknown>>();
  for (const file of files) {
    const document = parseYaml(readFileSync(path.join(directory, file), 'utf8')) as Record<string, unknown>;
    raw.set(String(document.id), document);
  }
  // One host per role any bundled runbook names, so every `on:` written as a role resolves.
  const roles = ['controller', 'compute', 'db', 'mq', 'network', 'storage'];
  const cloud: Environment = {
    ...environment,
    hosts: [
      { name: 'controller01', address: '127.0.0.1', port: 22, user: 'u', roles: ['controller'] },
      ...roles.slice(1).map((role) => ({ name: `${role}01`, address: '127.0.0.1', port: 22, user: 'u', roles: [role] })),
    ],
    databases: { openstack: { name: 'openstack', host: 'controller01', address: '127.0.0.1', port: 3306, user: 'opsdeck' } },
  };

  it('finds the bundled runbooks, with sql, include and foreach steps among them', () => {
    expect(library.problems).toEqual([]);
    expect(raw.size).toBeGreaterThanOrEqual(10);
    const kinds = new Set(
      library
        .list()
        .flatMap((runbook) =>
          buildPlan({ runbook, library, environment: cloud, environmentId: 'cloud', params: {}, operator: 'alice', masker: new Masker() }).steps.map((step) => step.kind),
        ),
    );
    for (const kind of ['run', 'wait', 'manual', 'decision', 'foreach', 'phase', 'include', 'sql']) expect(kinds).toContain(kind);
  });

  for (const [id, document] of raw) {
    it(`${id}: lists every step, those inside include, foreach and phase too, in order`, () => {
      const runbook = library.get(id)!;
      const plan = buildPlan({ runbook, library, environment: cloud, environmentId: 'cloud', params: {}, operator: 'alice', masker: new Masker() });
      expect(plan.steps.map((step) => step.key)).toEqual([...keysInYaml(document.steps, '', raw, [id]), ...keysInYaml(document.finally, 'finally/', raw, [id])]);
      const rollback = Array.isArray(document.rollback) ? document.rollback : [];
      expect(plan.rollback.map((step) => step.key)).toEqual(rollback.flatMap((entry) => keysInYaml([entry], 'rollback/', raw, [id])));
    });
  }
});
