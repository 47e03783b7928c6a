import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpsError } from '../errors';
import { isRunbookPath, RunbookLibrary } from './library';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'opsdeck-library-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string): string {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const runbook = (id: string, steps: string, header = '') => `id: ${id}\ntitle: ${id}\n${header}steps:\n${steps}`;

describe('isRunbookPath', () => {
  it.each([
    ['upgrade.yaml', true],
    ['compute/drain.yml', true],
    ['profiles/tripleo.yaml', false],
    ['environments/lab.yaml', false],
    ['examples/profiles/x.yaml', false],
    ['.hidden/x.yaml', false],
    ['schema.json', false],
    ['README.md', false],
  ])('%s → %s', (path, expected) => {
    expect(isRunbookPath(path)).toBe(expected);
  });
});

describe('RunbookLibrary', () => {
  it('loads runbooks by id and skips profiles and environments', async () => {
    write('a.yaml', runbook('a', '  - id: one\n    manual: x\n'));
    write('sub/b.yml', runbook('b', '  - id: one\n    manual: x\n'));
    write('profiles/systemd.yaml', 'id: systemd\nwords: {}\n');
    write('environments/lab.yaml', 'name: lab\nhosts: []\n');
    const library = await RunbookLibrary.load([root]);
    expect(library.problems).toEqual([]);
    expect(library.list().map((item) => item.id)).toEqual(['a', 'b']);
    expect(() => library.require('bb')).toThrow(OpsError);
    expect(() => library.require('bb')).toThrow('did you mean "b"?');
  });

  it('reports duplicate ids at the id of the second file', async () => {
    write('a.yaml', runbook('same', '  - id: one\n    manual: x\n'));
    const second = write('b.yaml', `# comment\n${runbook('same', '  - id: one\n    manual: x\n')}`);
    const library = await RunbookLibrary.load([root]);
    expect(library.problems).toEqual([{ file: second, line: 2, column: 5, severity: 'error', message: expect.stringContaining('The runbook id "same" is also the id of') }]);
  });

  it('checks includes: missing runbook, unknown and missing params', async () => {
    write('backup.yaml', runbook('db-backup', '  - id: dump\n    manual: dump {{ params.target }}\n', 'params:\n  target: { type: string }\n  keep: { type: int, default: 3 }\n'));
    const upgrade = write('upgrade.yaml', runbook('upgrade', '  - id: backup\n    include: db-backup\n    with: { keeep: "4" }\n  - id: other\n    include: db-backupp\n'));
    const library = await RunbookLibrary.load([root]);
    expect(library.problemsOf(upgrade).map((problem) => `${problem.line}:${problem.column} ${problem.message}`)).toEqual([
      '4:5 The step "backup" gives "keeep" to the runbook "db-backup", which has no such parameter; did you mean "keep"?',
      '4:5 The step "backup" includes "db-backup" without its required parameter "target"; give it under with:.',
      '7:5 The step "other" includes the runbook "db-backupp", which does not exist; did you mean "db-backup"?',
    ]);
  });

  it('detects include loops', async () => {
    const a = write('a.yaml', runbook('a', '  - id: to-b\n    include: b\n'));
    write('b.yaml', runbook('b', '  - id: wrap\n    foreach: { items: "x" }\n    steps:\n      - id: to-a\n        include: a\n'));
    const library = await RunbookLibrary.load([root]);
    const loops = library.problems.filter((problem) => problem.message.includes('loop'));
    expect(loops).toHaveLength(1);
    expect(loops[0].message).toBe('Runbooks include each other in a loop: a includes b includes a; a run would never end.');
    expect(loops[0].file).not.toBe(a);
    expect(loops[0]).toMatchObject({ line: 7, column: 9 });
  });

  it('loads files named directly, once even when also under a directory', async () => {
    const file = write('one.yaml', runbook('one', '  - id: a\n    manual: x\n'));
    const library = await RunbookLibrary.load([root, file, join(root, '.', 'one.yaml')]);
    expect(library.problems).toEqual([]);
    expect(library.getByFile(join(root, 'one.yaml'))?.id).toBe('one');
    const missing = await RunbookLibrary.load([join(root, 'nope')]);
    expect(missing.problems[0].message).toContain('cannot be read');
  });

  it('keeps the problems of files that do not parse', async () => {
    const bad = write('bad.yaml', 'id: bad\ntitle: x\nsteps: [ {id: a, manual: x}\n');
    const library = await RunbookLibrary.load([root]);
    expect(library.list()).toEqual([]);
    expect(library.problemsOf(bad).length).toBeGreaterThan(0);
    expect(library.hasErrors).toBe(true);
  });
});
