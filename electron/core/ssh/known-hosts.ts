/**
 * OpenSSH known_hosts: parse, verify a presented host key, append an accepted one.
 *
 * Semantics follow OpenSSH's hostfile.c / sshconnect.c:
 * - A host on port 22 is looked up as `host`, on any other port as `[host]:port` (a plain `host` entry
 *   does not cover other ports).
 * - Patterns: comma lists, `*` and `?` wildcards, `!` negation (a matching negated pattern excludes the
 *   line even when another pattern matches), case-insensitive. Hashed names `|1|salt|hash` are
 *   HMAC-SHA1(salt, name) and match exactly one name.
 * - `@revoked` with the presented key → refused. `@cert-authority` lines are skipped (OpsDeck does not
 *   do host certificates).
 * - Same key type, same key on some line → known. Same key type, only other keys → changed (the first
 *   such line is reported). Only keys of other types → unknown, as OpenSSH does ("keys of different
 *   type are already known for this host"): it asks to accept the new type rather than refusing.
 *   The pool prefers the known types when negotiating, as OpenSSH does, so this is rare.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface KnownHostsEntry {
  /** 1-based line number in the file. */
  line: number;
  marker: 'revoked' | 'cert-authority' | null;
  /** Plain patterns (possibly negated with `!`), empty for a hashed entry. */
  patterns: string[];
  hashed: { salt: Buffer; hash: Buffer } | null;
  keyType: string;
  keyBase64: string;
  keyBlob: Buffer;
}

export type HostKeyVerdict =
  | { status: 'known'; line: number }
  | { status: 'unknown'; otherKeyTypes: string[] }
  | { status: 'changed'; line: number; expectedFingerprint: string }
  | { status: 'revoked'; line: number };

/** `SHA256:` + unpadded base64 of the SHA-256 of the key blob, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type stored at the start of an SSH public key blob (`ssh-ed25519`...). */
export function keyTypeOfBlob(keyBlob: Buffer): string {
  if (keyBlob.length < 4) throw new Error('Host key blob too short');
  const length = keyBlob.readUInt32BE(0);
  if (length > keyBlob.length - 4 || length > 64) throw new Error('Host key blob has a malformed key type');
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

/** The name OpenSSH looks up for a host and port: `host` on 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

/** Parses known_hosts text; malformed lines are skipped as OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const entry = parseLine(lines[index], index + 1);
    if (entry) entries.push(entry);
  }
  return entries;
}

function parseLine(raw: string, line: number): KnownHostsEntry | null {
  const text = raw.replace(/\r$/, '').trim();
  if (text === '' || text.startsWith('#')) return null;
  const fields = text.split(/[ \t]+/);
  let marker: KnownHostsEntry['marker'] = null;
  if (fields[0].startsWith('@')) {
    const word = fields.shift()!;
    if (word === '@revoked') marker = 'revoked';
    else if (word === '@cert-authority') marker = 'cert-authority';
    else return null;
  }
  if (fields.length < 3) return null;
  const [hostField, keyType, keyBase64] = fields;
  const keyBlob = Buffer.from(keyBase64, 'base64');
  try {
    if (keyTypeOfBlob(keyBlob) !== keyType) return null;
  } catch {
    return null;
  }
  let hashed: KnownHostsEntry['hashed'] = null;
  let patterns: string[] = [];
  if (hostField.startsWith('|1|')) {
    const [, , salt, hash] = hostField.split('|');
    if (!salt || !hash) return null;
    hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    if (hashed.hash.length !== 20) return null;
  } else {
    patterns = hostField.split(',').filter((pattern) => pattern !== '');
  }
  return { line, marker, patterns, hashed, keyType, keyBase64, keyBlob };
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Each entry's patterns compiled once (an entry is checked against every host the pool connects to). */
const compiledPatterns = new WeakMap<KnownHostsEntry, Array<{ negated: boolean; regexp: RegExp }>>();

function patternsOf(entry: KnownHostsEntry): Array<{ negated: boolean; regexp: RegExp }> {
  let compiled = compiledPatterns.get(entry);
  if (!compiled) {
    compiled = entry.patterns.map((pattern) => {
      const negated = pattern.startsWith('!');
      return { negated, regexp: globToRegExp(negated ? pattern.slice(1) : pattern) };
    });
    compiledPatterns.set(entry, compiled);
  }
  return compiled;
}

/** True when the entry's host field matches one of the names (already in `[host]:port` form when needed). */
export function entryMatches(entry: KnownHostsEntry, names: string[]): boolean {
  if (entry.hashed) {
    const { salt, hash } = entry.hashed;
    return names.some((name) => {
      const candidate = createHmac('sha1', salt).update(name).digest();
      return timingSafeEqual(candidate, hash);
    });
  }
  let positive = false;
  for (const { negated, regexp } of patternsOf(entry)) {
    if (names.some((name) => regexp.test(name))) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

/** Checks a presented key against parsed entries (see the module comment for the semantics). */
export function verifyHostKey(entries: KnownHostsEntry[], hostNames: string[], port: number, keyType: string, keyBlob: Buffer): HostKeyVerdict {
  const names = [...new Set(hostNames.map((host) => knownHostsName(host, port)))];
  const matching = entries.filter((entry) => entry.marker !== 'cert-authority' && entryMatches(entry, names));
  const revoked = matching.find((entry) => entry.marker === 'revoked' && entry.keyBlob.equals(keyBlob));
  if (revoked) return { status: 'revoked', line: revoked.line };
  const plain = matching.filter((entry) => entry.marker === null);
  const same = plain.find((entry) => entry.keyType === keyType && entry.keyBlob.equals(keyBlob));
  if (same) return { status: 'known', line: same.line };
  const changed = plain.find((entry) => entry.keyType === keyType);
  if (changed) return { status: 'changed', line: changed.line, expectedFingerprint: fingerprintOf(changed.keyBlob) };
  return { status: 'unknown', otherKeyTypes: [...new Set(plain.map((entry) => entry.keyType))] };
}

/** Formats one known_hosts line the way `ssh` (or `ssh` with HashKnownHosts yes) writes it. */
export function formatKnownHostsLine(host: string, port: number, keyType: string, keyBase64: string, options: { hashed?: boolean } = {}): string {
  const name = knownHostsName(host, port);
  let hostField = name;
  if (options.hashed) {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update(name).digest();
    hostField = `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
  }
  return `${hostField} ${keyType} ${keyBase64}`;
}

/**
 * One known_hosts file on disk. Every call re-reads it, so keys accepted elsewhere are seen at once;
 * the text is parsed again only when it differs from the last read. A pool connecting to N hosts
 * checks the file twice per host: parsing all of it each time made connecting quadratic (0.7 s of CPU
 * at 300 hosts). The text, not the file's mtime, decides: a rewrite within the file system's mtime
 * granularity would keep the mtime.
 */
export class KnownHostsFile {
  private parsed: { text: string; entries: KnownHostsEntry[] } | null = null;

  constructor(readonly file: string) {}

  /** The parsed entries (the same array while the file's text is unchanged: do not modify it); a missing file has none. */
  async entries(): Promise<KnownHostsEntry[]> {
    try {
      const text = await fs.readFile(this.file, 'utf8');
      if (this.parsed?.text !== text) this.parsed = { text, entries: parseKnownHosts(text) };
      return this.parsed.entries;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** Checks a presented key; `hostNames` are the names/addresses the host is known by. */
  async verify(hostNames: string[], port: number, keyType: string, keyBlob: Buffer): Promise<HostKeyVerdict> {
    return verifyHostKey(await this.entries(), hostNames, port, keyType, keyBlob);
  }

  /** Key types the file holds for the host (the pool prefers these when negotiating, as OpenSSH does). */
  async knownKeyTypes(hostNames: string[], port: number): Promise<string[]> {
    const names = hostNames.map((host) => knownHostsName(host, port));
    const types = (await this.entries()).filter((entry) => entry.marker === null && entryMatches(entry, names)).map((entry) => entry.keyType);
    return [...new Set(types)];
  }

  /** Appends an accepted key, creating the directory (0700) and the file (0600) if needed. */
  async append(host: string, port: number, keyType: string, keyBase64: string, options: { hashed?: boolean } = {}): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    let prefix = '';
    try {
      const current = await fs.readFile(this.file, 'utf8');
      if (current.length > 0 && !current.endsWith('\n')) prefix = '\n';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const handle = await fs.open(this.file, 'a', 0o600);
    try {
      await handle.appendFile(prefix + formatKnownHostsLine(host, port, keyType, keyBase64, options) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
