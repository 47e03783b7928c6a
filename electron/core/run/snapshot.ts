/**
 * State snapshots: read-only probes of the cloud taken at the start and the end of a run (and when
 * asked during it), journaled as `run.snapshot` records, so the report can say what the run changed
 * ("4 instances moved compute02 → compute01", "nova-compute on compute02: enabled/up →
 * disabled/down (forced)"; electron/core/audit/snapshot-diff.ts).
 *
 * The standard probes are written in the deployment profile's words (`{{ env.openstack }}`,
 * `{{ env.rabbitmqctl }}`, ...), so they run on every deployment style a runbook runs on; a profile
 * lists the ones its deployment answers (`probes:`, default all), and a runbook may add its own
 * (`probes:` in its header). Each runs where a runbook step would: the OpenStack ones on the first
 * controller, RabbitMQ's on the first `mq` host, the database's on the first `db` host (both through
 * sudo, as control-plane-health runs them), unit states on every host the run will touch. They run
 * beside the step walk, never inside it: a probe that fails is recorded as such and the run goes on.
 */
import type { RunSnapshotEvent, SnapshotProbeResult } from '../audit/events';
import type { Environment, HostSpec } from '../inventory/model';
import type { Runbook } from '../runbook/model';
import { renderTemplate, shellQuote } from '../runbook/template';
import type { SshConnector } from '../ssh/types';
import { userMessageOf } from '../errors';
import { mapWithLimit } from './concurrency';
import type { OutputMasker } from './runner';
import { environmentScope } from './scope';
import { resolveTargets } from './targets';

/** Limits of one snapshot: every threshold in one place. */
export const SNAPSHOT_LIMITS = {
  /**
   * Per probe; a probe that takes longer is recorded as timed out. One `openstack` call took 99 s on
   * the real lab's controller at a load average of 18 (a new client process and a token each time):
   * a busy controller must not turn every snapshot into "timed out".
   */
  probeTimeoutMs: 240_000,
  /** Probes running at once. */
  concurrency: 4,
  /** Output kept per probe and stream. */
  maxOutputChars: 256 * 1024,
};

/** One probe to run: where, what, and how its output is read. */
export interface PlannedProbe {
  id: string;
  title: string;
  kind: SnapshotProbeResult['kind'];
  host: HostSpec;
  /** A template in the profile's words (`{{ env.* }}` only). */
  command: string;
  sudo: boolean;
}

interface StandardProbe {
  title: string;
  kind: SnapshotProbeResult['kind'];
  /** The role whose first host runs it; `touched`: every host the run touches. */
  on: 'controller' | 'mq' | 'db' | 'touched';
  sudo: boolean;
  command: (environment: Environment) => string;
}

/** The unit names the profile's service words give (nova, neutron, cinder, keystone, ...), once each. */
function profileUnits(environment: Environment): string[] {
  const units = new Set<string>();
  for (const [word, text] of Object.entries(environment.profile.words)) if (word.startsWith('svc_')) units.add(text);
  return [...units].sort();
}

const STANDARD_PROBES: Record<string, StandardProbe> = {
  nova_services: {
    title: 'nova services',
    kind: 'nova-services',
    on: 'controller',
    sudo: false,
    command: () => '{{ env.openstack }} compute service list --long -f json',
  },
  hypervisors: {
    title: 'hypervisors',
    kind: 'hypervisors',
    on: 'controller',
    sudo: false,
    command: () => '{{ env.openstack }} hypervisor list -f json',
  },
  instances: {
    title: 'instances per host',
    kind: 'instances',
    on: 'controller',
    sudo: false,
    // One call for every server: `server list --long -f json` names each one's host ("Host"; with
    // -f json the key is the column's own, so "Host Status" does not get in the way as it does with
    // -c Host). Listing per hypervisor took one client call per host plus one: on the real lab's
    // loaded controller 20–100 s each, so the probe outran its timeout (docs/state-snapshots.md).
    command: () => '{{ env.openstack }} server list --all-projects --long -f json',
  },
  rabbitmq_queues: {
    title: 'RabbitMQ queues',
    kind: 'rabbitmq-queues',
    on: 'mq',
    sudo: true,
    command: () => '{{ env.rabbitmqctl }} list_queues name messages consumers',
  },
  db_cluster: {
    title: 'database cluster',
    kind: 'db-cluster',
    on: 'db',
    sudo: true,
    command: () => `{{ env.mysql }} -e "SHOW GLOBAL STATUS LIKE 'wsrep_%'"`,
  },
  units: {
    title: 'unit states',
    kind: 'units',
    on: 'touched',
    sudo: false,
    command: (environment) =>
      [
        'have=$({{ env.service_list }} 2>/dev/null) || have=',
        `for u in ${profileUnits(environment).map(shellQuote).join(' ')}; do`,
        '  case "',
        '$have',
        '" in *"',
        '$u',
        '"*) printf \'%s %s\\n\' "$u" "$({{ env.service_is_active }} "$u" 2>/dev/null | head -n 1)" ;; esac',
        'done',
      ].join('\n'),
  },
};

function firstWithRole(environment: Environment, role: string): HostSpec | undefined {
  return environment.hosts.find((host) => host.roles.includes(role)) ?? environment.hosts.find((host) => host.roles.includes('controller'));
}

/**
 * The probes of a run's snapshots: the profile's standard ones (where their role exists) and the
 * runbook's own. `touched` are the hosts the run will run commands on.
 */
export function planProbes(environment: Environment, runbook: Runbook, touched: string[]): PlannedProbe[] {
  const planned: PlannedProbe[] = [];
  const ids = environment.profile.probes ?? Object.keys(STANDARD_PROBES);
  for (const id of ids) {
    const probe = STANDARD_PROBES[id];
    if (!probe) continue;
    const hosts =
      probe.on === 'touched'
        ? environment.hosts.filter((host) => touched.includes(host.name))
        : [firstWithRole(environment, probe.on)].filter((host): host is HostSpec => host !== undefined);
    for (const host of hosts) planned.push({ id, title: probe.title, kind: probe.kind, host, command: probe.command(environment), sudo: probe.sudo });
  }
  for (const probe of runbook.probes ?? []) {
    let hosts: HostSpec[];
    try {
      hosts = resolveTargets(probe.on, environment);
    } catch {
      hosts = [];
    }
    for (const host of hosts) planned.push({ id: probe.id, title: probe.title, kind: 'text', host, command: probe.run, sudo: false });
  }
  return planned;
}

export interface TakeSnapshotOptions {
  label: string;
  step?: string;
  environment: Environment;
  probes: PlannedProbe[];
  ssh: SshConnector;
  masker: OutputMasker;
  signal?: AbortSignal;
}

/** Runs every probe (a few at a time) and returns the snapshot record; never throws for a probe. */
export async function takeSnapshot(options: TakeSnapshotOptions): Promise<RunSnapshotEvent> {
  const started = Date.now();
  const scope = { env: environmentScope(options.environment), params: {}, captures: {}, run: {}, locals: {} };
  const results = await mapWithLimit(options.probes, SNAPSHOT_LIMITS.concurrency, async (probe): Promise<SnapshotProbeResult> => {
    const probeStarted = Date.now();
    const base = { id: probe.id, title: probe.title, kind: probe.kind, host: probe.host.name };
    let command: string;
    try {
      command = renderTemplate(probe.command, scope, 'shell');
    } catch (error) {
      return { ...base, command: probe.command, exitCode: null, stdout: '', stderr: '', error: userMessageOf(error), durationMs: 0 };
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = { stdout: 0, stderr: 0 };
    const keep = (stream: 'stdout' | 'stderr', target: Buffer[]) => (chunk: Buffer) => {
      if (size[stream] < SNAPSHOT_LIMITS.maxOutputChars) target.push(chunk);
      size = { ...size, [stream]: size[stream] + chunk.length };
    };
    try {
      const result = await options.ssh.exec(probe.host, command, {
        timeoutMs: SNAPSHOT_LIMITS.probeTimeoutMs,
        sudo: probe.sudo,
        onStdout: keep('stdout', stdout),
        onStderr: keep('stderr', stderr),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const text = (chunks: Buffer[]) => options.masker.mask(Buffer.concat(chunks).toString('utf8').slice(0, SNAPSHOT_LIMITS.maxOutputChars));
      const truncated = size.stdout > SNAPSHOT_LIMITS.maxOutputChars || size.stderr > SNAPSHOT_LIMITS.maxOutputChars;
      return {
        ...base,
        command: options.masker.mask(command),
        exitCode: result.exitCode,
        stdout: text(stdout),
        stderr: text(stderr),
        ...(truncated ? { truncated } : {}),
        ...(result.timedOut ? { error: `timed out after ${Math.round(SNAPSHOT_LIMITS.probeTimeoutMs / 1000)} s` } : {}),
        durationMs: Date.now() - probeStarted,
      };
    } catch (error) {
      return {
        ...base,
        command: options.masker.mask(command),
        exitCode: null,
        stdout: '',
        stderr: '',
        error: options.masker.mask(userMessageOf(error)),
        durationMs: Date.now() - probeStarted,
      };
    }
  });
  return { type: 'run.snapshot', label: options.label, ...(options.step ? { step: options.step } : {}), durationMs: Date.now() - started, probes: results };
}
