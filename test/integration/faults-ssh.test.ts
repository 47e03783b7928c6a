/**
 * FAULT SUITE — the SSH connection drops mid-step, for real:
 *  - the host's per-connection sshd processes are SIGKILLed while a command runs (the TCP connection closes);
 *  - the host stops answering without closing anything (every sshd of the host SIGSTOPped).
 * What must hold: detected in bounded time, the step marked interrupted (never succeeded), the journal
 * verifies, the operator is told the command's fate is unknown and offered the next action (resume /
 * retry), and that next action works.
 */
import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshLab } from '../lab/sshd-lab';
import { finishedSteps, header, journal, opsdeck, runIdOf, runIdsIn, sleep, startFaultLab, waitFor, workDir, writeRunbook, journalText } from '../faults/helpers';
import path from 'node:path';

let lab: SshLab;
let work: string;
let auditDir: string;
let killedRun: { runId: string; out: string } | undefined;
const tag = `${process.pid}`;

beforeAll(async () => {
  lab = await startFaultLab();
  work = workDir('ssh');
  auditDir = path.join(work, 'audit');
});

afterAll(async () => {
  try {
    lab?.thaw('compute02');
  } catch {
    // not frozen
  }
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
  for (const suffix of ['kill', 'freeze']) rmSync(`/tmp/opsdeck-fate-${suffix}-${tag}`, { force: true });
});

function dropRunbook(kind: string): string {
  const fate = `/tmp/opsdeck-fate-${kind}-${tag}`;
  return writeRunbook(
    work,
    `drop-${kind}`,
    `${header(`drop-${kind}`)}steps:
  - { id: before, title: Before, on: compute02, run: echo before }
  - id: long
    title: Long
    on: compute02
    timeout: 2m
    run: "echo drop-token-$((6*7)); sleep 3; touch ${fate}; echo finished-on-host"
  - { id: after, title: After, on: compute02, run: echo after }
`,
  );
}

describe('fault: the SSH connection drops mid-step', () => {
  it('sshd session killed: interrupted within a second, fate said unknown, journal verifies', async () => {
    const fate = `/tmp/opsdeck-fate-kill-${tag}`;
    rmSync(fate, { force: true });
    const running = opsdeck('run', dropRunbook('kill'), '--env', lab.envFile, '--audit-dir', auditDir);
    await waitFor(() => runIdsIn(auditDir).some((id) => journalText(auditDir, id).includes('drop-token-42')), 20_000, 'drop-token in journal');
    const killedAt = Date.now();
    expect(lab.killSessions('compute02')).toBeGreaterThan(0);
    const run = await running;
    const detectedMs = Date.now() - killedAt;
    console.log(`[faults-ssh] kill: CLI ended ${detectedMs} ms after the sshd session was killed (exit ${run.code})`);
    expect(run.code).toBe(4);
    expect(detectedMs).toBeLessThan(5_000);
    const runId = runIdOf(run.out);
    const records = journal(auditDir, runId);
    expect(finishedSteps(records, 'before')[0]?.status).toBe('succeeded');
    expect(finishedSteps(records, 'long').at(-1)?.status).toBe('interrupted');
    expect(finishedSteps(records, 'after')).toHaveLength(0);
    expect(run.out).toMatch(/unknown/i);
    expect((await opsdeck('audit', 'verify', runId, '--audit-dir', auditDir)).code).toBe(0);

    // The command's fate on the host: the product says "unknown". What actually happened here:
    await sleep(3_500);
    console.log(
      `[faults-ssh] kill: after the drop the command ${existsSync(fate) ? 'DID finish on the host (marker written)' : 'did NOT finish on the host (killed with its session)'}`,
    );

    killedRun = { runId, out: run.out + run.err };
  });

  it('…and then offers resume/retry by name, and `opsdeck resume --retry-interrupted` runs the step again to success', async () => {
    expect(killedRun, 'the previous case ran').toBeDefined();
    const { runId, out } = killedRun!;
    const resumed = await opsdeck('resume', runId, '--env', lab.envFile, '--audit-dir', auditDir, '--retry-interrupted');
    console.log(`[faults-ssh] kill: resume --retry-interrupted → exit ${resumed.code}: ${(resumed.err + resumed.out).trim().split('\n').slice(-2).join(' | ')}`);
    expect(out).toMatch(/opsdeck resume|--retry-interrupted/);
    expect(resumed.code).toBe(0);
    expect(finishedSteps(journal(auditDir, runId), 'after').at(-1)?.status).toBe('succeeded');
    expect((await opsdeck('audit', 'verify', runId, '--audit-dir', auditDir)).code).toBe(0);
  });

  it('host frozen (sshd SIGSTOPped): detected by keepalive, interrupted, journal verifies', async () => {
    const running = opsdeck('run', dropRunbook('freeze'), '--env', lab.envFile, '--audit-dir', auditDir);
    await waitFor(
      () => runIdsIn(auditDir).some((id) => journalText(auditDir, id).includes('drop-token-42') && journalText(auditDir, id).includes('drop-freeze')),
      20_000,
      'drop-token in journal',
    );
    const frozenAt = Date.now();
    lab.freeze('compute02');
    let run;
    try {
      run = await Promise.race([running, sleep(45_000).then(() => undefined)]);
    } finally {
      lab.thaw('compute02');
    }
    const detectedMs = Date.now() - frozenAt;
    console.log(`[faults-ssh] freeze: CLI ended ${run ? `${detectedMs} ms after the freeze (exit ${run.code})` : 'NOT within 45 s'}`);
    expect(run, 'the CLI must end on its own while the host is frozen').toBeDefined();
    if (!run) return;
    // Keepalive: 5 s interval x 3 unanswered (+1 grace) = 20 s at most, by the pool's defaults.
    expect(detectedMs).toBeLessThan(25_000);
    expect(run.code).toBe(4);
    const runId = runIdOf(run.out);
    const records = journal(auditDir, runId);
    const long = finishedSteps(records, 'long').at(-1);
    expect(long?.status).toBe('interrupted');
    console.log(`[faults-ssh] freeze: reason recorded: ${long?.reason}`);
    expect(long?.reason ?? '').toMatch(/unknown/i);
    expect(run.out).toMatch(/stopped answering|keepalive/i);
    expect((await opsdeck('audit', 'verify', runId, '--audit-dir', auditDir)).code).toBe(0);
  }, 90_000);
});
