/**
 * Discovery from the cloud itself: through one controller of a known environment, asks nova, neutron
 * and cinder which hosts run their services (`openstack compute service list`, `network agent list`,
 * `volume service list`, each as JSON), and proposes those hosts with the roles their services imply.
 * A proposed host stays "discovered" until OpsDeck has reached it over SSH with a host key that
 * known_hosts already holds; discovery never accepts a host key.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { OpsError, userMessageOf } from '../../errors';
import type { SshConnector } from '../../ssh/types';
import type { Environment, HostSpec } from '../model';
import type { ImportedHost, ImportNote, ImportResult } from './types';

/** One service (or agent) a cloud reports, reduced to what discovery needs. */
export interface ReportedService {
  /** nova, neutron or cinder. */
  project: 'nova' | 'neutron' | 'cinder';
  binary: string;
  host: string;
  /** Enabled and up (neutron: alive and admin state up). */
  healthy: boolean;
}

/** The OpenStack calls discovery makes, with the project whose hosts each one reports. */
export const DISCOVERY_CALLS = [
  { project: 'nova', args: 'compute service list -f json' },
  { project: 'neutron', args: 'network agent list -f json' },
  { project: 'cinder', args: 'volume service list -f json' },
] as const;

/**
 * Per call. One `openstack` call took 99 s on the real lab's controller at a load average of 18 (a
 * new client process and a keystone token each time): 60 s failed discovery on a busy controller.
 */
export const DISCOVERY_TIMEOUT_MS = 240_000;

/** What each call lists, in the operator's words. */
const DISCOVERY_TITLES: Record<ReportedService['project'], string> = {
  nova: 'compute service list',
  neutron: 'network agent list',
  cinder: 'volume service list',
};

/**
 * A service the cloud does not have, from the client's error: the catalog has no endpoint of its
 * type. The real lab (no cinder) answers `volume service list` with "public endpoint for volumev3
 * service in RegionOne region not found" on stderr, exit 1 (test/fixtures/openstack-cli/real-lab/).
 */
export function notPresent(project: ReportedService['project'], stderr: string): string | undefined {
  const match = /(?:public|internal|admin) endpoint for (\S+) service(?: in (\S+) region)? not found/.exec(stderr);
  if (!match) return undefined;
  return `${project}: ${DISCOVERY_TITLES[project]}: not present (the cloud's catalog has no ${match[1]} endpoint${match[2] ? ` in ${match[2]}` : ''}); no host proposed from it.`;
}

/** The role a service's host gets; services found on every kind of node (OVS agents) give none. */
export function roleOfService(service: ReportedService): string | undefined {
  const binary = service.binary;
  if (binary === 'nova-compute') return 'compute';
  if (/^nova-(scheduler|conductor|api|consoleauth|novncproxy|spicehtml5proxy|serialproxy)$/.test(binary)) return 'controller';
  if (/^cinder-(volume|backup)$/.test(binary)) return 'storage';
  if (/^cinder-(scheduler|api)$/.test(binary)) return 'controller';
  if (/^neutron-(l3-agent|dhcp-agent|metadata-agent)$/.test(binary)) return 'network';
  if (binary === 'ovn-controller-gateway') return 'network';
  return undefined;
}

/**
 * Parses the JSON `-f json` output of the three list commands (python-openstackclient's column names
 * as keys). Cinder reports `host@backend`, which is the host `host`.
 */
export function parseServiceList(project: ReportedService['project'], json: string): ReportedService[] {
  let rows: unknown;
  try {
    rows = JSON.parse(json);
  } catch {
    throw new OpsError('discovery-bad-output', `The ${project} service list was not JSON (is the openstack client too old for -f json?): ${json.slice(0, 200)}`);
  }
  if (!Array.isArray(rows)) throw new OpsError('discovery-bad-output', `The ${project} service list was not a JSON list.`);
  return rows.map((row: Record<string, string | number | boolean | null | undefined>) => {
    const host = String(row.Host ?? '').split('@')[0];
    if (project === 'neutron') {
      // OSC prints Alive and State as true/false in -f json (":-)"/"UP" only in tables).
      const agentType = String(row['Agent Type'] ?? '');
      const binary = agentType === 'OVN Controller Gateway agent' ? 'ovn-controller-gateway' : String(row.Binary ?? '');
      return { project, binary, host, healthy: row.Alive === true && row.State === true };
    }
    return { project, binary: String(row.Binary ?? ''), host, healthy: row.Status === 'enabled' && row.State === 'up' };
  });
}

export interface DiscoveryOptions {
  environment: Environment;
  /** The host to ask through (default: the first controller of the environment). */
  via?: string;
  ssh: SshConnector;
  /** Run the openstack client with sudo (where its credentials are root's). */
  sudo?: boolean;
  /** Per call; default {@link DISCOVERY_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** Asks the cloud for its hosts and proposes an environment: the known hosts, plus those the cloud reports. */
export async function discoverFromCloud(options: DiscoveryOptions): Promise<ImportResult> {
  const { environment, ssh } = options;
  const via = options.via ? environment.hosts.find((host) => host.name === options.via) : environment.hosts.find((host) => host.roles.includes('controller'));
  if (!via) {
    throw new OpsError(
      'discovery-no-controller',
      options.via
        ? `${options.via} is not a host of ${environment.file}; name one of: ${environment.hosts.map((host) => host.name).join(', ')}.`
        : `${environment.file} has no host with the role controller to ask the cloud through; name one with --via HOST.`,
    );
  }
  const openstack = environment.profile.words.openstack ?? 'openstack';
  const guesses: ImportNote[] = [];
  const warnings: ImportNote[] = [];
  const services: ReportedService[] = [];
  for (const call of DISCOVERY_CALLS) {
    const output = await run(ssh, via, `${openstack} ${call.args}`, options);
    if (output.exitCode !== 0) {
      // Where neutron or cinder is not deployed (or the client lacks the command) discovery goes on without it.
      const reason = (output.stderr.trim().split('\n').pop() ?? '').slice(0, 300) || `exit ${output.exitCode}`;
      if (call.project === 'nova') throw new OpsError('discovery-failed', `openstack ${call.args} on ${via.name} failed: ${reason}`);
      warnings.push({
        message: notPresent(call.project, output.stderr) ?? `${call.project}: openstack ${call.args} on ${via.name} did not answer (${reason}); its hosts are not proposed.`,
      });
      continue;
    }
    const reported = parseServiceList(call.project, output.stdout);
    if (reported.length === 0) warnings.push({ message: `${call.project}: ${DISCOVERY_TITLES[call.project]}: answered, with nothing listed; no host proposed from it.` });
    services.push(...reported);
  }

  const hosts: ImportedHost[] = environment.hosts.map((host) => fromSpec(host));
  const withSecrets = environment.hosts.filter((host) => host.passphrase || host.password || host.agent).map((host) => host.name);
  if (withSecrets.length > 0) {
    warnings.push({
      message: `${withSecrets.join(', ')}: passphrase, password and agent settings of ${path.basename(environment.file)} are not carried over; add them back ({ env: VARIABLE } or { file: PATH }) before saving over it.`,
    });
  }
  const specs = new Map<string, HostSpec>(environment.hosts.map((host) => [host.name, host]));
  const reported = new Map<string, ReportedService[]>();
  for (const service of services) {
    if (!service.host) continue;
    const known = matchHost(environment.hosts, service.host);
    const name = known?.name ?? service.host;
    reported.set(name, [...(reported.get(name) ?? []), service]);
  }
  for (const [name, list] of reported) {
    const roles = [...new Set(list.map(roleOfService).filter((role): role is string => role !== undefined))];
    const serviceNames = [...new Set(list.map((service) => service.binary))];
    let host = hosts.find((candidate) => candidate.name === name);
    if (!host) {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
        warnings.push({ message: `The cloud reports services on "${name}", which is not a usable host name: left out.` });
        continue;
      }
      host = {
        name,
        address: name,
        user: via.user,
        ...(via.keyFile ? { key: via.keyFile } : {}),
        ...(via.jump ? { jump: via.jump } : {}),
        roles: [],
        groups: [],
        state: 'discovered',
      };
      hosts.push(host);
      specs.set(name, { name, address: name, port: 22, user: via.user, keyFile: via.keyFile, agent: via.agent, passphrase: via.passphrase, jump: via.jump, roles: [] });
      guesses.push({
        message: `${name}: reported by ${[...new Set(list.map((service) => service.project))].join(', ')} and not in ${path.basename(environment.file)}; its address is its name and its user and key are ${via.name}'s.`,
      });
    }
    const added = roles.filter((role) => !host.roles.includes(role));
    if (added.length > 0 && host.state === 'inventory')
      guesses.push({ message: `${name}: role${added.length > 1 ? 's' : ''} ${added.join(', ')} added from the services the cloud reports there (${serviceNames.join(', ')}).` });
    host.roles = [...host.roles, ...added];
    host.groups = serviceNames;
    host.state = 'discovered';
    const unhealthy = list.filter((service) => !service.healthy).map((service) => service.binary);
    if (unhealthy.length > 0) warnings.push({ message: `${name}: ${unhealthy.join(', ')} reported disabled or down.` });
  }
  for (const host of hosts) {
    if (host.state !== 'discovered') continue;
    const spec = specs.get(host.name)!;
    try {
      await ssh.check(spec);
      host.state = 'reachable';
    } catch (error) {
      host.reachability = userMessageOf(error);
    }
  }
  for (const host of hosts) {
    if (host.state === 'inventory' && !reported.has(host.name) && host.roles.some((role) => role === 'compute')) {
      warnings.push({ message: `${host.name} has the role compute in ${path.basename(environment.file)}, but nova reports no nova-compute there.` });
    }
  }
  return {
    name: environment.name,
    format: 'discovery',
    kind: 'openstack',
    sourceFile: environment.file,
    profile: rawProfile(environment.file) ?? environment.profile.id,
    profileReason: `kept from ${path.basename(environment.file)}`,
    hosts,
    guesses,
    warnings,
    knownHosts: environment.knownHostsFile,
    lab: environment.lab,
  };
}

async function run(ssh: SshConnector, host: HostSpec, command: string, options: DiscoveryOptions): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const result = await ssh.exec(host, command, {
    timeoutMs: options.timeoutMs ?? DISCOVERY_TIMEOUT_MS,
    sudo: options.sudo ?? false,
    onStdout: (chunk) => stdout.push(chunk),
    onStderr: (chunk) => stderr.push(chunk),
  });
  if (result.timedOut) throw new OpsError('discovery-timeout', `${command} on ${host.name} did not finish in ${Math.round((options.timeoutMs ?? DISCOVERY_TIMEOUT_MS) / 1000)} s.`);
  return { exitCode: result.exitCode, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
}

/** The environment host a reported name is: by name, by short name (nova may report FQDNs), or by address. */
function matchHost(hosts: HostSpec[], reported: string): HostSpec | undefined {
  const short = reported.split('.')[0];
  return hosts.find((host) => host.name === reported) ?? hosts.find((host) => host.name === short) ?? hosts.find((host) => host.address === reported);
}

function fromSpec(host: HostSpec): ImportedHost {
  return {
    name: host.name,
    address: host.address,
    ...(host.port !== 22 ? { port: host.port } : {}),
    user: host.user,
    ...(host.keyFile ? { key: host.keyFile } : {}),
    ...(host.jump ? { jump: host.jump } : {}),
    roles: [...host.roles],
    groups: [],
    ...(host.source ? { source: { file: host.source.file, line: host.source.line } } : {}),
    state: 'inventory',
  };
}

/** The environment file's own `profile:` (an id, or a path made absolute so the new file finds it too). */
function rawProfile(file: string): string | undefined {
  try {
    const value = (parseYaml(readFileSync(file, 'utf8')) as { profile?: unknown }).profile;
    if (typeof value !== 'string') return undefined;
    return value.includes('/') ? path.resolve(path.dirname(file), value) : value;
  } catch {
    return undefined;
  }
}
