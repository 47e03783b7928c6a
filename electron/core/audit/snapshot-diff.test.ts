import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSnapshotEvent, SnapshotProbeResult } from './events';
import { diffSnapshots, parseDbCluster, parseInstances, parseNovaServices, parseQueues } from './snapshot-diff';

/**
 * Outputs captured from a real OpenStack Zed deployment (python-openstackclient 6.0, RabbitMQ 3.10),
 * copied from /work/shared/openstack-cli into test/fixtures/openstack-cli: `$ command`, its stdout,
 * optionally `# (stderr:)` and stderr, then `[exit N]`.
 */
const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/openstack-cli');

function captured(file: string, command: string): string {
  const text = readFileSync(path.join(FIXTURES, file), 'utf8');
  const start = text.indexOf(`$ ${command}\n`);
  if (start < 0) throw new Error(`no "${command}" in ${file}`);
  const body = text.slice(start + command.length + 3);
  const end = body.search(/^(# \(stderr:\)|\[exit \d+\])$/m);
  return body.slice(0, end);
}

function probe(kind: SnapshotProbeResult['kind'], stdout: string, extra: Partial<SnapshotProbeResult> = {}): SnapshotProbeResult {
  return { id: kind, title: kind, kind, host: 'controller', command: 'x', exitCode: 0, stdout, stderr: '', durationMs: 1, ...extra };
}

function snapshot(label: string, probes: SnapshotProbeResult[]): RunSnapshotEvent {
  return { type: 'run.snapshot', label, durationMs: 1, probes };
}

const diffOf = (kind: SnapshotProbeResult['kind'], before: string, after: string) =>
  diffSnapshots(snapshot('start', [probe(kind, before)]), snapshot('end', [probe(kind, after)])).changes.map((change) => change.text);

describe('the snapshot diff, on real outputs', () => {
  const longJson = captured('compute-service-list.txt', 'openstack compute service list --long -f json');

  it('nova services: a service forced down and one disabled with a reason', () => {
    // The real `--long -f json` (compute01 disabled "planned maintenance", compute02 forced down),
    // against the same list before: every service enabled, up, no reason, not forced (as the capture's
    // last listing shows them after --up and --enable).
    const before = JSON.stringify(
      (JSON.parse(longJson) as Array<Record<string, unknown>>).map((row) => ({ ...row, Status: 'enabled', State: 'up', 'Disabled Reason': null, 'Forced Down': false })),
    );
    expect(parseNovaServices(longJson).get('nova-compute on compute02')).toEqual({ state: 'enabled/down (forced)', reason: null });
    expect(diffOf('nova-services', before, longJson)).toEqual([
      'nova-compute on compute01: enabled/up → disabled/up, reason "planned maintenance"',
      'nova-compute on compute02: enabled/up → enabled/down (forced)',
    ]);
    // The short form (no --long: no reason, no forced column) against the long one.
    expect(diffOf('nova-services', captured('compute-service-list.txt', 'openstack compute service list -f json'), longJson)).toEqual([
      'nova-compute on compute01: disabled reason none → "planned maintenance"',
      'nova-compute on compute02: enabled/down → enabled/down (forced)',
    ]);
  });

  it('instances: the servers of one host moved to another, named, in one sentence', () => {
    const listed = captured('server-list.txt', 'openstack server list --host compute01 --all-projects -f json');
    expect([...parseInstances(`== compute01\n${listed}`).servers.values()].map((server) => server.name)).toEqual(['mnt2', 'mnt1']);
    expect(diffOf('instances', `== compute01\n${listed}== compute02\n[]\n`, `== compute01\n[]\n== compute02\n${listed}`)).toEqual([
      '2 instances moved compute01 → compute02: mnt2, mnt1',
    ]);
  });

  it("instances: the real lab's `server list --all-projects --long -f json` (the probe's one call), and the per-hypervisor form journaled before", () => {
    const real = (file: string) => readFileSync(path.join(FIXTURES, 'real-lab', file), 'utf8');
    const long = real('server-list-all-projects-long.json');
    expect([...parseInstances(long).servers.values()]).toEqual([
      { name: 'vm; touch /tmp/pwned', host: 'compute01', status: 'ACTIVE' },
      { name: 'mnt1', host: 'compute01', status: 'ACTIVE' },
    ]);
    const moved = long.replaceAll('"Host": "compute01"', '"Host": "compute02"');
    expect(diffOf('instances', long, moved)).toEqual(['2 instances moved compute01 → compute02: vm; touch /tmp/pwned, mnt1']);
    // A journal of the old probe against one of the new: the same servers, nothing moved.
    expect(diffOf('instances', real('instances-per-hypervisor.txt'), long)).toEqual([]);
    // A list without the Host column cannot say where anything is: not compared, rather than "moved".
    const short = diffSnapshots(
      snapshot('start', [probe('instances', long)]),
      snapshot('end', [probe('instances', JSON.stringify((JSON.parse(long) as Array<Record<string, unknown>>).map(({ Host: _host, ...row }) => row)))]),
    );
    expect(short.notCompared[0].text).toBe('output not understood: the server list has no "Host" column (was it listed without --long?)');
  });

  it('the real drain of compute01 (compute-maintenance on the real lab): its three snapshots, as the probes printed them', () => {
    const real = (label: string, id: string, host: string) => readFileSync(path.join(FIXTURES, 'real-lab', `snapshot-${label}-${id}-${host}.txt`), 'utf8');
    const taken = (label: string) =>
      snapshot(label, [
        { ...probe('nova-services', real(label, 'nova_services', 'controller')), id: 'nova_services', title: 'nova services' },
        { ...probe('instances', real(label, 'instances', 'controller')), id: 'instances', title: 'instances per host' },
        { ...probe('units', real(label, 'units', 'compute01')), id: 'units', title: 'unit states', host: 'compute01' },
      ]);
    const texts = (from: string, to: string) => diffSnapshots(taken(from), taken(to)).changes.map((change) => change.text);
    expect(texts('start', 'at-maintenance')).toEqual([
      'nova-compute on compute01: enabled/up → disabled/down, reason "replace DIMM B2"',
      '2 instances moved compute01 → compute02: vm; touch /tmp/pwned, mnt1',
      'openstack-nova-compute on compute01: active → inactive',
    ]);
    expect(texts('at-maintenance', 'end')).toEqual(['nova-compute on compute01: disabled/down → enabled/up', 'openstack-nova-compute on compute01: inactive → active']);
    expect(texts('start', 'end')).toEqual(['2 instances moved compute01 → compute02: vm; touch /tmp/pwned, mnt1']);
  });

  it('instances: a host whose listing failed is unknown, not emptied', () => {
    const listed = captured('server-list.txt', 'openstack server list --host compute01 --all-projects -f json');
    expect(diffOf('instances', `== compute01\n${listed}`, '!! compute01 exit 1\n')).toEqual([]);
    const changed = listed.replace('"Status": "ACTIVE"', '"Status": "SHUTOFF"');
    expect(diffOf('instances', `== compute01\n${listed}`, `== compute01\n${changed}`)).toEqual(['instance mnt2 (79a78e28-e12c-4a2a-a0c1-ae8be53cbb68): ACTIVE → SHUTOFF']);
  });

  it('RabbitMQ: a queue that lost its consumer; reply and fanout queues are left out', () => {
    const before = captured('rabbitmqctl.txt', 'rabbitmqctl list_queues name messages consumers');
    const queues = parseQueues(before);
    expect(queues.get('compute.compute01')).toEqual({ messages: 0, consumers: 1 });
    expect([...queues.keys()].some((name) => name.startsWith('reply_') || name.includes('_fanout_'))).toBe(false);
    const after = before.replace('compute.compute01\t0\t1', 'compute.compute01\t7\t0').replace(/^reply_fb9e26eba8654c97a514cd47c28e4092\t0\t1\n/m, '');
    expect(diffOf('rabbitmq-queues', before, after)).toEqual(['queue compute.compute01: 1 consumer → 0 consumers', 'queue compute.compute01: 0 → 7 messages waiting']);
  });

  it('hypervisors: a state change', () => {
    const before = captured('hypervisor.txt', 'openstack hypervisor list -f json');
    const after = JSON.stringify(
      (JSON.parse(before) as Array<Record<string, unknown>>).map((row) => (row['Hypervisor Hostname'] === 'compute02' ? { ...row, State: 'down' } : row)),
    );
    expect(diffOf('hypervisors', before, after)).toEqual(['hypervisor compute02: up → down']);
  });

  it('units and the database cluster (mysql batch output)', () => {
    expect(diffOf('units', 'openstack-nova-compute active\nneutron-openvswitch-agent active\n', 'openstack-nova-compute inactive\nneutron-openvswitch-agent active\n')).toEqual([
      'openstack-nova-compute on controller: active → inactive',
    ]);
    const galera = (size: number, state: string) =>
      `Variable_name\tValue\nwsrep_cluster_size\t${size}\nwsrep_cluster_status\tPrimary\nwsrep_local_state_comment\t${state}\nwsrep_ready\tON\n`;
    expect(diffOf('db-cluster', galera(3, 'Synced'), galera(2, 'Donor/Desynced'))).toEqual(['wsrep_cluster_size: 3 → 2', 'wsrep_local_state_comment: Synced → Donor/Desynced']);
    expect(diffOf('db-cluster', '', '')).toEqual([]);
    // MariaDB 10.11 without Galera (measured): the variables are there, the provider is not.
    const standalone = captured('mysql-wsrep-status.txt', `mysql -e "SHOW GLOBAL STATUS LIKE 'wsrep_%'"`);
    expect(parseDbCluster(standalone)).toEqual(new Map([['galera', 'no wsrep provider loaded (not a Galera cluster member)']]));
    expect(diffOf('db-cluster', galera(3, 'Synced'), standalone)).toEqual([
      'wsrep_cluster_size: 3 → gone',
      'wsrep_cluster_status: Primary → gone',
      'wsrep_local_state_comment: Synced → gone',
      'wsrep_ready: ON → gone',
      'galera: new, no wsrep provider loaded (not a Galera cluster member)',
    ]);
  });

  it('a probe that failed at either end is not compared, and says why', () => {
    const listed = captured('hypervisor.txt', 'openstack hypervisor list -f json');
    const failed = probe('hypervisors', '', {
      exitCode: 1,
      stderr: "sudo: unable to resolve host controller01: Name or service not known\nexpected string or bytes-like object, got 'NoneType'\n",
    });
    const diff = diffSnapshots(snapshot('start', [probe('hypervisors', listed)]), snapshot('end', [failed]));
    expect(diff.changes).toEqual([]);
    expect(diff.notCompared).toEqual([{ probe: 'hypervisors', host: 'controller', text: "failed at end (exit 1): expected string or bytes-like object, got 'NoneType'" }]);
    const garbled = diffSnapshots(snapshot('start', [probe('nova-services', longJson)]), snapshot('end', [probe('nova-services', 'Traceback (most recent call last):')]));
    expect(garbled.notCompared[0].text).toMatch(/^output not understood: /);
  });

  it("a runbook's own probe: changed lines", () => {
    expect(diffOf('text', 'a\nb\nc\n', 'a\nc\nd\n')).toEqual(['- b', '+ d']);
  });
});
