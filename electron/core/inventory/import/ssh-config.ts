/**
 * Reads an OpenSSH client configuration (ssh_config(5)) the way `ssh` does, for the keywords an
 * environment needs: Host, HostName, User, Port, IdentityFile, ProxyJump and Include.
 *
 * A small parser rather than the npm `ssh-config` package: that package keeps `Include` as a line
 * and never reads the included files, and its compute() does not follow them either; Include is how
 * operators split their configuration (`Include config.d/*`). What it does is tested against
 * OpenSSH's own `ssh -G` output for the same files (ssh-config.test.ts).
 *
 * As in OpenSSH: for each keyword the first value that applies wins (so specific blocks go first and
 * `Host *` last); IdentityFile accumulates; `Host` patterns use `*` and `?`, and a matching `!pattern`
 * excludes the host whatever else matches; Include globs its arguments, relative paths are relative
 * to ~/.ssh, and an Include inside a Host block applies only to that block's hosts. `Match` blocks are
 * not evaluated (they depend on the connection being made): lines under one are skipped, with a warning.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OpsError } from '../../errors';
import type { ImportNote, ImportSource } from './types';

/** One host of the configuration, with the values `ssh <alias>` would use. */
export interface SshConfigHost {
  alias: string;
  hostname: string;
  user?: string;
  port?: number;
  /** As written (`~/.ssh/id_%h`), the way `ssh -G` prints them; tokens are expanded on import. */
  identityFiles: string[];
  proxyJump?: string;
  /** Where the alias was first named on a Host line. */
  source: ImportSource;
}

export interface SshConfigResult {
  hosts: SshConfigHost[];
  warnings: ImportNote[];
}

interface ConfigLine {
  keyword: string;
  args: string[];
  source: ImportSource;
  /** The Host and Match blocks the line was written under, outermost first (through Includes). */
  block: Condition[];
}

const MAX_INCLUDE_DEPTH = 16;

/** Reads `file` and everything it includes; `home` is where `~` and relative Includes point. */
export function readSshConfig(file: string, options: { home?: string } = {}): SshConfigResult {
  const home = options.home ?? os.homedir();
  const warnings: ImportNote[] = [];
  const lines: ConfigLine[] = [];
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new OpsError('import-unreadable', `${file} cannot be read: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : (error as Error).message}.`);
  }
  readLines(absolute, text, [], 0, home, lines, warnings);

  const aliases: Array<{ alias: string; source: ImportSource }> = [];
  for (const line of lines) {
    if (line.keyword !== 'host') continue;
    for (const pattern of line.args) {
      if (/[*?!]/.test(pattern) || aliases.some((known) => known.alias === pattern)) continue;
      aliases.push({ alias: pattern, source: line.source });
    }
  }
  const hosts = aliases.map(({ alias, source }) => resolveHost(alias, source, lines));
  return { hosts, warnings };
}

/** What selects the lines of a block: a Host line's patterns, or a Match line's criteria. */
type Condition = { host: string[] } | { match: Array<{ criterion: string; patterns: string[] }> };

/** Match criteria evaluated on import; any other makes the block inactive, with a warning. */
const MATCH_CRITERIA = ['all', 'host', 'originalhost', 'user', 'localuser'];

function readLines(file: string, text: string, outerBlock: Condition[], depth: number, home: string, into: ConfigLine[], warnings: ImportNote[]): void {
  // Lines of an included file start under the block the Include was written in; a Host line inside it
  // starts a block that is still inside that one (OpenSSH passes its "active" state down).
  let block = outerBlock;
  text.split(/\r?\n/).forEach((raw, index) => {
    const source = { file, line: index + 1 };
    const parsed = splitLine(raw);
    if (!parsed) return;
    const [keyword, args] = parsed;
    if (keyword === 'host') {
      if (args.length === 0) warnings.push({ message: 'Host with no pattern: the line is ignored.', source });
      block = [...outerBlock, { host: args }];
      into.push({ keyword, args, source, block: outerBlock });
      return;
    }
    if (keyword === 'match') {
      const criteria: Array<{ criterion: string; patterns: string[] }> = [];
      for (let at = 0; at < args.length; at += 1) {
        const criterion = args[at].toLowerCase();
        if (criterion === 'all') criteria.push({ criterion, patterns: [] });
        else criteria.push({ criterion, patterns: (args[(at += 1)] ?? '').split(',') });
      }
      const unknown = criteria.filter((item) => !MATCH_CRITERIA.includes(item.criterion.replace(/^!/, '')));
      if (unknown.length > 0) {
        warnings.push({
          message: `"Match ${args.join(' ')}" depends on the connection (${unknown.map((item) => item.criterion).join(', ')}) and is not evaluated on import: the lines under it are left out. Check those hosts after import.`,
          source,
        });
      }
      block = [...outerBlock, { match: criteria }];
      return;
    }
    if (keyword === 'include') {
      if (depth >= MAX_INCLUDE_DEPTH) {
        warnings.push({ message: `Include is nested more than ${MAX_INCLUDE_DEPTH} deep (does a file include itself?): not followed.`, source });
        return;
      }
      for (const pattern of args) {
        const files = expandInclude(pattern, home);
        for (const included of files) {
          let includedText: string;
          try {
            includedText = readFileSync(included, 'utf8');
          } catch (error) {
            warnings.push({ message: `Include ${pattern}: ${included} cannot be read (${(error as Error).message}).`, source });
            continue;
          }
          readLines(included, includedText, block, depth + 1, home, into, warnings);
        }
      }
      return;
    }
    into.push({ keyword, args, source, block });
  });
}

/** `Keyword args` or `Keyword=args`, with double-quoted arguments; undefined for blanks and comments. */
function splitLine(raw: string): [string, string[]] | undefined {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) return undefined;
  const match = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+|$)(.*)$/.exec(line);
  if (!match) return undefined;
  const args: string[] = [];
  const pattern = /"([^"]*)"|(\S+)/g;
  for (const arg of match[2].matchAll(pattern)) {
    if (arg[2]?.startsWith('#')) break;
    args.push(arg[1] ?? arg[2]);
  }
  return [match[1].toLowerCase(), args];
}

/** The files an Include argument names, sorted as glob(3) sorts them. */
function expandInclude(pattern: string, home: string): string[] {
  let expanded = pattern.startsWith('~/') ? path.join(home, pattern.slice(2)) : pattern;
  if (!path.isAbsolute(expanded)) expanded = path.join(home, '.ssh', expanded);
  if (!/[*?[]/.test(expanded)) return existsSync(expanded) ? [expanded] : [];
  // Each path component may hold a wildcard; expand them one directory at a time.
  let candidates = [path.parse(expanded).root];
  for (const part of expanded.split(path.sep).filter(Boolean)) {
    const next: string[] = [];
    for (const dir of candidates) {
      if (!/[*?[]/.test(part)) {
        const joined = path.join(dir, part);
        if (existsSync(joined)) next.push(joined);
        continue;
      }
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        if (name.startsWith('.') && !part.startsWith('.')) continue;
        if (globMatch(part, name)) next.push(path.join(dir, name));
      }
    }
    candidates = next;
  }
  return candidates.filter((candidate) => {
    try {
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}

/** OpenSSH's match_pattern: `*` any run, `?` one character; the whole name must match. */
export function globMatch(pattern: string, name: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('')
      .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    's',
  );
  return regex.test(name);
}

/**
 * Whether a Host line's patterns select `alias`: one match and no negated match. Case-sensitive, as
 * OpenSSH 9 matches the name typed (`ssh Web1` is not selected by `Host web*`).
 */
export function hostPatternsMatch(patterns: string[], alias: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (globMatch(body, alias)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function resolveHost(alias: string, source: ImportSource, lines: ConfigLine[]): SshConfigHost {
  const values: { hostname?: string; user?: string; port?: number; proxyJump?: string } = {};
  const identityFiles: string[] = [];
  for (const line of lines) {
    if (line.keyword === 'host') continue;
    const target = { alias, hostname: (values.hostname === undefined ? alias : expandTokens(values.hostname, alias)).toLowerCase(), user: values.user };
    if (!line.block.every((condition) => conditionHolds(condition, target))) continue;
    const value = line.args[0];
    if (value === undefined) continue;
    switch (line.keyword) {
      case 'hostname':
        values.hostname ??= value;
        break;
      case 'user':
        values.user ??= value;
        break;
      case 'port':
        if (values.port === undefined && /^\d+$/.test(value)) values.port = Number(value);
        break;
      case 'identityfile':
        identityFiles.push(value);
        break;
      case 'proxyjump':
        values.proxyJump ??= value;
        break;
    }
  }
  // ssh lowercases the name it connects to (`ssh -G Web1` prints `hostname web1`).
  const hostname = (values.hostname === undefined ? alias : expandTokens(values.hostname, alias)).toLowerCase();
  return {
    alias,
    hostname,
    ...(values.user === undefined ? {} : { user: values.user }),
    ...(values.port === undefined ? {} : { port: values.port }),
    identityFiles,
    ...(values.proxyJump === undefined || values.proxyJump.toLowerCase() === 'none' ? {} : { proxyJump: parseProxyJump(values.proxyJump).map(formatJumpHop).join(',') }),
    source,
  };
}

/** Whether a block applies to the host being resolved (`Match host` sees the HostName found so far, as OpenSSH's first pass does). */
function conditionHolds(condition: Condition, target: { alias: string; hostname: string; user?: string }): boolean {
  if ('host' in condition) return hostPatternsMatch(condition.host, target.alias);
  return condition.match.every(({ criterion, patterns }) => {
    const negated = criterion.startsWith('!');
    const name = negated ? criterion.slice(1) : criterion;
    let result: boolean;
    if (name === 'all') result = true;
    else if (name === 'host') result = listMatches(patterns, target.hostname, true);
    else if (name === 'originalhost') result = listMatches(patterns, target.alias, true);
    else if (name === 'user') result = listMatches(patterns, target.user ?? os.userInfo().username, false);
    else if (name === 'localuser') result = listMatches(patterns, os.userInfo().username, false);
    else return false;
    return negated ? !result : result;
  });
}

/** OpenSSH's match_pattern_list: comma-separated, `!` negates; host names compare in lower case. */
function listMatches(patterns: string[], name: string, lower: boolean): boolean {
  let matched = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (globMatch(lower ? pattern.toLowerCase() : pattern, lower ? name.toLowerCase() : name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** HostName accepts `%h` (the name given to ssh) and `%%`. */
function expandTokens(text: string, alias: string): string {
  return text.replace(/%([%h])/g, (_, token: string) => (token === '%' ? '%' : alias));
}

/** One hop of a ProxyJump (`[user@]host[:port]`, comma-separated hops). */
export interface JumpHop {
  user?: string;
  host: string;
  port?: number;
}

/** The hops of a ProxyJump value, first hop first (`ssh://` URIs included). */
export function parseProxyJump(value: string): JumpHop[] {
  return value.split(',').map((hop) => {
    const text = hop.trim().replace(/^ssh:\/\//, '');
    const at = text.lastIndexOf('@');
    const user = at >= 0 ? text.slice(0, at) : undefined;
    const rest = at >= 0 ? text.slice(at + 1) : text;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
    const plain = /^([^:]+)(?::(\d+))?$/.exec(rest);
    const match = bracketed ?? plain;
    const host = match ? match[1] : rest;
    const port = match?.[2] ? Number(match[2]) : undefined;
    return { ...(user ? { user } : {}), host, ...(port ? { port } : {}) };
  });
}

/** A hop the way `ssh -G` prints it: `user@[host]:port` when it has a port. */
function formatJumpHop(hop: JumpHop): string {
  return `${hop.user ? `${hop.user}@` : ''}${hop.port ? `[${hop.host}]:${hop.port}` : hop.host}`;
}
