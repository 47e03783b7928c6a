/**
 * Case 5, the journal: events appended per second with the fsync policy in force (output buffered and
 * fsynced by the 1 s timer; step boundaries fsynced and head.json rewritten in place before append returns), and
 * `audit verify` of a 100,000-event journal.
 *
 * Baselines: the same bytes written with plain `fs.writeSync` (and `fsyncSync` for the boundaries):
 * what the disk allows without masking, hashing or head.json.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '../electron/core/audit/events';
import { Journal } from '../electron/core/audit/journal';
import { Masker } from '../electron/core/audit/mask';
import { verifyJournal } from '../electron/core/audit/verify';
import { BENCH_DIR, type Bench, type CaseResult, expectSuccess, formatMs, formatRatio, median, repeat, runProcess } from './setup';

const OUTPUT_LINE = '2026-11-21 12:00:00.123 4242 INFO nova.compute.manager [req-3f2a9c1e] Instance ACTIVE on compute01\n';
const VERIFY_EVENTS = 100_000;

const stepStarted = (index: number): RunEvent => ({ type: 'step.started', step: `step-${index}`, title: `Step ${index}`, kind: 'run', hosts: ['compute01'], attempt: 1 });
const stepFinished = (index: number): RunEvent => ({ type: 'step.finished', step: `step-${index}`, status: 'succeeded', durationMs: 12, exitCode: 0, checks: [], captures: {} });
const output = (index: number): RunEvent => ({ type: 'step.output', step: `step-${Math.floor(index / 100)}`, host: 'compute01', stream: 'stdout', data: OUTPUT_LINE });

/** Appends `count` events made by `make` to a new journal; events per second. */
function appendRate(directory: string, runId: string, count: number, make: (index: number) => RunEvent): number {
  const journal = Journal.create(directory, runId, new Masker(['s3cret-db-password', 'rabbit-pass']));
  try {
    const start = process.hrtime.bigint();
    for (let index = 0; index < count; index++) journal.append(make(index));
    journal.flushOutput();
    return count / (Number(process.hrtime.bigint() - start) / 1e9);
  } finally {
    journal.close();
  }
}

/** The same number of lines of the same size written with plain writeSync (and fsyncSync when `sync`). */
function rawRate(file: string, count: number, line: string, sync: boolean): number {
  const fd = fs.openSync(file, 'a');
  try {
    const bytes = Buffer.from(line);
    const start = process.hrtime.bigint();
    for (let index = 0; index < count; index++) {
      fs.writeSync(fd, bytes);
      if (sync) fs.fsyncSync(fd);
    }
    return count / (Number(process.hrtime.bigint() - start) / 1e9);
  } finally {
    fs.closeSync(fd);
  }
}

/** A line of the journal's file: the raw baseline writes lines of the same size. */
function sampleLine(directory: string, runId: string, type: string): string {
  const text = fs.readFileSync(path.join(directory, 'runs', runId, 'journal.jsonl'), 'utf8');
  return `${text.split('\n').find((line) => line.includes(`"type":"${type}"`))}\n`;
}

export async function journalCase(bench: Bench): Promise<CaseResult> {
  const quick = bench.options.quick;
  const work = bench.dir('journal');
  const reps = quick ? 2 : 5;
  const outputCount = quick ? 20_000 : 100_000;
  const boundaryCount = quick ? 200 : 1000;

  let runIndex = 0;
  const outputRates = await repeat('output events', reps, async () => appendRate(work, `out-${runIndex++}`, outputCount, output));
  const outputLine = sampleLine(work, 'out-0', 'step.output');
  const rawOutputRates = await repeat('raw writes', reps, async (index) => rawRate(path.join(work, `raw-out-${index}`), outputCount, outputLine, false));
  const boundaryRates = await repeat('step boundaries', reps, async () =>
    appendRate(work, `bound-${runIndex++}`, boundaryCount, (index) => (index % 2 === 0 ? stepStarted(index / 2) : stepFinished((index - 1) / 2))),
  );
  const boundaryLine = sampleLine(work, 'bound-' + (runIndex - 1), 'step.finished');
  const rawBoundaryRates = await repeat('raw write + fsync', reps, async (index) => rawRate(path.join(work, `raw-bound-${index}`), boundaryCount, boundaryLine, true));

  // A 100,000-event journal shaped like a run: a step every 100 events, output in between.
  const verifyDir = path.join(work, 'verify');
  const verifyRunId = 'verify-100k';
  const journal = Journal.create(verifyDir, verifyRunId, new Masker(), { syncIntervalMs: 0 });
  for (let index = 0; index < VERIFY_EVENTS; index++) {
    journal.append(index % 100 === 0 ? stepStarted(index / 100) : index % 100 === 99 ? stepFinished((index - 99) / 100) : output(index));
  }
  journal.close();
  const journalFile = path.join(verifyDir, 'runs', verifyRunId, 'journal.jsonl');
  const journalBytes = fs.statSync(journalFile).size;
  const verifyMs = await repeat('verifyJournal, 100,000 events', reps, async () => {
    const start = process.hrtime.bigint();
    const result = verifyJournal(journalFile);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (!result.ok || result.records !== VERIFY_EVENTS) throw new Error(`the 100,000-event journal did not verify: ${JSON.stringify(result.problems.slice(0, 3))}`);
    return ms;
  });
  // Not timed: the first command after a change of the sources makes the CLI's bundle (bin/opsdeck.mjs).
  expectSuccess(await runProcess(process.execPath, [path.join(BENCH_DIR, '..', 'bin', 'opsdeck.mjs'), '--help']), 'opsdeck --help');
  const cliMs = await repeat(
    'opsdeck audit verify (CLI, whole process)',
    reps,
    async () =>
      expectSuccess(
        await runProcess(process.execPath, [path.join(BENCH_DIR, '..', 'bin', 'opsdeck.mjs'), 'audit', 'verify', verifyRunId, '--audit-dir', verifyDir]),
        'opsdeck audit verify',
      ).ms,
  );

  const perSecond = (rate: number) => `${Math.round(rate).toLocaleString('en-US')} events/s`;
  const out = median(outputRates);
  const rawOut = median(rawOutputRates);
  const bound = median(boundaryRates);
  const rawBound = median(rawBoundaryRates);
  const verify = median(verifyMs);
  const cli = median(cliMs);
  return {
    id: 5,
    title: 'Journal',
    rows: [
      {
        figure: `output events (${outputLine.length} B lines), masked, hashed, written; fsynced by the 1 s timer (median of ${reps})`,
        value: perSecond(out),
        baseline: `plain writeSync of the same lines: ${perSecond(rawOut)}`,
        ratio: `${formatRatio(out / rawOut)}x the rate`,
        target: '(context)',
        met: null,
      },
      {
        figure: 'step boundaries (step.started/step.finished): fsync + head.json rewritten in place, each',
        value: perSecond(bound),
        baseline: `plain writeSync + fsyncSync: ${perSecond(rawBound)}`,
        ratio: `${formatRatio(bound / rawBound)}x the rate`,
        target: '(context)',
        met: null,
      },
      {
        figure: `verifyJournal, ${VERIFY_EVENTS.toLocaleString('en-US')} events (${(journalBytes / 1024 / 1024).toFixed(0)} MiB)`,
        value: formatMs(verify),
        baseline: 'target: 1 s',
        ratio: `${formatRatio(verify / 1000)}x the target`,
        target: '< 1 s',
        met: verify < 1000,
      },
      {
        figure: '`opsdeck audit verify` of that journal, whole CLI process (node start-up and the bundled CLI loading included; the bundle made before the clock starts)',
        value: formatMs(cli),
        baseline: 'target: 1 s',
        ratio: `${formatRatio(cli / 1000)}x the target`,
        target: '< 1 s',
        met: cli < 1000,
      },
    ],
    notes: [
      'Every journal here masks with two declared secrets, as a run with secret parameters does.',
      "Output events are not fsynced one by one (docs/audit-trail.md, Durability): their rate is bound by masking, hashing and write(2); step boundaries are bound by the disk's fsync.",
      `All runs: output ${outputRates.map((rate) => Math.round(rate)).join(', ')} events/s; boundaries ${boundaryRates.map((rate) => Math.round(rate)).join(', ')} events/s; verify ${verifyMs.map(formatMs).join(', ')}; CLI ${cliMs.map(formatMs).join(', ')}.`,
    ],
  };
}
