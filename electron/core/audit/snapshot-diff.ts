/**
 * What changed between two state snapshots of a run, in sentences an operator reads at a glance:
 * "4 instances moved compute02 → compute01: web1, web2, db1, cache", "nova-compute on compute02:
 * enabled/up → disabled/down (forced)".
 *
 * Each probe's raw output is parsed as the real tool prints it (python-openstackclient 6.0 `-f json`,
 * whose keys are the table headers; rabbitmqctl 3.10 `list_queues name messages consumers`; the mysql
 * client's batch mode; captured in /work/shared/openstack-cli/). A probe that failed at either end is
 * reported as not compared, never as a change. Plain types and functions only: the console's renderer
 * can use this module as the report does.
 */
import type { RunSnapshotEvent, SnapshotProbeResult } from './events';

export interface SnapshotChange {
  /** The probe's title (`nova services`). */
  probe: string;
  /** The host the probe ran on. */
  host: string;
  text: string;
}

export interface SnapshotDiff {
  /** Labels of the snapshots compared (`start`, `end`). */
  from: string;
  to: string;
  changes: SnapshotChange[];
  /** Probes that could not be compared, with why. */
  notCompared: SnapshotChange[];
  /** Probes compared (at both ends, answered). */
  compared: number;
}

type Parsed = Map<string, string>;

/** Compares two snapshots probe by probe (a probe is matched by id and host). */
export function diffSnapshots(before: RunSnapshotEvent, after: RunSnapshotEvent): SnapshotDiff {
  const changes: SnapshotChange[] = [];
  const notCompared: SnapshotChange[] = [];
  let compared = 0;
  const key = (probe: SnapshotProbeResult) => `${probe.id}@${probe.host}`;
  const afterByKey = new Map(after.probes.map((probe) => [key(probe), probe]));
  for (const first of before.probes) {
    const second = afterByKey.get(key(first));
    const where = { probe: first.title, host: first.host };
    if (!second) {
      notCompared.push({ ...where, text: `not taken at ${after.label}` });
      continue;
    }
    const failure = failureOf(first, before.label) ?? failureOf(second, after.label);
    if (failure) {
      notCompared.push({ ...where, text: failure });
      continue;
    }
    try {
      const lines = diffProbe(first, second);
      compared += 1;
      for (const text of lines) changes.push({ ...where, text });
    } catch (error) {
      notCompared.push({ ...where, text: `output not understood: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  return { from: before.label, to: after.label, changes, notCompared, compared };
}

function failureOf(probe: SnapshotProbeResult, label: string): string | undefined {
  if (probe.error) return `failed at ${label}: ${probe.error}`;
  if (probe.exitCode !== 0) {
    const line =
      probe.stderr
        .trim()
        .split('\n')
        .find((candidate) => candidate.trim() && !/^sudo: unable to resolve host/.test(candidate)) ?? '';
    return `failed at ${label} (exit ${probe.exitCode ?? 'none'})${line ? `: ${line.trim().slice(0, 200)}` : ''}`;
  }
  return undefined;
}

function diffProbe(before: SnapshotProbeResult, after: SnapshotProbeResult): string[] {
  switch (before.kind) {
    case 'nova-services':
      return diffNovaServices(before.stdout, after.stdout);
    case 'hypervisors':
      return diffMaps(parseHypervisors(before.stdout), parseHypervisors(after.stdout), (name) => `hypervisor ${name}`);
    case 'instances':
      return diffInstances(parseInstances(before.stdout), parseInstances(after.stdout));
    case 'rabbitmq-queues':
      return diffQueues(parseQueues(before.stdout), parseQueues(after.stdout));
    case 'db-cluster':
      return diffMaps(parseDbCluster(before.stdout), parseDbCluster(after.stdout), (name) => name);
    case 'units':
      return diffMaps(parseUnits(before.stdout), parseUnits(after.stdout), (unit) => `${unit} on ${before.host}`);
    case 'text':
      return diffLines(before.stdout, after.stdout);
  }
}

function diffMaps(before: Parsed, after: Parsed, name: (key: string) => string): string[] {
  const out: string[] = [];
  for (const [key, value] of before) {
    if (!after.has(key)) out.push(`${name(key)}: ${value} → gone`);
    else if (after.get(key) !== value) out.push(`${name(key)}: ${value} → ${after.get(key)}`);
  }
  for (const [key, value] of after) if (!before.has(key)) out.push(`${name(key)}: new, ${value}`);
  return out;
}

function jsonArray(text: string): Array<Record<string, unknown>> {
  const trimmed = text.trim();
  // OSC prints nothing at all for an empty list in some formats; -f json prints [].
  if (trimmed === '') return [];
  const value = JSON.parse(trimmed) as unknown;
  if (!Array.isArray(value)) throw new Error('expected a JSON list');
  return value as Array<Record<string, unknown>>;
}

// ---- nova services ---------------------------------------------------------------------------

interface NovaService {
  state: string;
  reason: string | null;
}

/** `compute service list [--long] -f json`: `<binary> on <host>` → `enabled/up`, ` (forced)` when forced down. */
export function parseNovaServices(text: string): Map<string, NovaService> {
  const services = new Map<string, NovaService>();
  for (const row of jsonArray(text)) {
    const forced = row['Forced Down'] === true;
    const reason = typeof row['Disabled Reason'] === 'string' ? row['Disabled Reason'] : null;
    services.set(`${String(row.Binary)} on ${String(row.Host)}`, { state: `${String(row.Status)}/${String(row.State)}${forced ? ' (forced)' : ''}`, reason });
  }
  return services;
}

function diffNovaServices(beforeText: string, afterText: string): string[] {
  const before = parseNovaServices(beforeText);
  const after = parseNovaServices(afterText);
  const out: string[] = [];
  for (const [name, first] of before) {
    const second = after.get(name);
    if (!second) {
      out.push(`${name}: ${first.state} → gone`);
      continue;
    }
    if (first.state !== second.state) out.push(`${name}: ${first.state} → ${second.state}${second.reason && second.reason !== first.reason ? `, reason "${second.reason}"` : ''}`);
    else if (first.reason !== second.reason)
      out.push(`${name}: disabled reason ${first.reason === null ? 'none' : `"${first.reason}"`} → ${second.reason === null ? 'none' : `"${second.reason}"`}`);
  }
  for (const [name, second] of after) if (!before.has(name)) out.push(`${name}: new, ${second.state}`);
  return out;
}

// ---- hypervisors -----------------------------------------------------------------------------

/** `hypervisor list -f json`: hostname → State. */
export function parseHypervisors(text: string): Parsed {
  return new Map(jsonArray(text).map((row) => [String(row['Hypervisor Hostname']), String(row.State)]));
}

// ---- instances -------------------------------------------------------------------------------

interface Instance {
  name: string;
  host: string;
  status: string;
}

/**
 * The instances probe: `server list --all-projects --long -f json`, one list whose rows name their
 * host (`Host`, null for a server never scheduled). Snapshots journaled before it listed per
 * hypervisor: `== <host>` then that host's `server list --host <host> -f json`, or `!! <host> exit
 * <n>` when that listing failed (its hosts are then unknown); both are read.
 */
export function parseInstances(text: string): { servers: Map<string, Instance>; unknownHosts: Set<string> } {
  const servers = new Map<string, Instance>();
  const unknownHosts = new Set<string>();
  if (!/^(==|!!) /m.test(text)) {
    for (const row of jsonArray(text)) {
      if (!('Host' in row)) throw new Error('the server list has no "Host" column (was it listed without --long?)');
      servers.set(String(row.ID), { name: String(row.Name), host: typeof row.Host === 'string' && row.Host ? row.Host : 'no host', status: String(row.Status) });
    }
    return { servers, unknownHosts };
  }
  let host: string | undefined;
  let body: string[] = [];
  const flush = () => {
    if (host === undefined) return;
    for (const row of jsonArray(body.join('\n'))) {
      servers.set(String(row.ID), { name: String(row.Name), host, status: String(row.Status) });
    }
    body = [];
  };
  for (const line of text.split('\n')) {
    const section = /^== (\S+)$/.exec(line);
    const failed = /^!! (\S+) exit/.exec(line);
    if (section) {
      flush();
      host = section[1];
    } else if (failed) {
      body = [];
      unknownHosts.add(failed[1]);
      host = undefined;
    } else if (host !== undefined) {
      body.push(line);
    }
  }
  flush();
  return { servers, unknownHosts };
}

function diffInstances(before: ReturnType<typeof parseInstances>, after: ReturnType<typeof parseInstances>): string[] {
  const out: string[] = [];
  const moves = new Map<string, string[]>();
  const unknown = (host: string) => before.unknownHosts.has(host) || after.unknownHosts.has(host);
  for (const [id, first] of before.servers) {
    const second = after.servers.get(id);
    if (!second) {
      if (!unknown(first.host)) out.push(`instance ${first.name} (${id}) is gone (was on ${first.host}, ${first.status})`);
      continue;
    }
    if (second.host !== first.host) {
      const move = `${first.host} → ${second.host}`;
      moves.set(move, [...(moves.get(move) ?? []), second.name]);
    }
    if (second.status !== first.status) out.push(`instance ${second.name} (${id}): ${first.status} → ${second.status}`);
  }
  for (const [id, second] of after.servers) {
    if (!before.servers.has(id) && !unknown(second.host)) out.push(`instance ${second.name} (${id}) is new on ${second.host} (${second.status})`);
  }
  const moved = [...moves].map(([move, names]) => `${names.length} instance${names.length === 1 ? '' : 's'} moved ${move}: ${names.join(', ')}`);
  return [...moved, ...out];
}

// ---- RabbitMQ queues -------------------------------------------------------------------------

interface Queue {
  messages: number;
  consumers: number;
}

/**
 * `rabbitmqctl list_queues name messages consumers`: the `name messages consumers` header, then one
 * tab-separated line per queue. Reply and fanout queues (`reply_<uuid>`, `<topic>_fanout_<uuid>`) come
 * and go with every client restart: they are left out, as control-plane-health leaves them out.
 */
export function parseQueues(text: string): Map<string, Queue> {
  const queues = new Map<string, Queue>();
  let header = false;
  for (const line of text.split('\n')) {
    const cells = line.split('\t');
    if (!header) {
      header = cells.join(' ') === 'name messages consumers';
      continue;
    }
    if (cells.length !== 3) continue;
    const [name, messages, consumers] = cells;
    if (/^reply_/.test(name) || /_fanout_/.test(name)) continue;
    queues.set(name, { messages: Number(messages), consumers: Number(consumers) });
  }
  if (!header) throw new Error('no "name messages consumers" header in the rabbitmqctl output');
  return queues;
}

function diffQueues(before: Map<string, Queue>, after: Map<string, Queue>): string[] {
  const out: string[] = [];
  const consumers = (count: number) => `${count} consumer${count === 1 ? '' : 's'}`;
  for (const [name, first] of before) {
    const second = after.get(name);
    if (!second) {
      out.push(`queue ${name}: gone (had ${consumers(first.consumers)})`);
      continue;
    }
    if (second.consumers !== first.consumers) out.push(`queue ${name}: ${consumers(first.consumers)} → ${consumers(second.consumers)}`);
    if (second.messages !== first.messages && (second.messages > 0 || first.messages > 0)) out.push(`queue ${name}: ${first.messages} → ${second.messages} messages waiting`);
  }
  for (const [name, second] of after) if (!before.has(name)) out.push(`queue ${name}: new, ${consumers(second.consumers)}`);
  return out;
}

// ---- database cluster ------------------------------------------------------------------------

const WSREP_KEYS = ['wsrep_cluster_size', 'wsrep_cluster_status', 'wsrep_local_state_comment', 'wsrep_ready', 'wsrep_connected'];

/**
 * `mysql -e "SHOW GLOBAL STATUS LIKE 'wsrep_%'"` in batch mode (not a TTY): a `Variable_name	Value`
 * header, then tab-separated rows. MariaDB 10.11 without a wsrep provider still lists the variables
 * (cluster size 0, status Disconnected, ready OFF, an empty wsrep_provider_name; measured): that is a
 * server outside any Galera cluster, said in one line rather than as a failing cluster.
 */
export function parseDbCluster(text: string): Parsed {
  const values = new Map<string, string>();
  let provider: string | undefined;
  for (const line of text.split('\n')) {
    const [name, value] = line.split('\t');
    if (value === undefined) continue;
    if (name === 'wsrep_provider_name') provider = value.trim();
    if (WSREP_KEYS.includes(name)) values.set(name, value.trim());
  }
  if (values.size === 0 || provider === '') return new Map([['galera', 'no wsrep provider loaded (not a Galera cluster member)']]);
  return values;
}

// ---- units -----------------------------------------------------------------------------------

/** The units probe prints `<unit> <state>` per unit the host has (systemctl is-active's words, or docker's). */
export function parseUnits(text: string): Parsed {
  const units = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(\S+) (\S+)$/.exec(line.trim());
    if (match) units.set(match[1], match[2]);
  }
  return units;
}

// ---- a runbook's own probes ------------------------------------------------------------------

const MAX_TEXT_LINES = 20;

function diffLines(beforeText: string, afterText: string): string[] {
  const before = beforeText.split('\n').filter((line) => line.trim());
  const after = afterText.split('\n').filter((line) => line.trim());
  const beforeSet = new Set(before);
  const afterSet = new Set(after);
  const out = [...before.filter((line) => !afterSet.has(line)).map((line) => `- ${line}`), ...after.filter((line) => !beforeSet.has(line)).map((line) => `+ ${line}`)];
  return out.length > MAX_TEXT_LINES ? [...out.slice(0, MAX_TEXT_LINES), `… and ${out.length - MAX_TEXT_LINES} more changed lines`] : out;
}

/** The snapshot diff of a run: its first snapshot against its last; undefined with fewer than two. */
export function runSnapshotDiff(snapshots: readonly RunSnapshotEvent[]): SnapshotDiff | undefined {
  if (snapshots.length < 2) return undefined;
  return diffSnapshots(snapshots[0], snapshots[snapshots.length - 1]);
}
