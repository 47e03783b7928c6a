/**
 * Case 1, per-step overhead: 200 trivial steps (`true`) on one host through the runner, against 200
 * fresh `ssh host true` and 200 `ssh host true` multiplexed over an OpenSSH ControlMaster.
 *
 * The runner's time includes connecting (a fresh pool per repetition) and the journal's fsyncs at
 * every step boundary; the multiplexed baseline's master connects before the clock starts, so the
 * comparison leans in OpenSSH's favour.
 */
import path from 'node:path';
import {
  type Bench,
  type CaseResult,
  expectSuccess,
  formatMs,
  formatRatio,
  median,
  openSshOptions,
  openSshTarget,
  repeat,
  runEngine,
  runProcess,
  timed,
  writeRunbook,
} from './setup';

const STEPS = 200;

export async function perStepCase(bench: Bench): Promise<CaseResult> {
  const quick = bench.options.quick;
  const lab = await bench.lab('per-step-lab', 1);
  const host = lab.hosts[0];
  const work = bench.dir('per-step');
  const runbook = writeRunbook(
    work,
    'per-step',
    Array.from({ length: STEPS }, (_, index) => `  - { id: s${index + 1}, title: Step ${index + 1}, on: ${host.name}, run: "true" }`),
  );
  const ssh = [...openSshOptions(lab), ...openSshTarget(host)];
  const sequential = async (extra: string[]) => {
    for (let index = 0; index < STEPS; index++) {
      expectSuccess(await runProcess('ssh', [...extra, ...ssh, 'true'], { timeoutMs: 30_000 }), 'ssh true');
    }
  };

  const controlPath = path.join(work, 'control.sock');
  const mux = ['-o', `ControlPath=${controlPath}`];
  expectSuccess(await runProcess('ssh', [...mux, '-o', 'ControlMaster=yes', '-o', 'ControlPersist=300', '-N', '-f', ...ssh]), 'ssh ControlMaster');
  bench.onCleanup('ssh ControlMaster', async () => {
    await runProcess('ssh', [...mux, '-O', 'exit', ...ssh], { timeoutMs: 10_000 });
  });

  // One warm-up of each, not counted: the first run pays for loading code and for page cache.
  await runEngine(runbook, lab.envFile, path.join(work, 'audit-warmup'));
  await sequential(mux);
  const runnerMs: number[] = [];
  const muxMs: number[] = [];
  // Interleaved, so a busy moment of the (shared) machine hits both alike.
  await repeat('runner 200 steps, OpenSSH multiplexed 200 commands', quick ? 2 : 7, async (index) => {
    const run = await runEngine(runbook, lab.envFile, path.join(work, `audit-${index}`));
    if (run.status !== 'succeeded') throw new Error(`the per-step run ended ${run.status}`);
    runnerMs.push(run.ms);
    muxMs.push(await timed(() => sequential(mux)));
  });
  await runProcess('ssh', [...mux, '-O', 'exit', ...ssh], { timeoutMs: 10_000 });

  const plainMs = await repeat('OpenSSH, 200 fresh connections', quick ? 1 : 3, () => timed(() => sequential(['-o', 'ControlMaster=no', '-o', 'ControlPath=none'])));

  const runner = median(runnerMs);
  const multiplexed = median(muxMs);
  const plain = median(plainMs);
  return {
    id: 1,
    title: 'Per-step overhead (200 × `true` on one host)',
    rows: [
      {
        figure: `runner, ${STEPS} steps (median of ${runnerMs.length}), ${formatMs(runner / STEPS)} a step`,
        value: formatMs(runner),
        baseline: `OpenSSH ControlMaster: ${formatMs(multiplexed)} (median of ${muxMs.length})`,
        ratio: `${formatRatio(runner / multiplexed)}x the time`,
        target: '≤ 0.5x',
        met: runner / multiplexed <= 0.5,
      },
      {
        figure: `runner, ${STEPS} steps`,
        value: formatMs(runner),
        baseline: `plain ssh, new connection each: ${formatMs(plain)} (median of ${plainMs.length})`,
        ratio: `${formatRatio(plain / runner)}x faster`,
        target: '≥ 20x faster',
        met: plain / runner >= 20,
      },
    ],
    notes: [
      'Runner: a generated 200-step runbook through createRunSession with a real journal (step.started and step.finished each fsynced, head.json rewritten in place after each: one pwrite, fsynced by the 1 s timer) and a transcript, in a fresh SSH pool per repetition: its time includes connecting.',
      'OpenSSH multiplexed: the ControlMaster connects before the clock starts.',
      `All runs: ${runnerMs.map((ms) => formatMs(ms)).join(', ')} (runner); ${muxMs.map((ms) => formatMs(ms)).join(', ')} (multiplexed); ${plainMs.map((ms) => formatMs(ms)).join(', ')} (plain).`,
    ],
  };
}
