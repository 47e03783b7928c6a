/**
 * Case 3, output throughput: 200 MiB of log-like text from one step through the runner into the
 * journal and the transcript, against `ssh host 'same command' > /dev/null`. The engine runs in a child
 * process so its peak memory is measured alone; 50 MiB and 200 MiB runs show whether it stays flat.
 *
 * After the timed runs, the last journal is verified (hash chain) and its output records and the
 * transcript are counted: every byte the host printed must be there.
 */
import path from 'node:path';
import { verifyJournal } from '../electron/core/audit/verify';
import {
  type Bench,
  type CaseResult,
  castChars,
  expectSuccess,
  formatMs,
  formatRatio,
  journalOutputChars,
  median,
  MIB,
  openSshOptions,
  openSshTarget,
  progress,
  repeat,
  runEngineInChild,
  runProcess,
  writeRunbook,
  type ChildEngineRun,
} from './setup';

/** A nova-compute log line (99 bytes with its newline). */
const LINE = '2026-11-21 12:00:00.123 4242 INFO nova.compute.manager [req-3f2a9c1e] Instance ACTIVE on compute01';

/** A command printing exactly `bytes` bytes of {@link LINE}s. */
function outputCommand(bytes: number): string {
  return `yes '${LINE}' | head -c ${bytes}`;
}

export async function throughputCase(bench: Bench): Promise<CaseResult> {
  const quick = bench.options.quick;
  const lab = await bench.lab('throughput-lab', 1);
  const host = lab.hosts[0];
  const work = bench.dir('throughput');
  const sizes = { small: (quick ? 20 : 50) * MIB, large: (quick ? 50 : 200) * MIB };
  const runbookFor = (bytes: number) =>
    writeRunbook(work, `output-${bytes / MIB}m`, [`  - { id: flood, title: Flood, on: ${host.name}, timeout: 10m, run: "${outputCommand(bytes)}" }`]);
  const small = runbookFor(sizes.small);
  const large = runbookFor(sizes.large);
  const ssh = [...openSshOptions(lab), ...openSshTarget(host)];

  let auditIndex = 0;
  const engine = async (runbook: string): Promise<ChildEngineRun> => {
    const auditDir = path.join(work, `audit-${auditIndex++}`);
    const run = await runEngineInChild(runbook, lab.envFile, auditDir);
    if (run.status !== 'succeeded') throw new Error(`the output run ended ${run.status}`);
    return run;
  };
  const openSsh = async () => expectSuccess(await runProcess('ssh', [...ssh, outputCommand(sizes.large)], { stdout: 'discard', timeoutMs: 600_000 }), 'ssh').ms;

  await engine(small);
  await openSsh();
  const reps = quick ? 2 : 5;
  const largeRuns: ChildEngineRun[] = [];
  const smallRuns: ChildEngineRun[] = [];
  const sshMs: number[] = [];
  await repeat(`runner ${sizes.large / MIB} MiB, runner ${sizes.small / MIB} MiB, ssh > /dev/null`, reps, async () => {
    largeRuns.push(await engine(large));
    smallRuns.push(await engine(small));
    sshMs.push(await openSsh());
  });

  progress('checking the last journal and transcript');
  const last = largeRuns.at(-1)!;
  const verification = verifyJournal(path.join(last.runDirectory, 'journal.jsonl'));
  const recorded = await journalOutputChars(path.join(last.runDirectory, 'journal.jsonl'));
  const lines = Math.ceil(sizes.large / (LINE.length + 1));
  // The transcript turns each \n into \r\n and adds the command's own line.
  const castExpected = sizes.large + lines;
  const cast = await castChars(path.join(last.runDirectory, 'transcripts', `${host.name}.cast`));
  const everyByte = recorded.outputChars === sizes.large && cast >= castExpected && verification.ok;

  const runnerMs = median(largeRuns.map((run) => run.ms));
  const baselineMs = median(sshMs);
  const rate = (ms: number) => `${((sizes.large / MIB) / (ms / 1000)).toFixed(0)} MiB/s`;
  const peakLarge = median(largeRuns.map((run) => run.peakRssMiB));
  const peakSmall = median(smallRuns.map((run) => run.peakRssMiB));
  return {
    id: 3,
    title: 'Output throughput (one step, 200 MiB)',
    rows: [
      {
        figure: `runner → journal + transcript, ${sizes.large / MIB} MiB (median of ${reps}): ${rate(runnerMs)}`,
        value: formatMs(runnerMs),
        baseline: `ssh host cmd > /dev/null: ${formatMs(baselineMs)} (${rate(baselineMs)})`,
        ratio: `${formatRatio(baselineMs / runnerMs)}x the throughput`,
        target: '≥ 1x',
        met: runnerMs <= baselineMs,
      },
      {
        figure: 'every byte recorded, journal verifies',
        value: `${recorded.outputChars} of ${sizes.large} bytes in ${recorded.records} records; ${verification.ok ? 'verified' : `NOT verified: ${verification.problems[0]?.message}`}`,
        baseline: `transcript: ${cast} characters (≥ ${castExpected} expected with \\r\\n)`,
        ratio: '',
        target: 'all bytes, chain intact',
        met: everyByte,
      },
      {
        figure: `console peak RSS, ${sizes.large / MIB} MiB of output`,
        value: `${peakLarge.toFixed(0)} MiB`,
        baseline: `${sizes.small / MIB} MiB of output: ${peakSmall.toFixed(0)} MiB`,
        ratio: `${formatRatio(peakLarge / peakSmall)}x`,
        target: 'flat (≈ 1x)',
        met: peakLarge / peakSmall <= 1.15,
      },
    ],
    notes: [
      `Output: \`${outputCommand(sizes.large)}\` (lines of ${LINE.length + 1} bytes). Runner and OpenSSH both connect inside the time (fresh pool; fresh ssh).`,
      'Runner: the engine in a child process (bench/engine-child.ts), run through createRunSession; its time ends when the journal is closed (fsynced). Peak RSS is the child\'s VmHWM, whole process.',
      'The UI half of case 3 (the same flood in the browser window) is the next part, bench/ui-flood.ts.',
      `All runs: runner ${largeRuns.map((run) => formatMs(run.ms)).join(', ')}; ssh ${sshMs.map(formatMs).join(', ')}; peak RSS ${largeRuns.map((run) => run.peakRssMiB.toFixed(0)).join(', ')} MiB (large), ${smallRuns.map((run) => run.peakRssMiB.toFixed(0)).join(', ')} MiB (small).`,
    ],
  };
}
