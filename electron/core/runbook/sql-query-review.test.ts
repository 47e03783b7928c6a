/**
 * Security review, issue 11, item 15: a `sql.query` is sent to the database as written, so a
 * template in it would never be replaced (a `WHERE host='{{ … }}'` silently matching nothing makes a
 * "none left" check pass falsely). validate refuses it and points to `args`.
 */
import { describe, expect, it } from 'vitest';
import { parseRunbook } from './parse';

const HEAD = 'id: t\ntitle: T\nparams:\n  host: { type: host }\n';

function errors(text: string): string[] {
  return parseRunbook(text, 'rb.yaml')
    .problems.filter((problem) => problem.severity === 'error')
    .map((problem) => `${problem.line}:${problem.column} ${problem.message}`);
}

describe('sql.query with a template', () => {
  it('is refused at the template, pointing to args', () => {
    const text = `${HEAD}steps:\n  - id: left\n    sql:\n      database: openstack\n      query: SELECT COUNT(*) AS n FROM nova.instances WHERE host='{{ params.host }}' AND deleted = 0\n    expect:\n      json: [{ path: "[0].n", equals: 0 }]\n`;
    expect(errors(text)).toEqual([
      '9:67 steps[0].sql.query: a query is sent to the database as written, so this template would not be replaced by its value; write ? where the value goes and give it under args: (like args: ["{{ params.host }}"]), where it is bound as a value.',
    ]);
  });

  it('is refused in a block query too, and in a nested step', () => {
    const text = `${HEAD}steps:\n  - id: each\n    foreach: { items: "{{ params.host }}", as: h }\n    steps:\n      - id: q\n        sql:\n          database: openstack\n          query: |\n            SELECT 1\n            FROM x WHERE y = {{ h }}\n`;
    expect(errors(text)).toEqual([expect.stringMatching(/^14:30 steps\[0\]\.steps\[0\]\.sql\.query: a query is sent to the database as written/)]);
  });

  it('a query with ? and the value under args is accepted', () => {
    const text = `${HEAD}steps:\n  - id: left\n    sql:\n      database: openstack\n      query: SELECT COUNT(*) AS n FROM nova.instances WHERE host = ? AND deleted = 0\n      args: ["{{ params.host }}"]\n`;
    expect(errors(text)).toEqual([]);
  });
});
