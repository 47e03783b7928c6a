import * as fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, parseRecord } from '../audit/journal';
import { Masker } from '../audit/mask';
import { runStarted, temporaryAuditDir } from '../audit/testing';
import { verifyTeamRecords, type TeamRecord } from './journal';

let auditDir: string;
let lines: string[];

function asRecords(journalLines: string[]): TeamRecord[] {
  return journalLines.map((line) => {
    const record = parseRecord(line)!;
    return { seq: record.seq, type: record.type, ts: record.ts, prev: record.prev, hash: record.hash, line };
  });
}

beforeEach(() => {
  auditDir = temporaryAuditDir();
  const journal = Journal.create(auditDir, 'team', new Masker(), { syncIntervalMs: 0 });
  journal.append(runStarted('team'));
  for (let index = 0; index < 4; index++) {
    journal.append({ type: 'step.started', step: `s${index}`, title: `Step ${index}`, kind: 'run', hosts: ['h'], attempt: 1 });
    journal.append({ type: 'step.finished', step: `s${index}`, status: 'succeeded', durationMs: 10, checks: [], captures: {} });
  }
  journal.close();
  lines = fs.readFileSync(journal.file, 'utf8').trim().split('\n');
});

afterEach(() => {
  fs.rmSync(auditDir, { recursive: true, force: true });
});

describe('verifyTeamRecords', () => {
  it('accepts an intact copy identical to the local journal, and one the local journal is ahead of', () => {
    expect(verifyTeamRecords('team', asRecords(lines), lines)).toMatchObject({ ok: true, records: 9, lastSeq: 9, local: { identical: 9, notYetReplicated: 0 } });
    expect(verifyTeamRecords('team', asRecords(lines.slice(0, 6)), lines)).toMatchObject({ ok: true, local: { identical: 6, notYetReplicated: 3 } });
    expect(verifyTeamRecords('team', asRecords(lines))).toMatchObject({ ok: true });
  });

  it('names a changed row, a removed row, a row whose columns disagree, and a copy that differs from the local journal', () => {
    const changed = asRecords(lines);
    changed[2] = { ...changed[2], line: changed[2].line.replace('"succeeded"', '"failed"') };
    expect(verifyTeamRecords('team', changed).problems).toEqual([{ seq: 3, message: 'seq 3: content changed in the database (hash mismatch)' }]);
    expect(verifyTeamRecords('team', changed, lines).problems).toContainEqual({ seq: 3, message: 'seq 3 differs between the database and the local journal' });

    const removed = asRecords(lines).filter((record) => record.seq !== 5);
    expect(verifyTeamRecords('team', removed).problems.map((problem) => problem.message)).toEqual([
      'seq 5 missing: 1 record removed from the database',
      'seq 6: previous-hash link broken (a record before it was removed, inserted or rewritten)',
    ]);

    const columns = asRecords(lines);
    columns[1] = { ...columns[1], type: 'run.finished' };
    expect(verifyTeamRecords('team', columns).problems[0].message).toMatch(/columns .* differ from its line/);

    expect(verifyTeamRecords('team', asRecords(lines), lines.slice(0, 7)).problems).toEqual([
      { seq: 8, message: 'seq 8 is in the database but not in the local journal (local lines lost or removed)' },
      { seq: 9, message: 'seq 9 is in the database but not in the local journal (local lines lost or removed)' },
    ]);
  });
});
