import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRuns } from './drill';
import type { JournalRecord, SnapshotProbeResult } from './events';
import { exportRun, renderComparison } from './export';
import { replayRun } from './replay';
import { compareStateChanges, stateChangesOfRecords } from './state-compare';

/** The real lab's answers (test/fixtures/openstack-cli/real-lab), moved about as a drain moves them. */
const REAL_LAB = path.resolve(import.meta.dirname, '../../../test/fixtures/openstack-cli/real-lab');
const servers = readFileSync(path.join(REAL_LAB, 'server-list-all-projects-long.json'), 'utf8');
const services = readFileSync(path.join(REAL_LAB, 'compute-service-list-long.json'), 'utf8');

const onHost = (host: string, count = 2) => JSON.stringify((JSON.parse(servers) as Array<Record<string, unknown>>).slice(0, count).map((row) => ({ ...row, Host: host })));
const drained = (host: string) =>
  JSON.stringify(
    (JSON.parse(services) as Array<Record<string, unknown>>).map((row) =>
      row.Host === host && row.Binary === 'nova-compute' ? { ...row, Status: 'disabled', State: 'down', 'Disabled Reason': 'drill' } : row,
    ),
  );

function probe(kind: SnapshotProbeResult['kind'], id: string, stdout: string): SnapshotProbeResult {
  return { id, title: id, kind, host: 'controller', command: 'x', exitCode: 0, stdout, stderr: '', durationMs: 1 };
}

/** A run's journal reduced to what matters here: its start, two snapshots `spanMs` apart, its end. */
function journal(runId: string, spanMs: number, start: SnapshotProbeResult[], end: SnapshotProbeResult[]): JournalRecord[] {
  const t0 = Date.parse('2026-12-03T10:00:00.000Z');
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  const base = (seq: number, ms: number) => ({ seq, ts: at(ms), prevHash: '', hash: '' });
  return [
    {
      ...base(1, 0),
      type: 'run.started',
      runId,
      operator: 'ops',
      machine: 'm',
      lab: true,
      runbook: { id: 'compute-maintenance', title: 'Compute maintenance', version: '1', sha256: 'abc', file: 'x.yaml' },
      environment: { name: 'lab', file: 'env.yaml', sha256: 'e' },
      params: {},
      plan: [],
      hosts: [],
    },
    { ...base(2, 10), type: 'run.snapshot', label: 'start', durationMs: 1, probes: start },
    { ...base(3, 10 + spanMs), type: 'run.snapshot', label: 'end', durationMs: 1, probes: end },
    { ...base(4, 20 + spanMs), type: 'run.finished', status: 'succeeded' },
  ] as unknown as JournalRecord[];
}

describe("two drills' state changes side by side", () => {
  // Drill A drained compute01 (2 instances) over 3 min and left it disabled; drill B moved 1 in 5 min and re-enabled.
  const a = journal(
    'run-a',
    180_000,
    [probe('instances', 'instances', onHost('compute01')), probe('nova-services', 'nova_services', services)],
    [probe('instances', 'instances', onHost('compute02')), probe('nova-services', 'nova_services', drained('compute01'))],
  );
  const b = journal(
    'run-b',
    300_000,
    [probe('instances', 'instances', onHost('compute01', 1)), probe('nova-services', 'nova_services', services)],
    [probe('instances', 'instances', onHost('compute02', 1)), probe('nova-services', 'nova_services', services)],
  );

  it('counts the moves and the span of each run, and puts each change in one row', () => {
    const left = stateChangesOfRecords(a)!;
    const right = stateChangesOfRecords(b)!;
    expect(left).toMatchObject({ moved: 2, spanMs: 180_000 });
    expect(right).toMatchObject({ moved: 1, spanMs: 300_000 });
    expect(left.summary).toBe('2 instances moved, 2 changes, snapshots 3 min 00 s apart');
    expect(compareStateChanges(left, right)?.rows).toEqual([
      { subject: 'instances moved compute01 → compute02', a: '2 (vm; touch /tmp/pwned, mnt1)', b: '1 (vm; touch /tmp/pwned)' },
      { subject: 'nova-compute on compute01', a: 'enabled/up → disabled/down, reason "drill"' },
    ]);
  });

  it('is absent when neither run took two snapshots, and says so for the one that did not', () => {
    const bare = a.filter((record) => record.type !== 'run.snapshot');
    expect(stateChangesOfRecords(bare)).toBeUndefined();
    expect(compareStateChanges(undefined, undefined)).toBeUndefined();
    expect(compareRuns(replayRun(bare), replayRun(bare)).stateChanges).toBeUndefined();
  });

  it('is in the comparison and its Markdown (opsdeck audit compare)', () => {
    const comparison = compareRuns(replayRun(a), replayRun(b), { a: stateChangesOfRecords(a), b: stateChangesOfRecords(b) });
    expect(comparison.stateChanges?.rows).toHaveLength(2);
    const markdown = renderComparison(comparison);
    expect(markdown).toContain('## What each run changed');
    expect(markdown).toContain('- A: 2 instances moved, 2 changes, snapshots 3 min 00 s apart');
    expect(markdown).toContain('- B: 1 instance moved, 1 change, snapshots 5 min 00 s apart');
    expect(markdown).toContain('| instances moved compute01 → compute02 | 2 (vm; touch /tmp/pwned, mnt1) | 1 (vm; touch /tmp/pwned) |');
    expect(markdown).toContain('| nova-compute on compute01 | enabled/up → disabled/down, reason "drill" | — |');
  });
});

describe('a run with a snapshot taken during it', () => {
  it('reports each snapshot against the one before, after the first-to-last diff (Markdown and HTML)', () => {
    const start = [probe('instances', 'instances', onHost('compute01')), probe('nova-services', 'nova_services', services)];
    const drainedState = [probe('instances', 'instances', onHost('compute02')), probe('nova-services', 'nova_services', drained('compute01'))];
    const end = [probe('instances', 'instances', onHost('compute02')), probe('nova-services', 'nova_services', services)];
    const records = journal('run-m', 600_000, start, end);
    const middle = { ...records[1], seq: 3, ts: '2026-12-03T10:05:00.000Z', label: 'at maintenance', step: 'maintenance', probes: drainedState } as unknown as JournalRecord;
    const withMiddle = [records[0], records[1], middle, ...records.slice(2).map((record) => ({ ...record, seq: record.seq + 1 }))];
    const markdown = exportRun(withMiddle, 'md');
    expect(markdown).toContain('Snapshots: start at 2026-12-03T10:00:00.010Z, 2 probes; at maintenance at 2026-12-03T10:05:00.000Z, 2 probes; end at');
    const between = markdown.slice(markdown.indexOf('### Snapshot by snapshot'));
    expect(between).toContain(
      '**start → at maintenance**\n\n- instances (controller): 2 instances moved compute01 → compute02: vm; touch /tmp/pwned, mnt1\n- nova_services (controller): nova-compute on compute01: enabled/up → disabled/down, reason "drill"',
    );
    expect(between).toContain('**at maintenance → end**\n\n- nova_services (controller): nova-compute on compute01: disabled/down → enabled/up');
    expect(exportRun(withMiddle, 'html')).toContain(
      '<p><strong>at maintenance → end</strong></p><ul><li>nova_services (controller): nova-compute on compute01: disabled/down → enabled/up</li></ul>',
    );
    // Two snapshots only: no section of its own (the first-to-last diff says it all).
    expect(exportRun(records, 'md')).not.toContain('Snapshot by snapshot');
  });
});
