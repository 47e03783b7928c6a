/**
 * Which inventory groups give which OpsDeck roles, and which deployment profile an inventory implies.
 * Kolla's and TripleO's group names are known; an operator's mapping (a file, or `--map` flags) adds
 * to them or replaces them group by group.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { OpsError } from '../../errors';
import type { InventoryKind } from './types';

/** Group name → the roles its hosts get (an empty list: the group gives no role). */
export type RoleMapping = Record<string, string[]>;

/** kolla-ansible's multinode groups, and the service groups that say where the database and broker run. */
export const KOLLA_ROLES: RoleMapping = {
  control: ['controller'],
  network: ['network'],
  compute: ['compute'],
  storage: ['storage'],
  monitoring: ['monitoring'],
  mariadb: ['db'],
  rabbitmq: ['mq'],
};

/** TripleO's role groups (tripleo_role_name) and the service groups of the database and the broker. */
export const TRIPLEO_ROLES: RoleMapping = {
  Controller: ['controller'],
  ControllerOpenstack: ['controller'],
  Novacontrol: ['controller'],
  Compute: ['compute'],
  ComputeHCI: ['compute', 'storage'],
  CephStorage: ['storage'],
  BlockStorage: ['storage'],
  ObjectStorage: ['storage'],
  Networker: ['network'],
  Database: ['db'],
  Messaging: ['mq'],
  mysql: ['db'],
  oslo_messaging_rpc: ['mq'],
};

/** The bundled profile each kind of inventory implies, and why (shown in the preview). */
export function profileFor(kind: InventoryKind, containerCli?: string): { profile: string; reason: string } {
  switch (kind) {
    case 'kolla':
      return { profile: 'kolla', reason: "the inventory has the groups of kolla-ansible's multinode inventory (control, network, compute, storage, monitoring)" };
    case 'tripleo':
      if (containerCli === 'docker') return { profile: 'tripleo-docker', reason: 'the inventory was written by tripleo-ansible-inventory and says container_cli: docker' };
      return { profile: 'tripleo-podman', reason: 'the inventory was written by tripleo-ansible-inventory (groups with tripleo_role_name)' };
    default:
      return { profile: 'systemd', reason: 'nothing in the file says Kolla or TripleO, so services are assumed to be packages under systemd: check it' };
  }
}

/**
 * Roles guessed from a group name when no mapping knows it (`controllers`, `compute_nodes`...).
 * Every use is reported as a guess.
 */
export function guessRoles(group: string): string[] {
  const name = group.toLowerCase();
  const roles: string[] = [];
  if (/control/.test(name)) roles.push('controller');
  if (/comput|hypervisor/.test(name)) roles.push('compute');
  if (/network|neutron/.test(name)) roles.push('network');
  if (/storage|ceph|cinder/.test(name)) roles.push('storage');
  if (/^(db|dbs|database|databases|mariadb|mysql|galera)$/.test(name)) roles.push('db');
  if (/^(mq|rabbit|rabbitmq|messaging)$/.test(name)) roles.push('mq');
  return roles;
}

/**
 * Reads an operator's mapping file:
 *
 *   profile: kolla            # optional: the profile to use whatever the inventory looks like
 *   roles:
 *     control: [controller, db, mq]
 *     hypervisors: compute
 *     deployment: []          # this group gives no role
 */
export function readMappingFile(file: string): { roles: RoleMapping; profile?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new OpsError('import-unreadable', `The mapping file ${file} cannot be read: ${(error as Error).message}.`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new OpsError('import-bad-mapping', `The mapping file ${file} is not YAML: ${(error as Error).message}`);
  }
  const root = (value ?? {}) as Record<string, unknown>;
  if (typeof root !== 'object' || Array.isArray(root))
    throw new OpsError('import-bad-mapping', `The mapping file ${file} must be a mapping with roles: (group: [roles]) and optionally profile:.`);
  for (const key of Object.keys(root)) {
    if (key !== 'roles' && key !== 'profile') throw new OpsError('import-bad-mapping', `The mapping file ${file} has "${key}:"; it takes roles: and profile:.`);
  }
  const roles: RoleMapping = {};
  const rolesValue = (root.roles ?? {}) as Record<string, unknown>;
  for (const [group, given] of Object.entries(rolesValue)) {
    const list = typeof given === 'string' ? [given] : given === null ? [] : given;
    if (!Array.isArray(list) || list.some((role) => typeof role !== 'string')) {
      throw new OpsError('import-bad-mapping', `The mapping file ${file}: roles.${group} must be a role or a list of roles, e.g. [controller, db].`);
    }
    roles[group] = list as string[];
  }
  return { roles, ...(typeof root.profile === 'string' ? { profile: root.profile } : {}) };
}

/** `--map group=role[,role]` flags (an empty right side: the group gives no role). */
export function parseMapFlags(flags: string[]): RoleMapping {
  const roles: RoleMapping = {};
  for (const flag of flags) {
    const equals = flag.indexOf('=');
    if (equals <= 0) throw new OpsError('import-bad-mapping', `--map ${flag}: write it as GROUP=ROLE[,ROLE], e.g. --map hypervisors=compute.`);
    roles[flag.slice(0, equals)] = flag
      .slice(equals + 1)
      .split(',')
      .map((role) => role.trim())
      .filter(Boolean);
  }
  return roles;
}
