/**
 * Host leases in a lock directory under the audit directory: one machine's runs, when the environment
 * names no team database. Same semantics as the team database's (see ./run-leases.ts).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { PRIVATE_FILE_MODE, fsyncDirectory, makePrivateDir } from '../audit/files';
import { OpsError } from '../errors';
import type { AcquireResult, LeaseBackend, LeaseBreak, LeaseEnd, LeaseHolder, LeaseInfo, RenewResult } from './run-leases';

const SAFE_NAME = /[^A-Za-z0-9._-]/g;

function safeName(name: string): string {
  const safe = name.replace(SAFE_NAME, (character) => `%${character.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return safe.startsWith('.') ? `%2e${safe.slice(1)}` : safe || '%';
}

function unsafeName(name: string): string {
  return name.replace(/%([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

interface LocalLeaseFile extends LeaseHolder {
  leaseId: string;
  environment: string;
  host: string;
  generation: number;
  ttlMs: number;
  since: string;
}

/** Generations kept per host; older lease files are removed when a new one is taken. */
const KEEP_GENERATIONS = 20;

/**
 * Leases in `<auditDir>/locks/<environment>/<host>/`: `<generation>.lease` (holder, TTL; its mtime is
 * the last renewal) and `<generation>.end` (released or broken). Every file is written to a temporary
 * name and then `link`ed into place, which fails if the name exists: creation is atomic and exclusive.
 * Breaks are also appended to `<auditDir>/locks/breaks.jsonl`.
 */
export class LocalLeaseBackend implements LeaseBackend {
  readonly kind = 'local' as const;
  readonly description: string;
  readonly directory: string;

  constructor(
    auditDir: string,
    private readonly now: () => number = Date.now,
  ) {
    this.directory = path.join(auditDir, 'locks');
    this.description = `the local lock directory ${this.directory}`;
  }

  async tryAcquire(environment: string, host: string, holder: LeaseHolder, ttlMs: number): Promise<AcquireResult> {
    const directory = this.hostDir(environment, host);
    makePrivateDir(directory);
    for (let attempt = 0; attempt < 20; attempt++) {
      const latest = this.latest(environment, host);
      // A run resumed after its process died takes its own lease back at once.
      if (latest && !latest.ended && !latest.expired && latest.runId !== holder.runId) return { ok: false, heldBy: latest };
      const generation = (latest?.generation ?? 0) + 1;
      const since = new Date(this.now()).toISOString();
      const content: LocalLeaseFile = { leaseId: randomUUID(), environment, host, generation, ttlMs, since, ...holder };
      const file = this.leaseFile(environment, host, generation);
      if (!createExclusive(file, JSON.stringify(content) + '\n', this.now())) continue;
      fsyncDirectory(directory);
      this.prune(directory, generation);
      const lease = this.read(environment, host, generation);
      if (!lease) continue;
      return { ok: true, lease, ...(latest && !latest.ended ? { tookOver: latest } : {}) };
    }
    throw new OpsError('lease-contention', `Could not take the lease on ${host}: other runs kept taking it at the same moment. Try again.`);
  }

  async renew(lease: LeaseInfo): Promise<RenewResult> {
    const file = this.leaseFile(lease.environment, lease.host, lease.generation);
    const ended = this.readEnd(lease.environment, lease.host, lease.generation);
    if (ended) return { ok: false, ended };
    // Expired while it could not be renewed, and another run took the host since.
    if ((this.latest(lease.environment, lease.host)?.generation ?? 0) > lease.generation) return { ok: false, ended: null };
    const nowMs = this.now();
    try {
      fs.utimesSync(file, new Date(nowMs), new Date(nowMs));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, ended: null };
      throw error;
    }
    // A break that landed between the check and the renewal still wins.
    const endedAfter = this.readEnd(lease.environment, lease.host, lease.generation);
    if (endedAfter) return { ok: false, ended: endedAfter };
    return { ok: true, expiresAt: new Date(nowMs + lease.ttlMs).toISOString() };
  }

  async release(lease: LeaseInfo, operator: string): Promise<void> {
    const end: LeaseEnd = { kind: 'released', at: new Date(this.now()).toISOString(), operator, machine: os.hostname() };
    createExclusive(this.endFile(lease.environment, lease.host, lease.generation), JSON.stringify(end) + '\n', this.now());
  }

  async list(environment?: string): Promise<LeaseInfo[]> {
    const environments = environment === undefined ? this.environments() : [environment];
    const leases: LeaseInfo[] = [];
    for (const name of environments) {
      let hosts: string[] = [];
      try {
        hosts = fs.readdirSync(path.join(this.directory, safeName(name)));
      } catch {
        continue;
      }
      for (const host of hosts.map(unsafeName).sort()) {
        const latest = this.latest(name, host);
        if (latest && !latest.ended) leases.push(latest);
      }
    }
    return leases;
  }

  async breakLease(environment: string, host: string, by: { operator: string; machine: string }, reason: string): Promise<LeaseBreak> {
    const latest = this.latest(environment, host);
    if (!latest || latest.ended) throw new OpsError('lease-not-found', `No lease holds ${host} in environment ${environment} (${this.description}).`);
    const at = new Date(this.now()).toISOString();
    const end: LeaseEnd = { kind: 'broken', at, operator: by.operator, machine: by.machine, reason };
    if (!createExclusive(this.endFile(environment, host, latest.generation), JSON.stringify(end) + '\n', this.now())) {
      throw new OpsError('lease-not-found', `The lease on ${host} ended just now (released or broken by someone else); nothing to break.`);
    }
    const record: LeaseBreak = { environment, host, lease: latest, by: by.operator, machine: by.machine, reason, at };
    fs.appendFileSync(path.join(this.directory, 'breaks.jsonl'), JSON.stringify(record) + '\n', { mode: PRIVATE_FILE_MODE });
    return record;
  }

  async breaks(environment?: string): Promise<LeaseBreak[]> {
    let text = '';
    try {
      text = fs.readFileSync(path.join(this.directory, 'breaks.jsonl'), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LeaseBreak)
      .filter((record) => environment === undefined || record.environment === environment);
  }

  private environments(): string[] {
    try {
      return fs
        .readdirSync(this.directory, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => unsafeName(entry.name));
    } catch {
      return [];
    }
  }

  private hostDir(environment: string, host: string): string {
    return path.join(this.directory, safeName(environment), safeName(host));
  }

  private leaseFile(environment: string, host: string, generation: number): string {
    return path.join(this.hostDir(environment, host), `${String(generation).padStart(10, '0')}.lease`);
  }

  private endFile(environment: string, host: string, generation: number): string {
    return path.join(this.hostDir(environment, host), `${String(generation).padStart(10, '0')}.end`);
  }

  private latest(environment: string, host: string): LeaseInfo | null {
    let names: string[];
    try {
      names = fs.readdirSync(this.hostDir(environment, host));
    } catch {
      return null;
    }
    const generations = names.filter((name) => /^\d{10}\.lease$/.test(name)).map((name) => Number(name.slice(0, 10)));
    if (generations.length === 0) return null;
    return this.read(environment, host, Math.max(...generations));
  }

  private read(environment: string, host: string, generation: number): LeaseInfo | null {
    const file = this.leaseFile(environment, host, generation);
    let content: LocalLeaseFile;
    let renewedMs: number;
    try {
      content = JSON.parse(fs.readFileSync(file, 'utf8')) as LocalLeaseFile;
      renewedMs = fs.statSync(file).mtimeMs;
    } catch {
      return null;
    }
    const expiresMs = renewedMs + content.ttlMs;
    const ended = this.readEnd(environment, host, generation);
    const processGone = content.machine === os.hostname() && !processAlive(content.pid);
    return {
      backend: 'local',
      environment: content.environment,
      host: content.host,
      leaseId: content.leaseId,
      generation,
      ttlMs: content.ttlMs,
      runId: content.runId,
      operator: content.operator,
      machine: content.machine,
      pid: content.pid,
      ...(content.runbook ? { runbook: content.runbook } : {}),
      since: content.since,
      renewedAt: new Date(renewedMs).toISOString(),
      expiresAt: new Date(expiresMs).toISOString(),
      // On this machine a holder whose process is gone cannot renew: no need to wait for the TTL.
      expired: expiresMs < this.now() || processGone,
      ...(ended ? { ended } : {}),
    };
  }

  private readEnd(environment: string, host: string, generation: number): LeaseEnd | null {
    try {
      return JSON.parse(fs.readFileSync(this.endFile(environment, host, generation), 'utf8')) as LeaseEnd;
    } catch {
      return null;
    }
  }

  private prune(directory: string, current: number): void {
    try {
      for (const name of fs.readdirSync(directory)) {
        const generation = Number(name.slice(0, 10));
        if (/^\d{10}\.(lease|end)$/.test(name) && generation <= current - KEEP_GENERATIONS) fs.rmSync(path.join(directory, name), { force: true });
      }
    } catch {
      // Pruning is housekeeping; a leftover file changes nothing.
    }
  }
}

/** Creates `file` with `content` unless it exists; true when this call created it. */
function createExclusive(file: string, content: string, nowMs: number): boolean {
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  fs.writeFileSync(temporary, content, { flag: 'wx', mode: PRIVATE_FILE_MODE });
  try {
    const fd = fs.openSync(temporary, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.utimesSync(temporary, new Date(nowMs), new Date(nowMs));
    fs.linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
