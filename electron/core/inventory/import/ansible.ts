/**
 * Reads a static Ansible inventory, INI or YAML, into groups (with their hosts, children and vars)
 * and each host's effective variables, the way `ansible-inventory --list` reports them: group vars
 * from the shallowest group to the deepest (same depth: by name), then the host's own.
 *
 * INI is Ansible's own dialect, not INI: host lines carry `key=value` pairs, `[g:children]` and
 * `[g:vars]` sections, and `name[01:03]` ranges; so a small reader rather than an INI package. YAML
 * goes through the `yaml` package the rest of OpsDeck uses, keeping line numbers for messages.
 * Checked against `ansible-inventory -i FILE --list` for the same files (ansible.test.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OpsError } from '../../errors';
import { parseYamlSource, positionAt, type YamlSource } from '../../runbook/yaml-source';
import type { ImportNote, ImportSource } from './types';

export interface AnsibleGroup {
  name: string;
  hosts: string[];
  children: string[];
  vars: Record<string, unknown>;
  /** Where the group was first declared. */
  source?: ImportSource;
}

export interface AnsibleInventory {
  format: 'ansible-ini' | 'ansible-yaml';
  file: string;
  groups: Map<string, AnsibleGroup>;
  /** Each host's own variables (merged over every line that names it). */
  hostVars: Map<string, Record<string, unknown>>;
  /** Where each host was first named. */
  hostSources: Map<string, ImportSource>;
  warnings: ImportNote[];
}

/** Reads an inventory file; the format is told by its content (YAML when it parses to a mapping of groups). */
export function readAnsibleInventory(file: string): AnsibleInventory {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new OpsError(
      'import-unreadable',
      `${file} cannot be read: ${code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a directory (name the inventory file itself)' : (error as Error).message}.`,
    );
  }
  if (looksLikeIni(text)) return readIni(absolute, text);
  return readYaml(absolute, text);
}

/** INI inventories have `[section]` lines or `host key=value` lines; YAML ones `group:` mappings. */
function looksLikeIni(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line === '---') continue;
    if (line.startsWith('- ') || line.startsWith('{')) return false;
    return line.startsWith('[') || !/^[^\s:]+:(\s|$)/.test(line);
  }
  return false;
}

function emptyInventory(format: AnsibleInventory['format'], file: string): AnsibleInventory {
  const inventory: AnsibleInventory = { format, file, groups: new Map(), hostVars: new Map(), hostSources: new Map(), warnings: [] };
  group(inventory, 'all');
  group(inventory, 'ungrouped');
  return inventory;
}

function group(inventory: AnsibleInventory, name: string, source?: ImportSource): AnsibleGroup {
  let found = inventory.groups.get(name);
  if (!found) {
    found = { name, hosts: [], children: [], vars: {}, ...(source ? { source } : {}) };
    inventory.groups.set(name, found);
  } else if (!found.source && source) {
    found.source = source;
  }
  return found;
}

function addHost(inventory: AnsibleInventory, groupName: string, host: string, vars: Record<string, unknown>, source: ImportSource): void {
  const target = group(inventory, groupName);
  if (!target.hosts.includes(host)) target.hosts.push(host);
  inventory.hostVars.set(host, { ...(inventory.hostVars.get(host) ?? {}), ...vars });
  if (!inventory.hostSources.has(host)) inventory.hostSources.set(host, source);
}

function addChild(inventory: AnsibleInventory, parent: string, child: string, source: ImportSource): void {
  const target = group(inventory, parent);
  group(inventory, child, source);
  if (!target.children.includes(child)) target.children.push(child);
}

// ---- INI -----------------------------------------------------------------------------------------

function readIni(file: string, text: string): AnsibleInventory {
  const inventory = emptyInventory('ansible-ini', file);
  let section = { name: 'ungrouped', kind: 'hosts' as 'hosts' | 'children' | 'vars' };
  text.split(/\r?\n/).forEach((raw, index) => {
    const source = { file, line: index + 1 };
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([^\]:]+)(?::(\w+))?\]\s*(?:[#;].*)?$/.exec(line);
    if (header) {
      const kind = header[2] ?? 'hosts';
      if (header[2] !== undefined && kind !== 'children' && kind !== 'vars') {
        throw new OpsError(
          'import-bad-inventory',
          `${file}:${index + 1}: "[${header[1]}:${kind}]" is not an inventory section (sections are [group], [group:children] and [group:vars]).`,
        );
      }
      section = { name: header[1], kind: kind as 'hosts' | 'children' | 'vars' };
      group(inventory, section.name, source);
      return;
    }
    if (line.startsWith('[')) {
      throw new OpsError('import-bad-inventory', `${file}:${index + 1}: "${line}" is not a section header ([group], [group:children] or [group:vars]).`);
    }
    if (section.kind === 'vars') {
      const equals = line.indexOf('=');
      if (equals < 0) throw new OpsError('import-bad-inventory', `${file}:${index + 1}: "${line}" in [${section.name}:vars] is not key=value.`);
      group(inventory, section.name).vars[line.slice(0, equals).trim()] = iniValue(line.slice(equals + 1).trim());
      return;
    }
    if (section.kind === 'children') {
      addChild(inventory, section.name, splitWords(line, file, index + 1)[0], source);
      return;
    }
    const [pattern, ...pairs] = splitWords(line, file, index + 1);
    const vars: Record<string, unknown> = {};
    for (const pair of pairs) {
      const equals = pair.indexOf('=');
      if (equals <= 0) throw new OpsError('import-bad-inventory', `${file}:${index + 1}: "${pair}" after the host name is not key=value.`);
      vars[pair.slice(0, equals)] = iniValue(pair.slice(equals + 1));
    }
    let name = pattern;
    // `host:2222` is the host with ansible_port 2222 (not an IPv6 address: those have several colons).
    const portMatch = /^([^:]+):(\d+)$/.exec(pattern);
    if (portMatch) {
      name = portMatch[1];
      vars.ansible_port = Number(portMatch[2]);
    }
    for (const host of expandRange(name, file, index + 1)) addHost(inventory, section.name, host, vars, source);
  });
  return finish(inventory);
}

/** Splits a host line as Python's shlex does (quotes, and `#` starting a comment). */
function splitWords(line: string, file: string, lineNumber: number): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: string | undefined;
  for (const char of line) {
    if (quote) {
      if (char === quote) quote = undefined;
      else current += char;
      continue;
    }
    if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (char === '#') {
      break;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quote) throw new OpsError('import-bad-inventory', `${file}:${lineNumber}: a ${quote} quote is not closed.`);
  if (inWord) words.push(current);
  return words;
}

/** Values of INI inventories are Python literals when they parse as one (ports are numbers), else text. */
function iniValue(text: string): unknown {
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text === 'True' || text === 'False') return text === 'True';
  const quoted = /^(['"])(.*)\1$/.exec(text);
  if (quoted) return quoted[2];
  return text;
}

/** `web[01:03]` → web01 web02 web03; `db-[a:c]` → db-a db-b db-c; `[1:9:2]` strides. */
function expandRange(pattern: string, file: string, line: number): string[] {
  const match = /^(.*?)\[([0-9a-zA-Z]+):([0-9a-zA-Z]+)(?::(\d+))?\](.*)$/.exec(pattern);
  if (!match) return [pattern];
  const [, head, start, end, strideText, tail] = match;
  const stride = strideText ? Number(strideText) : 1;
  const names: string[] = [];
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) {
    const width = start.length;
    for (let value = Number(start); value <= Number(end); value += stride) {
      for (const rest of expandRange(tail, file, line)) names.push(`${head}${String(value).padStart(start.startsWith('0') ? width : 0, '0')}${rest}`);
    }
  } else if (/^[a-z]$/i.test(start) && /^[a-z]$/i.test(end)) {
    for (let code = start.charCodeAt(0); code <= end.charCodeAt(0); code += stride) {
      for (const rest of expandRange(tail, file, line)) names.push(`${head}${String.fromCharCode(code)}${rest}`);
    }
  } else {
    throw new OpsError('import-bad-inventory', `${file}:${line}: the range [${start}:${end}] in "${pattern}" is neither numbers nor single letters.`);
  }
  return names;
}

// ---- YAML ----------------------------------------------------------------------------------------

function readYaml(file: string, text: string): AnsibleInventory {
  const parsed = parseYamlSource(text, file);
  const error = parsed.problems.find((problem) => problem.severity === 'error');
  if (!parsed.source || error) {
    const where = error ? `${file}:${error.line}:${error.column}` : file;
    throw new OpsError('import-unknown-format', `${where}: this is neither an INI nor a YAML Ansible inventory${error ? ` (${error.message})` : ''}.`);
  }
  const source = parsed.source;
  const root = source.value;
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    throw new OpsError(
      'import-unknown-format',
      `${file}:1: this is not an Ansible inventory: a YAML inventory is a mapping of groups (all:, Controller:, ...), each with hosts:, children: or vars:.`,
    );
  }
  const inventory = emptyInventory('ansible-yaml', file);
  for (const [name, value] of Object.entries(root as Record<string, unknown>)) yamlGroup(inventory, source, name, value, [name]);
  return finish(inventory);
}

function yamlGroup(inventory: AnsibleInventory, source: YamlSource, name: string, value: unknown, at: string[]): void {
  const where = (yamlPath: string[]): ImportSource => {
    const position = positionAt(source, yamlPath, 'key');
    return { file: position.file, line: position.line };
  };
  group(inventory, name, where(at));
  if (value === null || value === undefined) return;
  if (typeof value !== 'object' || Array.isArray(value)) {
    const position = where(at);
    throw new OpsError(
      'import-bad-inventory',
      `${position.file}:${position.line}: group "${name}" must be a mapping with hosts:, children: or vars:, not ${JSON.stringify(value)}.`,
    );
  }
  const spec = value as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!['hosts', 'children', 'vars'].includes(key)) {
      const position = where([...at, key]);
      throw new OpsError(
        'import-bad-inventory',
        `${position.file}:${position.line}: group "${name}" has "${key}:"; a group has hosts:, children: and vars: (is the indentation right?).`,
      );
    }
  }
  if (spec.vars && typeof spec.vars === 'object') Object.assign(group(inventory, name).vars, spec.vars);
  if (spec.hosts && typeof spec.hosts === 'object') {
    for (const [pattern, vars] of Object.entries(spec.hosts as Record<string, unknown>)) {
      const hostSource = where([...at, 'hosts', pattern]);
      const hostVars = vars && typeof vars === 'object' && !Array.isArray(vars) ? (vars as Record<string, unknown>) : {};
      for (const host of expandRange(pattern, hostSource.file, hostSource.line ?? 1)) addHost(inventory, name, host, hostVars, hostSource);
    }
  }
  if (spec.children && typeof spec.children === 'object') {
    for (const [child, childValue] of Object.entries(spec.children as Record<string, unknown>)) {
      addChild(inventory, name, child, where([...at, 'children', child]));
      yamlGroup(inventory, source, child, childValue, [...at, 'children', child]);
    }
  }
}

// ---- both ----------------------------------------------------------------------------------------

/** Every group becomes a child of `all`; hosts in no group but `all` go to `ungrouped`, as Ansible does. */
function finish(inventory: AnsibleInventory): AnsibleInventory {
  const all = inventory.groups.get('all')!;
  const isChild = new Set([...inventory.groups.values()].flatMap((candidate) => candidate.children));
  for (const name of inventory.groups.keys()) {
    if (name !== 'all' && !isChild.has(name) && !all.children.includes(name)) all.children.push(name);
  }
  const grouped = new Set([...inventory.groups.values()].filter((candidate) => candidate.name !== 'all' && candidate.name !== 'ungrouped').flatMap((candidate) => candidate.hosts));
  const ungrouped = inventory.groups.get('ungrouped')!;
  for (const host of all.hosts) if (!grouped.has(host) && !ungrouped.hosts.includes(host)) ungrouped.hosts.push(host);
  all.hosts = [];
  return inventory;
}

/** Every group a host belongs to, directly or through children, with `all`. */
export function groupsOf(inventory: AnsibleInventory, host: string): string[] {
  const direct = [...inventory.groups.values()].filter((candidate) => candidate.hosts.includes(host)).map((candidate) => candidate.name);
  const result = new Set<string>(['all']);
  const visit = (name: string): void => {
    if (result.has(name)) return;
    result.add(name);
    for (const parent of inventory.groups.values()) if (parent.children.includes(name)) visit(parent.name);
  };
  for (const name of direct) visit(name);
  return [...result];
}

/** Every host of the inventory, in the order they were first named. */
export function hostsOf(inventory: AnsibleInventory): string[] {
  return [...inventory.hostSources.keys()];
}

/** The hosts of a group and of its children, recursively. */
export function hostsInGroup(inventory: AnsibleInventory, name: string, seen = new Set<string>()): string[] {
  const found = inventory.groups.get(name);
  if (!found || seen.has(name)) return [];
  seen.add(name);
  const hosts = new Set(found.hosts);
  for (const child of found.children) for (const host of hostsInGroup(inventory, child, seen)) hosts.add(host);
  return [...hosts];
}

/** A host's variables as Ansible resolves them: groups by depth then name, then the host's own. */
export function effectiveVars(inventory: AnsibleInventory, host: string): Record<string, unknown> {
  const depth = new Map<string, number>();
  const measure = (name: string, level: number, trail: Set<string>): void => {
    if (trail.has(name)) return;
    if ((depth.get(name) ?? -1) < level) depth.set(name, level);
    const next = new Set(trail).add(name);
    for (const child of inventory.groups.get(name)?.children ?? []) measure(child, level + 1, next);
  };
  measure('all', 0, new Set());
  // Python's sort by (depth, name): names compare by code point, not by locale.
  const groups = groupsOf(inventory, host).sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
  const vars: Record<string, unknown> = {};
  for (const name of groups) Object.assign(vars, inventory.groups.get(name)?.vars ?? {});
  return { ...vars, ...(inventory.hostVars.get(host) ?? {}) };
}
