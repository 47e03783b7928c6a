/**
 * Shared plumbing of the fault suite (test/integration/faults-*.test.ts): the real CLI in-process and
 * as a child process, runbook files, journals read back, bounded waits. Everything runs on loopback
 * against the real sshd lab (test/lab/sshd-lab.ts).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STANDARD_LAB_HOSTS, startSshLab, type SshLab } from '../lab/sshd-lab';

export * from '../support/cli';

export function startFaultLab(): Promise<SshLab> {
  return startSshLab({
    hosts: STANDARD_LAB_HOSTS,
  });
}

export function workDir(tag: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `opsdeck-fault-${tag}-`));
}

/** A small seeded PRNG (mulberry32), so random kill points can be printed and replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Header of a minimal runbook. */
export function header(id: string): string {
  return `id: ${id}\ntitle: ${id}\nversion: "1"\ndescription: fault suite\n`;
}
