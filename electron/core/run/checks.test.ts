import { describe, expect, it } from 'vitest';
import { OpsError } from '../errors';
import type { Expect } from '../runbook/model';
import { evaluateCondition, evaluateExpect, extractCaptures, isTruthy } from './checks';

const expectOf = (partial: Partial<Expect>): Expect => ({ exit: [0], stdout: [], stderr: [], json: [], ...partial });
const output = (stdout: string, exitCode: number | null = 0, stderr = '') => ({ exitCode, stdout, stderr });

const SERVERS = JSON.stringify([
  { ID: 'a1', Name: 'web-1', Status: 'ACTIVE', 'Disabled Reason': null },
  { ID: 'b2', Name: 'web-2', Status: 'SHUTOFF', 'Disabled Reason': 'maintenance' },
]);

describe('evaluateExpect', () => {
  it('checks exit codes', () => {
    expect(evaluateExpect(expectOf({}), output('', 0))).toEqual([{ name: 'exit code 0', ok: true }]);
    expect(evaluateExpect(expectOf({ exit: [0, 3] }), output('', 3))[0]).toEqual({ name: 'exit code one of 0, 3', ok: true });
    expect(evaluateExpect(expectOf({}), output('', 1))[0]).toEqual({ name: 'exit code 0', ok: false, detail: 'exit code was 1' });
    expect(evaluateExpect(expectOf({}), output('', null))[0]).toMatchObject({ ok: false, detail: expect.stringContaining('killed or timed out') });
  });

  it('checks text with readable names and details', () => {
    const results = evaluateExpect(
      expectOf({
        stdout: [{ contains: 'ACTIVE' }, { notContains: 'ERROR' }, { matches: '^state: (up|down)$' }, { notMatches: 'fail' }, { empty: false }],
        stderr: [{ empty: true }],
      }),
      output('state: up\nline with ERROR inside\n', 0, 'warning: x'),
    );
    expect(results.map((result) => [result.name, result.ok])).toEqual([
      ['exit code 0', true],
      ['stdout contains "ACTIVE"', false],
      ['stdout does not contain "ERROR"', false],
      ['stdout matches /^state: (up|down)$/', true],
      ['stdout does not match /fail/', true],
      ['stdout is not empty', true],
      ['stderr is empty', false],
    ]);
    expect(results[2].detail).toBe('found in the line "line with ERROR inside"');
    expect(results[6].detail).toBe('stderr was "warning: x"');
  });

  it('truncates long output in details', () => {
    const [, result] = evaluateExpect(expectOf({ stdout: [{ contains: 'needle' }] }), output('x'.repeat(5000)));
    expect(result.detail!.length).toBeLessThan(400);
    expect(result.detail).toContain('5000 characters in all');
  });

  it('checks JSON paths', () => {
    const results = evaluateExpect(
      expectOf({
        json: [
          { path: '[*].Status', oneOf: ['ACTIVE', 'SHUTOFF'] },
          { path: '[*].Status', equals: 'ACTIVE' },
          { path: "[1]['Disabled Reason']", equals: 'maintenance' },
          { path: '$[*]', count: 2 },
          { path: '[*].Host', exists: false },
          { path: '[?]', minCount: 1 },
        ],
      }),
      output(SERVERS),
    );
    expect(results.slice(1).map((result) => [result.name, result.ok])).toEqual([
      ['[*].Status is one of "ACTIVE", "SHUTOFF"', true],
      ['[*].Status equals "ACTIVE"', false],
      ['[1][\'Disabled Reason\'] equals "maintenance"', true],
      ['$[*] selects 2 values', true],
      ['[*].Host does not exist', true],
      ['[?] selects at least 1', false],
    ]);
    expect(results[2].detail).toBe('found ["ACTIVE", "SHUTOFF"]');
    expect(results[6].detail).toContain('not a valid JSON path');
  });

  it('fails a comparison on a path that selects nothing', () => {
    const [, result] = evaluateExpect(expectOf({ json: [{ path: 'missing', equals: 1 }] }), output('{"a":1}'));
    expect(result).toEqual({ name: 'missing equals 1', ok: false, detail: 'the path selects nothing' });
  });

  it('gives a failed check, not a throw, for output that is not JSON', () => {
    const results = evaluateExpect(expectOf({ json: [{ path: 'a', equals: 1, exists: true }] }), output('Traceback (most recent call last):'));
    expect(results.slice(1).map((result) => result.ok)).toEqual([false, false]);
    expect(results[1].detail).toMatch(/^stdout is not valid JSON \(.*\): "Traceback/);
  });
});

describe('extractCaptures', () => {
  it('takes JSON values, lists, regex groups, lines and whole output', () => {
    const captures = extractCaptures(
      [
        { name: 'ids', from: 'stdout', json: '[*].ID' },
        { name: 'first', from: 'stdout', json: '[0].Name' },
        { name: 'version', from: 'stderr', regex: 'version (\\d+\\.\\d+)' },
        { name: 'words', from: 'stderr', regex: '[a-z]+', all: true },
        { name: 'whole', from: 'stderr' },
      ],
      output(SERVERS, 0, '  version 3.12 ok  \n'),
    );
    expect(captures).toEqual({ ids: ['a1', 'b2'], first: 'web-1', version: '3.12', words: ['version', 'ok'], whole: 'version 3.12 ok' });
    expect(extractCaptures([{ name: 'hosts', from: 'stdout', lines: true }], output('compute01\n\n compute02 \n'))).toEqual({ hosts: ['compute01', 'compute02'] });
  });

  it('allows an empty list: no instances is an answer', () => {
    expect(extractCaptures([{ name: 'ids', from: 'stdout', json: '[*].ID' }], output('[]'))).toEqual({ ids: [] });
  });

  it.each([
    [{ name: 'v', from: 'stdout' as const, regex: 'id=(\\w+)' }, 'nothing here', '/id=(\\w+)/ does not match'],
    [{ name: 'v', from: 'stdout' as const, json: 'a.b' }, '{"a":{}}', 'selects nothing'],
    [{ name: 'v', from: 'stdout' as const, json: 'a' }, 'not json', 'not valid JSON'],
    [{ name: 'v', from: 'stdout' as const }, '  \n', 'stdout was empty'],
  ])('throws a capture error when %j finds nothing', (spec, stdout, phrase) => {
    try {
      extractCaptures([spec], output(stdout));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OpsError);
      expect((error as OpsError).code).toBe('capture');
      expect((error as OpsError).userMessage).toContain('The capture "v" found nothing');
      expect((error as OpsError).userMessage).toContain(phrase);
    }
  });
});

describe('evaluateCondition', () => {
  const render = (text: string) => text.replace('{{ x }}', 'yes');
  it('treats "", false, 0, no, none and [] as false', () => {
    for (const value of ['', 'false', 'FALSE', '0', 'no', 'None', '[]', '  ']) expect(isTruthy(value)).toBe(false);
    for (const value of ['yes', '1', 'compute01', '[1]', 'true']) expect(isTruthy(value)).toBe(true);
  });

  it('renders and compares', () => {
    expect(evaluateCondition({ kind: 'truthy', value: '{{ x }}' }, render)).toBe(true);
    expect(evaluateCondition({ kind: 'equals', left: '{{ x }}', right: 'yes', negate: false }, render)).toBe(true);
    expect(evaluateCondition({ kind: 'equals', left: '{{ x }}', right: 'yes', negate: true }, render)).toBe(false);
    expect(evaluateCondition({ kind: 'equals', left: '{{ x }}', right: 'no', negate: false }, render)).toBe(false);
  });
});
