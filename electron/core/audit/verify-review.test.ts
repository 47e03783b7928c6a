/** Issue 11, item 12: a journal is tied to its run directory, and a forged line is named for what it is. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyJournal } from './verify';
import { temporaryAuditDir, writeSampleRun } from './testing';

let auditDir: string;
const runFile = (runId: string, name: string): string => path.join(auditDir, 'runs', runId, name);

beforeEach(() => {
  auditDir = temporaryAuditDir();
  writeSampleRun(auditDir, 'run-a', { finish: true }).close();
  writeSampleRun(auditDir, 'run-b', { finish: true }).close();
});

afterEach(() => {
  fs.rmSync(auditDir, { recursive: true, force: true });
});

function swap(name: string): void {
  const a = fs.readFileSync(runFile('run-a', name));
  fs.writeFileSync(runFile('run-a', name), fs.readFileSync(runFile('run-b', name)));
  fs.writeFileSync(runFile('run-b', name), a);
}

describe('verifyJournal ties a journal to its run directory', () => {
  it('fails two runs whose journals and head.json files were swapped', () => {
    swap('journal.jsonl');
    swap('head.json');
    const result = verifyJournal(runFile('run-a', 'journal.jsonl'));
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual({
      line: 1,
      message: 'run.started names run run-b, not run-a (the directory it is in): the journal was swapped or copied from another run',
    });
    expect(result.problems).toContainEqual({
      line: 0,
      message: 'head.json names run run-b, not run-a (the directory it is in): it was swapped or copied from another run',
    });
    expect(verifyJournal(runFile('run-b', 'journal.jsonl')).ok).toBe(false);
  });

  it('fails a run whose head.json alone comes from another run', () => {
    swap('head.json');
    expect(verifyJournal(runFile('run-a', 'journal.jsonl')).problems).toContainEqual({
      line: 0,
      message: 'head.json names run run-b, not run-a (the directory it is in): it was swapped or copied from another run',
    });
  });
});

describe('verifyJournal names a forged line', () => {
  let file: string;
  let lines: string[];
  const rewrite = (next: string[]): void => fs.writeFileSync(file, next.join('\n') + '\n');

  beforeEach(() => {
    file = runFile('run-a', 'journal.jsonl');
    lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  });

  it("calls a line that carries another line's seq, prev and hash but other content a forgery, not a copy", () => {
    const forged = lines[4].replace('line 1', 'line 9');
    lines.splice(5, 0, forged);
    rewrite(lines);
    expect(verifyJournal(file).problems).toEqual([
      { line: 6, message: 'forged line: it carries the seq, previous-hash link and hash of line 5 but its content does not match that hash' },
    ]);
  });

  it('names a blanked line', () => {
    lines[3] = '';
    rewrite(lines);
    expect(verifyJournal(file).problems).toContainEqual({ line: 4, message: 'empty line (a line was blanked or a newline inserted)' });
  });

  it('names the inserted copy, not the original, when the copy comes first', () => {
    lines.splice(2, 0, lines[6]);
    rewrite(lines);
    expect(verifyJournal(file).problems).toEqual([{ line: 3, message: 'inserted line: a copy of line 8' }]);
  });
});
