/**
 * What an inventory import proposes before anything is saved: the hosts with their roles, the
 * deployment profile, what was guessed and what looked wrong, each with the file and line it came
 * from. Node-free, so the console can show it as it is.
 */

/** Where something was read: `file:line` (line 1-based; absent when the source has no lines). */
export interface ImportSource {
  file: string;
  line?: number;
}

export interface ImportedHost {
  name: string;
  address: string;
  port?: number;
  user?: string;
  /** A private key file, as the inventory wrote it (absolute or relative to the inventory). */
  key?: string;
  /** Another imported host to jump through (ProxyJump). */
  jump?: string;
  roles: string[];
  /** The inventory groups (or Host lines, or OpenStack services) the host was found in. */
  groups: string[];
  source?: ImportSource;
  /**
   * `inventory`: read from a file. `discovered`: nova/neutron/cinder reported it and it has not been
   * reached over SSH with a known host key; `reachable`: discovered and reached.
   */
  state: 'inventory' | 'discovered' | 'reachable';
  /** Why it is still only discovered (the SSH check's message). */
  reachability?: string;
}

export interface ImportNote {
  message: string;
  source?: ImportSource;
}

export type ImportFormat = 'ssh-config' | 'ansible-ini' | 'ansible-yaml' | 'discovery';

/** What the inventory looks like it was written by. */
export type InventoryKind = 'kolla' | 'tripleo' | 'ansible' | 'ssh-config' | 'openstack';

export interface ImportResult {
  /** The environment's name (from --name, else the inventory file's name). */
  name: string;
  format: ImportFormat;
  kind: InventoryKind;
  sourceFile: string;
  /** The deployment profile id, and why it was chosen. */
  profile: string;
  profileReason: string;
  hosts: ImportedHost[];
  /** Decisions made for the operator (a role from a group name, an address from the host name...). */
  guesses: ImportNote[];
  /** Things to look at before saving (a group with no hosts, an unreachable file...). */
  warnings: ImportNote[];
  /** known_hosts of the environment discovery started from (absent: the default). */
  knownHosts?: string;
  /** The environment discovery started from is a lab. */
  lab?: boolean;
}

/** The text of a note with its source, as `file:line: message`. */
export function formatNote(note: ImportNote): string {
  if (!note.source) return note.message;
  return `${note.source.file}${note.source.line ? `:${note.source.line}` : ''}: ${note.message}`;
}
