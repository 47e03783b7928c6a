import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sealRecord } from './journal';
import { verifyJournal } from './verify';
import { temporaryAuditDir, writeSampleRun } from './testing';

let auditDir: string;
let file: string;
let lines: string[];

function rewrite(next: string[], trailingNewline = true): void {
  fs.writeFileSync(file, next.join('\n') + (trailingNewline ? '\n' : ''));
}

function problems(): Array<{ line: number; message: string }> {
  return verifyJournal(file).problems;
}

beforeEach(() => {
  auditDir = temporaryAuditDir();
  writeSampleRun(auditDir, 'run-1', { finish: true }).close();
  file = path.join(auditDir, 'runs', 'run-1', 'journal.jsonl');
  lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
});

afterEach(() => {
  fs.rmSync(auditDir, { recursive: true, force: true });
});

describe('verifyJournal', () => {
  it('accepts an intact journal', () => {
    const result = verifyJournal(file);
    expect(result).toMatchObject({ ok: true, records: 11, problems: [], finished: true, lastSeq: 11 });
    expect(result.lastHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names a line whose content changed by one character', () => {
    lines[4] = lines[4].replace('line 1', 'line 7');
    rewrite(lines);
    expect(problems()).toEqual([{ line: 5, message: 'content changed (hash mismatch)' }]);
  });

  it('names a line whose seq was edited', () => {
    lines[6] = lines[6].replace('{"seq":7,', '{"seq":70,');
    rewrite(lines);
    expect(problems()).toEqual([{ line: 7, message: 'content changed (hash mismatch)' }]);
  });

  it('names the line after a removed line', () => {
    lines.splice(6, 1);
    rewrite(lines);
    expect(problems()).toEqual([{ line: 7, message: 'previous-hash link broken: a line before it was removed (seq jumps from 6 to 8: 1 record missing)' }]);
  });

  it('names an inserted forged line even when its own hash is right', () => {
    const previous = JSON.parse(lines[4]) as { seq: number; hash: string };
    const forged = sealRecord({ seq: previous.seq + 1, ts: new Date().toISOString(), prev: previous.hash, type: 'run.note', level: 'info', message: 'all good' });
    lines.splice(5, 0, forged.line);
    rewrite(lines);
    expect(problems()).toEqual([{ line: 6, message: 'inserted line: no record links to it (the record after it links to line 5 (seq 5))' }]);
  });

  it('names an inserted copy of an earlier line', () => {
    lines.splice(6, 0, lines[2]);
    rewrite(lines);
    expect(problems()).toEqual([{ line: 7, message: 'inserted line: a copy of line 3' }]);
  });

  it('names two swapped lines', () => {
    [lines[4], lines[5]] = [lines[5], lines[4]];
    rewrite(lines);
    expect(problems()).toEqual([{ line: 5, message: 'lines 5 and 6 are swapped (seq 6 comes before seq 5)' }]);
  });

  it('names a line moved further away', () => {
    const [moved] = lines.splice(2, 1);
    lines.splice(8, 0, moved);
    rewrite(lines);
    const found = problems();
    expect(found.length).toBeGreaterThan(0);
    expect(found.map((problem) => problem.line)).toContain(3);
    expect(found.some((problem) => problem.line === 9 && problem.message.includes('out of order'))).toBe(true);
  });

  it('detects a line rewritten with a recomputed hash at the next line', () => {
    const record = JSON.parse(lines[4]) as Record<string, unknown>;
    const { hash: _hash, ...body } = record;
    lines[4] = sealRecord({ ...body, data: 'nothing to see\n' }).line;
    rewrite(lines);
    expect(problems()).toEqual([{ line: 6, message: 'previous-hash link broken: a line before it was removed or inserted, or rewritten with a new hash' }]);
  });

  it('detects the last lines removed, against head.json', () => {
    rewrite(lines.slice(0, -2));
    const result = verifyJournal(file);
    expect(result.ok).toBe(false);
    expect(result.finished).toBe(false);
    expect(result.problems).toEqual([{ line: 10, message: 'the journal ends at seq 9 but head.json recorded seq 11: the last 2 lines were removed' }]);
  });

  it('reports a torn last line', () => {
    rewrite([...lines, lines[5].slice(0, 40)], false);
    expect(problems()).toEqual([{ line: 12, message: 'the last line is incomplete (no newline): OpsDeck stopped while writing it; reopening the run moves it aside' }]);
  });

  it('reports invalid JSON in the middle without blaming the next line', () => {
    lines[3] = lines[3].slice(0, 30);
    rewrite(lines);
    expect(problems()).toEqual([{ line: 4, message: 'not valid JSON (the line was changed or cut short)' }]);
  });

  it('reports a missing head.json', () => {
    fs.rmSync(path.join(auditDir, 'runs', 'run-1', 'head.json'));
    expect(problems()).toEqual([{ line: 0, message: 'head.json is missing: removal of the last lines cannot be detected' }]);
  });

  it('reports a head.json whose hash does not match', () => {
    const headFile = path.join(auditDir, 'runs', 'run-1', 'head.json');
    const head = JSON.parse(fs.readFileSync(headFile, 'utf8')) as { hash: string };
    fs.writeFileSync(headFile, JSON.stringify({ ...head, hash: '0'.repeat(64) }));
    expect(problems()).toEqual([{ line: 11, message: 'seq 11 differs from the record head.json saved: the line was replaced' }]);
  });

  it('treats a re-serialised record as changed: the hash covers the bytes as written', () => {
    lines[3] = JSON.stringify(JSON.parse(lines[3]), null, 1).replace(/\n/g, '');
    rewrite(lines);
    expect(problems()).toEqual([{ line: 4, message: 'content changed (hash mismatch)' }]);
  });
});
