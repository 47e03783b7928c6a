/**
 * FAULT SUITE — the console process is SIGKILLed at random points of a run, 20 times.
 * Each time: the real `opsdeck run` as a child process (a runbook of five short steps with some
 * output), killed after a seeded random delay (printed, so a failure can be replayed with
 * OPSDECK_FAULT_SEED); then every completed step must still be in the journal, the step in flight
 * must be interrupted, the journal must verify, and `opsdeck resume --retry-interrupted` must take
 * the run to success without running a completed step again (each step appends to a marker file on
 * the host: a completed step's line must appear exactly once).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshLab } from '../lab/sshd-lab';
import { finishedSteps, header, journal, journalText, opsdeck, runIdsIn, seededRandom, sleep, spawnCli, startFaultLab, waitFor, workDir, writeRunbook } from '../faults/helpers';

const KILLS = 20;
const SEED = Number(process.env.OPSDECK_FAULT_SEED ?? Date.now() % 1_000_000);
const STEPS = ['s1', 's2', 's3', 's4', 's5'];

let lab: SshLab;
let work: string;
let auditDir: string;
const markerBase = `/tmp/opsdeck-kill-${process.pid}`;

beforeAll(async () => {
  lab = await startFaultLab();
  work = workDir('kill');
  auditDir = path.join(work, 'audit');
});

afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
  for (let index = 0; index < KILLS; index++) rmSync(`${markerBase}-${index}`, { force: true });
});

function runbookFor(index: number): string {
  const marker = `${markerBase}-${index}`;
  const steps = STEPS.map(
    (step, at) =>
      `  - id: ${step}\n    title: Step ${at + 1}\n    on: ${at % 2 ? 'compute01' : 'controller01'}\n    run: "echo ${step}-begin; for i in 1 2 3; do echo ${step} line $i; sleep 0.12; done; echo ${step} >> ${marker}; echo ${step}-end"\n` +
      (at === 0 ? '    capture: { first: { regex: "(s1-end)" } }\n' : ''),
  );
  return writeRunbook(work, `killme-${index}`, `${header(`killme-${index}`)}steps:\n${steps.join('')}`);
}

interface Outcome {
  index: number;
  delayMs: number;
  phase: string;
  lostNothing: boolean;
  detail: string;
}

describe('fault: the console is SIGKILLed at random points of a run', () => {
  it(`20 kills (seed ${SEED}): completed steps kept, in-flight step interrupted, journal verifies, resume succeeds`, async () => {
    console.log(`[faults-kill] seed ${SEED} (replay with OPSDECK_FAULT_SEED=${SEED})`);
    const random = seededRandom(SEED);
    const outcomes: Outcome[] = [];
    for (let index = 0; index < KILLS; index++) {
      const file = runbookFor(index);
      const marker = `${markerBase}-${index}`;
      rmSync(marker, { force: true });
      const before = new Set(runIdsIn(auditDir));
      // Kill points: from process start-up (before the journal exists) to past the end of the run.
      const delayMs = Math.round(random() * 1600);
      const started = Date.now();
      const cli = spawnCli(['run', file, '--env', lab.envFile, '--audit-dir', auditDir]);
      // The delay counts from the moment the CLI has loaded (its first output or a new run directory),
      // so start-up time (tsx) does not swallow the interesting part; a few kills land before it.
      const early = index % 7 === 3;
      if (!early) await waitFor(() => cli.out().length > 0 || runIdsIn(auditDir).length > before.size, 30_000, 'CLI start');
      await Promise.race([sleep(delayMs), cli.exited]);
      const exitedBefore = cli.child.exitCode !== null;
      cli.child.kill('SIGKILL');
      const exit = await cli.exited;
      const printed = cli.out();
      const newRuns = runIdsIn(auditDir).filter((id) => !before.has(id));
      const outcome: Outcome = { index, delayMs, phase: '', lostNothing: true, detail: '' };
      outcomes.push(outcome);
      if (newRuns.length === 0) {
        outcome.phase = 'before the journal existed';
        outcome.lostNothing = !existsSync(marker);
        outcome.detail = outcome.lostNothing ? 'no journal, nothing ran' : 'a step ran without a journal!';
        continue;
      }
      expect(newRuns).toHaveLength(1);
      const runId = newRuns[0];
      const problems: string[] = [];
      const recordsAtKill = journal(auditDir, runId);
      if (recordsAtKill.length === 0) {
        // Killed between creating the journal and writing run.started: nothing may have run, and
        // resume must say so rather than fail on an "invalid" journal.
        outcome.phase = 'before run.started was recorded';
        const resumed = await opsdeck('resume', runId, '--env', lab.envFile, '--audit-dir', auditDir);
        if (existsSync(marker)) problems.push('a step ran before run.started was recorded!');
        if (resumed.code !== 2 || !resumed.err.includes('nothing of it ran on any host')) problems.push(`resume: exit ${resumed.code}: ${resumed.err.trim()}`);
        outcome.lostNothing = problems.length === 0;
        outcome.detail = problems.length ? problems.join('; ') : 'empty journal, nothing ran, resume says so';
        continue;
      }
      const completedAtKill = finishedSteps(recordsAtKill)
        .filter((record) => record.status === 'succeeded')
        .map((record) => record.step);
      // What the operator saw completed must be in the journal.
      for (const step of STEPS) {
        if (printed.includes(`<== ok [${step}]`) && !completedAtKill.includes(step)) problems.push(`${step} shown ok but not in the journal`);
      }
      const inFlight = recordsAtKill
        .filter((record) => record.type === 'step.started')
        .map((record) => (record as { step: string }).step)
        .filter((step) => !finishedSteps(recordsAtKill, step).length);
      const verifyAtKill = await opsdeck('audit', 'verify', runId, '--audit-dir', auditDir);
      if (verifyAtKill.code !== 0) problems.push(`verify after kill: exit ${verifyAtKill.code}: ${verifyAtKill.out.trim()}`);
      const finishedAtKill = recordsAtKill.some((record) => record.type === 'run.finished');
      outcome.phase = finishedAtKill ? 'after the run finished' : inFlight.length ? `during ${inFlight.join(',')}` : `between steps (after ${completedAtKill.at(-1) ?? 'start'})`;
      if (exitedBefore) outcome.phase += ' (the CLI had already exited)';
      if (!finishedAtKill) {
        const resumed = await opsdeck('resume', runId, '--env', lab.envFile, '--audit-dir', auditDir, '--retry-interrupted');
        if (resumed.code !== 0) problems.push(`resume: exit ${resumed.code}: ${(resumed.err + resumed.out).trim().split('\n').slice(-3).join(' | ')}`);
        const records = journal(auditDir, runId);
        for (const step of inFlight) {
          if (!finishedSteps(records, step).some((record) => record.status === 'interrupted')) problems.push(`${step} (in flight) not recorded interrupted`);
        }
        for (const step of completedAtKill) {
          if (finishedSteps(records, step).length !== 1) problems.push(`${step} completed before the kill but finished ${finishedSteps(records, step).length} times after resume`);
        }
        if (records.at(-1)?.type !== 'run.finished' || (records.at(-1) as { status?: string }).status !== 'succeeded')
          problems.push(`last record after resume: ${String(JSON.stringify(records.at(-1))).slice(0, 200)}`);
        // The journal's lines up to the kill are untouched by the resume.
        const text = journalText(auditDir, runId);
        const linesAtKill = recordsAtKill.length;
        if (
          text
            .split('\n')
            .slice(0, linesAtKill)
            .some((line, at) => JSON.parse(line).hash !== recordsAtKill[at].hash)
        )
          problems.push('lines before the kill changed');
      }
      const verify = await opsdeck('audit', 'verify', runId, '--audit-dir', auditDir);
      if (verify.code !== 0) problems.push(`final verify: exit ${verify.code}: ${verify.out.trim()}`);
      const ranOnHost = existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n') : [];
      for (const step of completedAtKill) {
        if (ranOnHost.filter((line) => line === step).length !== 1) problems.push(`${step} ran ${ranOnHost.filter((line) => line === step).length} times on the host`);
      }
      if (!finishedAtKill || ranOnHost.length) {
        for (const step of STEPS) if (!ranOnHost.includes(step)) problems.push(`${step} never ran on the host`);
      }
      outcome.lostNothing = problems.length === 0;
      outcome.detail = problems.length ? problems.join('; ') : `kept ${completedAtKill.length} completed, exit at kill ${exit.signal ?? exit.code}`;
      void started;
    }
    console.log(
      `[faults-kill] seed ${SEED}\n` +
        outcomes
          .map(
            (o) =>
              `  kill ${String(o.index + 1).padStart(2)} at +${String(o.delayMs).padStart(4)} ms ${o.phase.padEnd(44)} ${o.lostNothing ? 'lost nothing' : 'LOST'}: ${o.detail}`,
          )
          .join('\n'),
    );
    console.log(`[faults-kill] ${outcomes.filter((o) => o.lostNothing).length}/${outcomes.length} kills lost nothing`);
    expect(outcomes.filter((o) => !o.lostNothing)).toEqual([]);
  }, 240_000);
});
