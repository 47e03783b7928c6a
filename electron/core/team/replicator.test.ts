import * as fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpsError } from '../errors';
import { Journal } from '../audit/journal';
import { Masker } from '../audit/mask';
import { TeamReplicator, type ReplicationEvent } from './replicator';
import type { TeamAudit } from './audit';
import type { TeamRecord } from './journal';
import { runStarted, temporaryAuditDir } from '../audit/testing';

/** The team database as the replicator sees it, in memory, with switchable failures. */
class FakeTeam {
  readonly rows: TeamRecord[] = [];
  readonly batches: number[][] = [];
  down = false;
  /** The next insert commits, then fails as if the acknowledgement was lost with the connection. */
  loseNextAcknowledgement = false;

  async lastSeq(): Promise<number> {
    if (this.down) throw new OpsError('team-unreachable', 'the team database cannot be reached (ECONNREFUSED).');
    return this.rows.at(-1)?.seq ?? 0;
  }

  async insertRecords(_runId: string, records: TeamRecord[]): Promise<void> {
    if (this.down) throw new OpsError('team-unreachable', 'the team database cannot be reached (ECONNREFUSED).');
    if (records.some((record) => this.rows.some((row) => row.seq === record.seq))) throw new OpsError('team-duplicate', 'duplicate');
    this.rows.push(...records);
    this.batches.push(records.map((record) => record.seq));
    if (this.loseNextAcknowledgement) {
      this.loseNextAcknowledgement = false;
      throw new OpsError('team-unreachable', 'connection lost before the commit was acknowledged (PROTOCOL_CONNECTION_LOST).');
    }
  }
}

let auditDir: string;
let journal: Journal;
let team: FakeTeam;
let replicator: TeamReplicator;
let events: ReplicationEvent[];

function append(count: number, label: string): void {
  for (let index = 0; index < count; index++) {
    journal.append({ type: 'run.note', level: 'info', message: `${label} ${index} ${'é'.repeat(index)}` });
    replicator.notify();
  }
}

function localLines(): string[] {
  return fs.readFileSync(journal.file, 'utf8').split('\n').filter(Boolean);
}

beforeEach(() => {
  auditDir = temporaryAuditDir();
  journal = Journal.create(auditDir, 'rep', new Masker(), { syncIntervalMs: 0 });
  team = new FakeTeam();
  replicator = new TeamReplicator(team as unknown as TeamAudit, 'rep', journal.file, { retryMinMs: 10, retryMaxMs: 40, batchBytes: 600 });
  events = [];
  replicator.onEvent((event) => events.push(event));
  journal.append(runStarted('rep'));
});

afterEach(() => {
  replicator.close();
  journal.close();
  fs.rmSync(auditDir, { recursive: true, force: true });
});

describe('TeamReplicator', () => {
  it('sends every line verbatim, in order, in batches', async () => {
    append(20, 'note');
    expect(await replicator.drain(5000)).toEqual({ pending: 0 });
    expect(team.rows.map((row) => row.line)).toEqual(localLines());
    expect(team.batches.length).toBeGreaterThan(2);
    expect(team.batches.flat()).toEqual(localLines().map((_, index) => index + 1));
  });

  it('keeps lines in the journal while the database is down and sends them in order once it is back', async () => {
    append(5, 'before');
    await replicator.drain(5000);
    team.down = true;
    append(10, 'during');
    const stuck = await replicator.drain(100);
    expect(stuck.pending).toBe(10);
    expect(stuck.lastError).toMatch(/ECONNREFUSED/);
    expect(events).toEqual([{ type: 'unreachable', message: expect.stringMatching(/ECONNREFUSED/), pending: 10 }]);
    team.down = false;
    append(3, 'after');
    expect(await replicator.drain(5000)).toEqual({ pending: 0 });
    expect(team.rows.map((row) => row.line)).toEqual(localLines());
    expect(team.batches.flat()).toEqual(localLines().map((_, index) => index + 1));
    expect(events.at(-1)).toEqual({ type: 'caught-up', sent: 13, afterOutage: true });
  });

  it('never sends a line twice when a commit was acknowledged by nobody', async () => {
    append(3, 'first');
    await replicator.drain(5000);
    team.loseNextAcknowledgement = true;
    append(4, 'second');
    expect(await replicator.drain(5000)).toEqual({ pending: 0 });
    expect(team.rows.map((row) => row.seq)).toEqual(localLines().map((_, index) => index + 1));
  });

  it('goes on from what the database has when it starts (a run replicated earlier, or by another process)', async () => {
    append(6, 'x');
    const lines = localLines();
    team.rows.push(...lines.slice(0, 4).map((line, index) => ({ seq: index + 1, type: 'run.note', ts: '', prev: '', hash: '', line })));
    expect(await replicator.drain(5000)).toEqual({ pending: 0 });
    expect(team.batches.flat()).toEqual([5, 6, 7]);
    expect(team.rows.map((row) => row.line)).toEqual(lines);
  });
});
