import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultAuditDir } from './files';
import { AuditStore } from './store';
import { temporaryAuditDir, writeSampleRun } from './testing';

let auditDir: string;

beforeEach(() => {
  auditDir = temporaryAuditDir();
});

afterEach(() => {
  fs.rmSync(auditDir, { recursive: true, force: true });
});

describe('AuditStore', () => {
  it('lists runs newest first with their status from the journals', () => {
    writeSampleRun(auditDir, 'a1-finished', { finish: true }).close();
    writeSampleRun(auditDir, 'b2-crashed').close();
    const open = writeSampleRun(auditDir, 'c3-open');
    fs.mkdirSync(path.join(auditDir, 'runs', 'empty-dir'));
    const store = new AuditStore(auditDir);
    const runs = store.list();
    expect(runs.map((run) => run.runId).sort()).toEqual(['a1-finished', 'b2-crashed', 'c3-open']);
    const byId = Object.fromEntries(runs.map((run) => [run.runId, run]));
    expect(byId['a1-finished']).toMatchObject({
      runbookId: 'nova-compute-drain',
      runbookTitle: 'Drain a compute node',
      environment: 'staging',
      lab: true,
      operator: 'alice',
      status: 'succeeded',
      lastSeq: 11,
      live: false,
    });
    expect(byId['a1-finished'].finishedAt).toBeDefined();
    expect(byId['b2-crashed']).toMatchObject({ status: 'interrupted', live: false });
    expect(byId['b2-crashed'].finishedAt).toBeUndefined();
    expect(byId['c3-open']).toMatchObject({ status: 'running', live: true });
    expect(runs[0].startedAt >= runs[2].startedAt).toBe(true);
    open.close();
  });

  it('returns an empty list when there is no audit directory yet', () => {
    expect(new AuditStore(path.join(auditDir, 'nothing')).list()).toEqual([]);
  });

  it('resolves run ids by unique prefix, like git', () => {
    for (const id of ['20250314T021500Z-3fa9c1', '20250314T021500Z-3fb000', '20250315T090000Z-000001']) {
      writeSampleRun(auditDir, id).close();
    }
    const store = new AuditStore(auditDir);
    expect(store.resolve('20250315')).toBe('20250315T090000Z-000001');
    expect(store.resolve('20250314T021500Z-3fa')).toBe('20250314T021500Z-3fa9c1');
    expect(() => store.resolve('20250314')).toThrow(expect.objectContaining({ code: 'audit-run-ambiguous' }));
    expect(() => store.resolve('2024')).toThrow(expect.objectContaining({ code: 'audit-run-not-found' }));
  });

  it('reads every complete record and skips a torn last line', () => {
    writeSampleRun(auditDir, 'r').close();
    const store = new AuditStore(auditDir);
    fs.appendFileSync(store.journalFile('r'), '{"seq":10,"ts');
    const records = store.records('r');
    expect(records).toHaveLength(9);
    expect(records.map((record) => record.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(store.verify('r').ok).toBe(false);
    expect(() => store.records('missing')).toThrow(expect.objectContaining({ code: 'audit-run-not-found' }));
  });

  it('defaults to $OPSDECK_HOME/audit, else ~/.opsdeck/audit', () => {
    expect(defaultAuditDir({ OPSDECK_HOME: '/srv/opsdeck' })).toBe(path.join('/srv/opsdeck', 'audit'));
    expect(defaultAuditDir({})).toBe(path.join(os.homedir(), '.opsdeck', 'audit'));
  });
});
