/**
 * Turns an inventory operators already have (OpenSSH config, Ansible INI or YAML, Kolla, TripleO)
 * into a proposed environment: hosts, roles, profile, and a word on everything guessed. Nothing is
 * written here; ./write.ts renders and saves what the operator accepted.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OpsError } from '../../errors';
import { effectiveVars, groupsOf, hostsInGroup, hostsOf, readAnsibleInventory, type AnsibleInventory } from './ansible';
import { guessRoles, KOLLA_ROLES, profileFor, TRIPLEO_ROLES, type RoleMapping } from './mapping';
import { parseProxyJump, readSshConfig, type JumpHop } from './ssh-config';
import type { ImportedHost, ImportNote, ImportResult, InventoryKind } from './types';

export interface ImportOptions {
  /** `auto` tells ssh_config from Ansible by the file's content. */
  from?: 'auto' | 'ssh-config' | 'ansible';
  /** The environment's name (default: the file's name without extension). */
  name?: string;
  /** Use this profile whatever the file looks like. */
  profile?: string;
  /** Group → roles, over the known Kolla/TripleO groups (an empty list: no role). */
  roles?: RoleMapping;
  /** The user of hosts the inventory gives none (default: the local user, as ssh would). */
  defaultUser?: string;
  /** Where `~` points (tests). */
  home?: string;
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Reads `file` and proposes an environment from it. */
export function importInventory(file: string, options: ImportOptions = {}): ImportResult {
  const from = options.from && options.from !== 'auto' ? options.from : detectFormat(file);
  return from === 'ssh-config' ? fromSshConfig(file, options) : fromAnsible(file, options);
}

/** ssh_config files start with OpenSSH keywords; anything else is read as an Ansible inventory. */
function detectFormat(file: string): 'ssh-config' | 'ansible' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new OpsError('import-unreadable', `${file} cannot be read: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : (error as Error).message}.`);
  }
  if (text.includes('\0')) throw new OpsError('import-unknown-format', `${file} is not a text file: import reads an OpenSSH config or an Ansible inventory (INI or YAML).`);
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    return /^(host|match|include|hostname|user|port|identityfile|proxyjump)(\s|=)/i.test(line) ? 'ssh-config' : 'ansible';
  }
  throw new OpsError('import-unknown-format', `${file} is empty (or only comments): there is nothing to import.`);
}

// ---- ssh_config --------------------------------------------------------------------------------

function fromSshConfig(file: string, options: ImportOptions): ImportResult {
  const home = options.home ?? os.homedir();
  const config = readSshConfig(file, { home });
  const guesses: ImportNote[] = [];
  const warnings: ImportNote[] = [...config.warnings];
  const localUser = options.defaultUser ?? os.userInfo().username;
  const hosts: ImportedHost[] = [];
  const pendingJumps: PendingJumps = new Map();
  for (const entry of config.hosts) {
    if (!HOST_NAME.test(entry.alias)) {
      warnings.push({ message: `Host "${entry.alias}" is not a usable host name (letters, digits, dot, dash, underscore): left out.`, source: entry.source });
      continue;
    }
    const roles = options.roles?.[entry.alias] ?? guessRoles(entry.alias);
    if (!options.roles?.[entry.alias] && roles.length > 0) guesses.push({ message: `${entry.alias}: roles ${roles.join(', ')} guessed from the name.`, source: entry.source });
    if (!entry.user) guesses.push({ message: `${entry.alias}: no User, so ${localUser} (the local user, as ssh would).`, source: entry.source });
    const key = entry.identityFiles[0];
    hosts.push({
      name: entry.alias,
      address: entry.hostname,
      ...(entry.port && entry.port !== 22 ? { port: entry.port } : {}),
      user: entry.user ?? localUser,
      ...(key ? { key: expandIdentity(key, entry.alias, entry.hostname, entry.user ?? localUser) } : {}),
      roles,
      groups: [],
      source: entry.source,
      state: 'inventory',
    });
    if (entry.proxyJump) pendingJumps.set(entry.alias, { value: entry.proxyJump, source: entry.source });
  }
  resolveJumps(pendingJumps, hosts, localUser, guesses, warnings);
  const profile = options.profile ? { profile: options.profile, reason: 'given with --profile' } : profileFor('ssh-config');
  noRoles(hosts, warnings);
  return {
    name: options.name ?? nameOf(file),
    format: 'ssh-config',
    kind: 'ssh-config',
    sourceFile: path.resolve(file),
    profile: profile.profile,
    profileReason: profile.reason,
    hosts,
    guesses,
    warnings,
  };
}

/** IdentityFile tokens as ssh expands them: %d home, %h host name, %r user, %% a percent sign. */
function expandIdentity(file: string, alias: string, hostname: string, user: string): string {
  return file.replace(/%([%dhr])/g, (_, token: string) => (token === '%' ? '%' : token === 'd' ? '~' : token === 'h' ? hostname : user));
}

/** ProxyJump values, resolved once every host is known (a jump host may come later in the file). */
type PendingJumps = Map<string, { value: string; source?: ImportedHost['source'] }>;

/**
 * A ProxyJump names another imported host (by name, or by address and port) or an address; an
 * address that is no host becomes a host of its own (`jump-<address>`), said as a guess.
 */
function resolveJumps(pendingJumps: PendingJumps, hosts: ImportedHost[], defaultUser: string, guesses: ImportNote[], warnings: ImportNote[]): void {
  for (const [name, { value, source }] of pendingJumps) {
    const host = hosts.find((candidate) => candidate.name === name);
    if (!host) continue;
    const hops = parseProxyJump(value);
    let previous: string | undefined;
    for (const hop of hops) {
      const jumpName = jumpHost(hosts, hop, defaultUser, guesses, source);
      const jumpHostSpec = hosts.find((candidate) => candidate.name === jumpName);
      if (jumpHostSpec && previous && !jumpHostSpec.jump) jumpHostSpec.jump = previous;
      else if (jumpHostSpec && previous && jumpHostSpec.jump !== previous) {
        warnings.push({ message: `${name}: the jump chain ${value} goes through ${jumpName}, which already jumps through ${jumpHostSpec.jump}; check it.`, source });
      }
      previous = jumpName;
    }
    if (previous && previous !== name) host.jump = previous;
  }
}

function jumpHost(hosts: ImportedHost[], hop: JumpHop, defaultUser: string, guesses: ImportNote[], source?: ImportedHost['source']): string {
  const byName = hosts.find((candidate) => candidate.name === hop.host);
  if (byName) return byName.name;
  const byAddress = hosts.find((candidate) => candidate.address === hop.host && (candidate.port ?? 22) === (hop.port ?? 22));
  if (byAddress) return byAddress.name;
  const name = `jump-${hop.host.replace(/[^A-Za-z0-9_.-]/g, '-')}`;
  if (!hosts.some((candidate) => candidate.name === name)) {
    hosts.push({
      name,
      address: hop.host,
      ...(hop.port ? { port: hop.port } : {}),
      user: hop.user ?? defaultUser,
      roles: [],
      groups: [],
      ...(source ? { source } : {}),
      state: 'inventory',
    });
    guesses.push({
      message: `${name}: a jump host added for the ProxyJump to ${hop.user ? `${hop.user}@` : ''}${hop.host}${hop.port ? `:${hop.port}` : ''}, which is no host of the inventory.`,
      ...(source ? { source } : {}),
    });
  }
  return name;
}

// ---- Ansible -----------------------------------------------------------------------------------

function fromAnsible(file: string, options: ImportOptions): ImportResult {
  let inventory: AnsibleInventory;
  try {
    inventory = readAnsibleInventory(file);
  } catch (error) {
    // A file with no [group] header that fails as INI may be no inventory at all: say what import reads.
    if (error instanceof OpsError && error.code === 'import-bad-inventory' && !/^\s*\[/m.test(readFileSync(file, 'utf8'))) {
      throw new OpsError(
        'import-unknown-format',
        `${error.userMessage} Is this an inventory? Import reads an OpenSSH config or an Ansible inventory (INI or YAML); say which with --from if it guessed wrong.`,
      );
    }
    throw error;
  }
  const kind = kindOf(inventory);
  const guesses: ImportNote[] = [];
  const warnings: ImportNote[] = [...inventory.warnings];
  const known: RoleMapping = kind === 'kolla' ? KOLLA_ROLES : kind === 'tripleo' ? TRIPLEO_ROLES : {};
  const mapping: RoleMapping = { ...known, ...(options.roles ?? {}) };
  const defaultUser = options.defaultUser ?? os.userInfo().username;

  // The roles each group gives: the mapping's, else (generic inventories) a guess from its name.
  const groupRoles = new Map<string, string[]>();
  for (const group of inventory.groups.values()) {
    if (group.name === 'all' || group.name === 'ungrouped') continue;
    if (mapping[group.name]) {
      groupRoles.set(group.name, mapping[group.name]);
    } else if (kind === 'ansible') {
      const guessed = guessRoles(group.name);
      if (guessed.length > 0) {
        groupRoles.set(group.name, guessed);
        guesses.push({
          message: `group ${group.name}: role${guessed.length > 1 ? 's' : ''} ${guessed.join(', ')} guessed from its name (map it with --map ${group.name}=ROLE if that is wrong).`,
          ...(group.source ? { source: group.source } : {}),
        });
      }
    } else if (kind === 'tripleo' && group.vars.tripleo_role_name !== undefined) {
      const guessed = guessRoles(group.name);
      groupRoles.set(group.name, guessed);
      const text = guessed.length > 0 ? `roles ${guessed.join(', ')} guessed from its name` : 'no role known for it';
      guesses.push({ message: `TripleO role ${group.name}: ${text} (map it with --map ${group.name}=ROLE).`, ...(group.source ? { source: group.source } : {}) });
    }
  }
  for (const [name, roles] of groupRoles) {
    if (roles.length === 0) continue;
    if (hostsInGroup(inventory, name).length === 0) {
      const group = inventory.groups.get(name);
      warnings.push({
        message: `group ${name} has no hosts, so no host gets the role${roles.length > 1 ? 's' : ''} ${roles.join(', ')}.`,
        ...(group?.source ? { source: group.source } : {}),
      });
    }
  }
  for (const group of inventory.groups.values()) {
    if (groupRoles.has(group.name) || group.name === 'all' || group.name === 'ungrouped') continue;
    if (group.hosts.length === 0 && group.children.length === 0 && kind === 'ansible') {
      warnings.push({ message: `group ${group.name} has no hosts.`, ...(group.source ? { source: group.source } : {}) });
    }
  }

  const hosts: ImportedHost[] = [];
  const pendingJumps: PendingJumps = new Map();
  const tripleoRoleGroups = [...inventory.groups.values()].filter((group) => group.vars.tripleo_role_name !== undefined);
  for (const name of hostsOf(inventory)) {
    const source = inventory.hostSources.get(name);
    const vars = effectiveVars(inventory, name);
    if (vars.ansible_connection === 'local' || name === 'localhost') {
      guesses.push({ message: `${name} is left out: Ansible runs it locally (ansible_connection=local), it is not a cloud host.`, ...(source ? { source } : {}) });
      continue;
    }
    if (!HOST_NAME.test(name)) {
      warnings.push({ message: `"${name}" is not a usable host name (letters, digits, dot, dash, underscore): left out.`, ...(source ? { source } : {}) });
      continue;
    }
    if (kind === 'tripleo') {
      const roleGroups = tripleoRoleGroups.filter((group) => group.hosts.includes(name));
      if (roleGroups.length > 1) {
        const where = roleGroups.map((group) => `${group.name}${group.source?.line ? ` (line ${group.source.line})` : ''}`).join(' and ');
        throw new OpsError(
          'import-host-two-roles',
          `${file}: ${name} is in two TripleO roles, ${where}; a TripleO node has exactly one role. Fix the inventory, or regenerate it with tripleo-ansible-inventory.`,
        );
      }
    }
    const groups = groupsOf(inventory, name).filter((group) => group !== 'all');
    const roles = [...new Set(groups.flatMap((group) => groupRoles.get(group) ?? []))];
    const address = text(vars.ansible_host) ?? text(vars.ansible_ssh_host);
    if (!address) guesses.push({ message: `${name}: no ansible_host, so the address is the name itself (it must resolve from this machine).`, ...(source ? { source } : {}) });
    const user = text(vars.ansible_user) ?? text(vars.ansible_ssh_user);
    const portValue = vars.ansible_port ?? vars.ansible_ssh_port;
    const port = portValue === undefined ? undefined : Number(portValue);
    if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
      throw new OpsError(
        'import-bad-inventory',
        `${source ? `${source.file}:${source.line}` : file}: ${name} has ansible_port ${JSON.stringify(portValue)}, which is not a port number.`,
      );
    }
    const key = text(vars.ansible_ssh_private_key_file) ?? text(vars.ansible_private_key_file);
    for (const secret of ['ansible_ssh_pass', 'ansible_password', 'ansible_become_pass', 'ansible_become_password']) {
      if (vars[secret] !== undefined)
        warnings.push({
          message: `${name}: ${secret} is set in the inventory and is not imported (secrets never go into the file as text); give it as { env: VARIABLE } or { file: PATH } if needed.`,
          ...(source ? { source } : {}),
        });
    }
    const common = text(vars.ansible_ssh_common_args) ?? '';
    const jump = proxyJumpOf(common);
    if (/ProxyCommand/i.test(common))
      warnings.push({
        message: `${name}: ansible_ssh_common_args uses ProxyCommand, which OpsDeck does not run; set jump: to the bastion host by hand.`,
        ...(source ? { source } : {}),
      });
    if (jump) pendingJumps.set(name, { value: jump, ...(source ? { source } : {}) });
    hosts.push({
      name,
      address: address ?? name,
      ...(port && port !== 22 ? { port } : {}),
      user: user ?? defaultUser,
      ...(key ? { key } : {}),
      roles,
      groups,
      ...(source ? { source } : {}),
      state: 'inventory',
    });
    if (!user)
      guesses.push({ message: `${name}: no ansible_user, so ${defaultUser} (give another user on import: --user, or the console's User field).`, ...(source ? { source } : {}) });
  }
  if (hosts.length === 0) throw new OpsError('import-no-hosts', `${file} names no host to import (only local or unusable ones).`);
  resolveJumps(pendingJumps, hosts, defaultUser, guesses, warnings);
  noRoles(hosts, warnings);

  const containerCli = text(inventory.groups.get('overcloud')?.vars.container_cli);
  const profile = options.profile ? { profile: options.profile, reason: 'given by the operator' } : profileFor(kind, containerCli);
  return {
    name: options.name ?? nameOf(file),
    format: inventory.format,
    kind,
    sourceFile: path.resolve(file),
    profile: profile.profile,
    profileReason: profile.reason,
    hosts,
    guesses,
    warnings,
  };
}

/** What wrote the inventory: TripleO's generator, kolla-ansible's multinode, or someone else. */
export function kindOf(inventory: AnsibleInventory): InventoryKind {
  const groups = inventory.groups;
  if ([...groups.values()].some((group) => group.vars.tripleo_role_name !== undefined) || (groups.has('overcloud') && groups.has('allovercloud'))) return 'tripleo';
  const kollaGroups = ['control', 'network', 'compute', 'storage', 'monitoring'];
  if (kollaGroups.every((name) => groups.has(name)) && (groups.has('baremetal') || groups.has('deployment') || groups.has('common'))) return 'kolla';
  return 'ansible';
}

/** `-o ProxyJump=X`, `-o "ProxyJump X"` or `-J X` in ansible_ssh_common_args. */
function proxyJumpOf(args: string): string | undefined {
  const option = /(?:^|\s)-o\s*["']?ProxyJump[=\s]+([^\s"']+)/i.exec(args);
  if (option) return option[1];
  const flag = /(?:^|\s)-J\s*([^\s"']+)/.exec(args);
  return flag?.[1];
}

function noRoles(hosts: ImportedHost[], warnings: ImportNote[]): void {
  const without = hosts.filter((host) => host.roles.length === 0 && !host.name.startsWith('jump-'));
  if (without.length > 0 && without.length === hosts.length) {
    warnings.push({ message: 'No host has a role: runbooks choose hosts by role (controller, compute, ...). Give roles with a mapping (--map GROUP=ROLE) or edit the file.' });
  }
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function nameOf(file: string): string {
  const base = path.basename(file).replace(/\.(ya?ml|ini|cfg|conf)$/i, '');
  return base === 'config' || base === 'hosts' || base === 'inventory' ? path.basename(path.dirname(path.resolve(file))) || base : base;
}
