/** Issue 11, item 9: the rule verify applies to the database logins that inserted a run's rows. */
import * as fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyTeamRecords, type TeamRecord } from './journal';
import { Journal, parseRecord } from '../audit/journal';
import { Masker } from '../audit/mask';
import { runStarted, temporaryAuditDir } from '../audit/testing';

let auditDir: string;
let lines: string[];
const operators = { alice: 'opsdeck_alice', bob: 'opsdeck_bob' };

function asRecords(insertedBy: (seq: number) => string): TeamRecord[] {
  return lines.map((line) => {
    const record = parseRecord(line)!;
    return { seq: record.seq, type: record.type, ts: record.ts, prev: record.prev, hash: record.hash, line, insertedBy: insertedBy(record.seq) };
  });
}

beforeEach(() => {
  auditDir = temporaryAuditDir();
  const journal = Journal.create(auditDir, 'team', new Masker(), { syncIntervalMs: 0 });
  journal.append(runStarted('team', { operator: 'alice', machine: 'ops-laptop' }));
  for (let index = 0; index < 3; index++) journal.append({ type: 'run.note', level: 'info', message: `note ${index}` });
  journal.close();
  lines = fs.readFileSync(journal.file, 'utf8').trim().split('\n');
});

afterEach(() => {
  fs.rmSync(auditDir, { recursive: true, force: true });
});

describe('verifyTeamRecords: who inserted the rows', () => {
  it("accepts a run inserted by its operator's account, from any client host, and lists the logins", () => {
    const result = verifyTeamRecords(
      'team',
      asRecords((seq) => (seq < 3 ? 'opsdeck_alice@10.0.0.4' : 'opsdeck_alice@10.0.0.9')),
      undefined,
      {
        runRow: { operator: 'alice', machine: 'ops-laptop', insertedBy: 'opsdeck_alice@10.0.0.4' },
        operators,
      },
    );
    expect(result).toMatchObject({ ok: true, problems: [] });
    expect(result.insertedBy).toEqual(['opsdeck_alice@10.0.0.4', 'opsdeck_alice@10.0.0.9']);
  });

  it('names consecutive rows from another account as one range', () => {
    const result = verifyTeamRecords(
      'team',
      asRecords((seq) => (seq >= 3 ? 'opsdeck_bob@h' : 'opsdeck_alice@h')),
    );
    expect(result.problems).toEqual([
      { seq: 3, message: "inserted by opsdeck_bob@h (seq 3–4), while the run's other rows were inserted by opsdeck_alice@h: rows from another account were added to the run" },
    ]);
  });

  it('fails an operator with no account in the map, a run row from another account, and a run row naming someone else', () => {
    const result = verifyTeamRecords(
      'team',
      asRecords(() => 'opsdeck_alice@h'),
      undefined,
      {
        runRow: { operator: 'bob', machine: 'ops-7', insertedBy: 'opsdeck_bob@h' },
        operators: { bob: 'opsdeck_bob' },
      },
    );
    expect(result.problems.map((problem) => problem.message)).toEqual([
      "the run's summary row (audit_runs) was inserted by opsdeck_bob@h, its records by opsdeck_alice@h: another account registered this run id",
      "run.started names operator alice, who has no database account in the environment's audit.operators: who recorded the run cannot be checked (inserted by opsdeck_alice@h)",
      "the run's summary row names bob on ops-7, its run.started alice on ops-laptop",
    ]);
  });

  it('does not judge rows inserted before attribution was recorded', () => {
    expect(
      verifyTeamRecords(
        'team',
        asRecords(() => ''),
        undefined,
        { operators },
      ),
    ).toMatchObject({ ok: true, insertedBy: [] });
  });
});
