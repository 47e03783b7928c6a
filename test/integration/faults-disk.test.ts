/**
 * FAULT SUITE — the disk fills while journaling. The audit directory is a small tmpfs (mounted here,
 * unmounted in afterAll); while a step runs, a filler file takes every free byte. What must hold:
 * the run pauses before its next step with a clear message, nothing runs unrecorded, no half-written
 * record breaks verification; and what happens once space is freed is reported exactly.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshLab } from '../lab/sshd-lab';
import { finishedSteps, header, journal, journalText, opsdeck, runIdsIn, sleep, spawnCli, startFaultLab, waitFor, workDir, writeRunbook } from '../faults/helpers';

let lab: SshLab;
let work: string;
let mountPoint: string;
let mounted = false;
const marker = `/tmp/opsdeck-diskfull-${process.pid}`;
const state: { continuedAfterFree?: boolean; pausedMessage?: string; shownOk?: boolean; middleStatuses?: string[] } = {};

beforeAll(async () => {
  lab = await startFaultLab();
  work = workDir('disk');
  mountPoint = path.join(work, 'audit');
  mkdirSync(mountPoint);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]);
  mounted = true;
});

afterAll(async () => {
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(marker, { force: true });
  rmSync(`${marker}.2`, { force: true });
});

/** Writes 4 KiB blocks, then single bytes, until ENOSPC; bounded by the tmpfs size. */
function fill(file: string): number {
  const fd = openSync(file, 'w');
  let written = 0;
  try {
    for (const size of [4096, 1]) {
      const block = Buffer.alloc(size, 0x61);
      for (let i = 0; i < 4 * 1024 * 1024; i++) {
        try {
          written += writeSync(fd, block);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

describe('fault: the disk fills while journaling', () => {
  it('pauses before the next step with a clear message, runs nothing unrecorded, and the journal verifies', async () => {
    const auditDir = mountPoint;
    const file = writeRunbook(
      work,
      'diskfull',
      `${header('diskfull')}steps:
  - { id: first, title: First, on: controller01, run: "echo first" }
  - { id: middle, title: Middle, on: controller01, run: "echo middle-begin; sleep 1.5; for i in $(seq 1 200); do echo middle output line $i; done" }
  - { id: next, title: Next, on: controller01, run: "touch ${marker}; echo next" }
  - { id: last, title: Last, on: controller01, run: "touch ${marker}.2" }
`,
    );
    const cli = spawnCli(['run', file, '--env', lab.envFile, '--audit-dir', auditDir]);
    await waitFor(() => runIdsIn(auditDir).some((id) => journalText(auditDir, id).includes('middle-begin')), 30_000, 'middle step started');
    const runId = runIdsIn(auditDir)[0];
    const filler = path.join(auditDir, 'filler');
    const filled = fill(filler);
    console.log(`[faults-disk] filled ${filled} bytes; tmpfs now full`);
    // The step ends ~1.5 s later; its output and step.finished cannot be written.
    const outcome = await Promise.race([cli.exited.then((exit) => `exited ${exit.code ?? exit.signal}`), sleep(6_000).then(() => 'still running (paused)')]);
    console.log(`[faults-disk] 6 s after the disk filled the CLI is ${outcome}; it printed:\n${cli.out().split('\n').slice(-6).join('\n')}\n${cli.err()}`);
    expect(existsSync(marker), 'no step may run while the journal cannot be written').toBe(false);
    expect(cli.out() + cli.err()).toMatch(/journal could not be written|disk full|ENOSPC/i);
    expect(cli.out() + cli.err()).toMatch(/held before its next action/i);

    // Nothing half-written breaks verification (a torn tail is moved aside on reopen).
    const verifyFull = await opsdeck('audit', 'verify', runId, '--audit-dir', auditDir);
    console.log(`[faults-disk] verify while full: exit ${verifyFull.code}: ${verifyFull.out.trim()}`);

    // Free the space: the held run goes on by itself (OpsDeck retries the journal every few seconds).
    rmSync(filler);
    const exit = await Promise.race([cli.exited, sleep(20_000).then(() => undefined)]);
    state.continuedAfterFree = exit !== undefined && existsSync(marker);
    state.pausedMessage = (cli.out() + cli.err())
      .split('\n')
      .filter((line) => /journal|held/i.test(line))
      .join('\n');
    console.log(`[faults-disk] after space was freed: ${exit ? `exited ${exit.code ?? exit.signal}` : 'still held after 20 s'}; the message shown: ${state.pausedMessage}`);
    state.shownOk = cli.out().includes('<== ok [middle]');
    if (cli.child.exitCode === null) {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
    expect(exit?.code, cli.out().slice(-800)).toBe(0);
    const records = journal(auditDir, runId);
    console.log(
      `[faults-disk] middle step records: ${finishedSteps(records, 'middle')
        .map((r) => r.status)
        .join(', ')}; notes: ${records
        .filter((r) => r.type === 'run.note')
        .map((r) => (r as { message: string }).message.slice(0, 160))
        .join(' | ')}`,
    );
    const verify = await opsdeck('audit', 'verify', runId, '--audit-dir', auditDir);
    expect(verify.code, verify.out).toBe(0);
    expect(existsSync(`${marker}.2`)).toBe(true);
    expect(records.at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded' });
    // Everything the middle step printed while the disk was full is in the journal.
    const middleOutput = records
      .filter((r) => r.type === 'step.output' && (r as { step: string }).step === 'middle')
      .map((r) => (r as { data: string }).data)
      .join('');
    expect(middleOutput).toContain('middle output line 200');
    state.middleStatuses = finishedSteps(records, 'middle').map((r) => r.status);
  }, 90_000);

  it('…once space is freed the held CLI run goes on by itself, without being killed', () => {
    expect(state.continuedAfterFree).toBe(true);
  });

  it('…the step the operator saw finish while the disk was full is recorded once, succeeded, and not run again', () => {
    expect(state.shownOk).toBe(true);
    expect(state.middleStatuses).toEqual(['succeeded']);
  });
});
