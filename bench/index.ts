/**
 * `npm run bench`: sets up what the cases need on loopback, runs each case against its baseline in
 * the same run, and writes bench/RESULTS.md.
 *
 *     npm run bench                 every case
 *     npm run bench -- --cases 1,3  some cases (RESULTS.md then lists only those)
 *     npm run bench -- --case fan-out-scale   one part by name (several: comma-separated)
 *     npm run bench -- --quick      fewer repetitions and smaller sizes: checks the harness, not results
 *     npm run bench -- --work DIR   work there instead of bench/work (emptied first; one bench per directory)
 *     npm run bench -- --output FILE  write the results there instead of bench/RESULTS.md
 *     npm run bench -- --case fan-out-scale --no-ansible --sizes 300   without Ansible, only 300 hosts
 *     npm run bench -- --reps N     N repetitions in fan-out-scale and throughput
 *
 * Benchmarks are not tests: vitest never collects bench/ (its files are not *.test.ts).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { backupCase } from './backup';
import { consoleStartCase } from './console-start';
import { fanOutCase } from './fan-out';
import { fanOutScaleCase } from './fan-out-scale';
import { journalCase } from './journal';
import { perStepCase } from './per-step';
import { Bench, BENCH_DIR, type CaseResult, loadAverage, machineInfo, progress } from './setup';
import { throughputCase } from './throughput';
import { uiFloodCase } from './ui-flood';
import { uiScaleCase } from './ui-scale';

/**
 * In order; a case may have several parts (2: 30 hosts, then 100 and 300, then the window under 300; 3: the engine, then the
 * window), each with its own cleanup and its own name for --case.
 */
const CASES: Array<{ id: number; name: string; title: string; run: (bench: Bench) => Promise<CaseResult> }> = [
  { id: 1, name: 'per-step', title: 'per-step overhead', run: perStepCase },
  { id: 2, name: 'fan-out', title: 'fan-out', run: fanOutCase },
  { id: 2, name: 'fan-out-scale', title: 'fan-out at 100 and 300 hosts', run: fanOutScaleCase },
  { id: 2, name: 'ui-scale', title: 'the Runs screen under a 300-host run', run: uiScaleCase },
  { id: 3, name: 'throughput', title: 'output throughput', run: throughputCase },
  { id: 3, name: 'ui-flood', title: 'output in the window', run: uiFloodCase },
  { id: 4, name: 'backup', title: 'backup streaming', run: backupCase },
  { id: 5, name: 'journal', title: 'journal', run: journalCase },
  { id: 6, name: 'console-start', title: 'console start', run: consoleStartCase },
];

const { values } = parseArgs({
  options: {
    cases: { type: 'string' },
    case: { type: 'string' },
    quick: { type: 'boolean' },
    output: { type: 'string' },
    work: { type: 'string' },
    'no-ansible': { type: 'boolean' },
    sizes: { type: 'string' },
    reps: { type: 'string' },
  },
});
const ids = new Set(CASES.map((entry) => entry.id));
const names = new Set(CASES.map((entry) => entry.name));
const chosenIds = values.cases ? values.cases.split(',').map(Number) : [...ids];
for (const id of chosenIds) if (!ids.has(id)) throw new Error(`There is no case ${id} (cases: ${[...ids].join(', ')}).`);
const chosenNames = values.case ? values.case.split(',') : undefined;
for (const name of chosenNames ?? []) if (!names.has(name)) throw new Error(`There is no case named ${name} (names: ${[...names].join(', ')}).`);
const bench = new Bench({
  quick: values.quick ?? false,
  work: values.work,
  ansible: !values['no-ansible'],
  sizes: values.sizes?.split(',').map(Number),
  reps: values.reps ? Number(values.reps) : undefined,
});
const results: CaseResult[] = [];
const startedAt = new Date();
const stopOnSignal = () => {
  void bench.cleanup().finally(() => process.exit(130));
};
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);
try {
  for (const entry of CASES.filter((candidate) => (chosenNames ? chosenNames.includes(candidate.name) : chosenIds.includes(candidate.id)))) {
    const id = entry.id;
    progress(`case ${id}: ${entry.title}`);
    try {
      const loadBefore = loadAverage();
      const result = await entry.run(bench);
      result.notes.push(`Load average (1 min) when the case started: ${loadBefore}; when it ended: ${loadAverage()} (2 cores).`);
      results.push(result);
    } catch (error) {
      process.stderr.write(`case ${id} failed: ${(error as Error).stack ?? String(error)}\n`);
      results.push({ id, title: entry.title, rows: [], notes: [], notRun: `failed: ${(error as Error).message.split('\n')[0]}` });
    } finally {
      // Each case's servers stop before the next case starts, so they never compete for the 2 cores.
      await bench.cleanup();
    }
  }
} finally {
  await bench.cleanup();
}
const file = values.output ? path.resolve(values.output) : path.join(BENCH_DIR, 'RESULTS.md');
writeFileSync(file, renderResults(results, await machineInfo(), startedAt, bench.options.quick));
progress(`wrote ${file}`);

function renderResults(cases: CaseResult[], machine: Record<string, string>, when: Date, quick: boolean): string {
  const lines = [
    '# OpsDeck benchmarks',
    '',
    `Written by \`npm run bench\` on ${when.toISOString()}${quick ? ' with --quick (few repetitions: a smoke run, not results)' : ''}.`,
    'Each figure and its baseline were measured in the same run, one after the other, on the machine below;',
    'absolute times are noisy, the ratios are what counts. Times are medians of the repetitions named.',
    '',
    '## Machine',
    '',
    ...Object.entries(machine).map(([name, value]) => `- ${name}: ${value}`),
    '',
    '## Results',
    '',
    '| case | figure | measured | baseline | ratio | target | met |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const result of cases) {
    if (result.notRun) {
      lines.push(`| ${result.id}. ${result.title} | — | ${result.notRun} | | | | |`);
      continue;
    }
    for (const row of result.rows) {
      const met = row.met === null ? '' : row.met ? 'yes' : '**no**';
      lines.push(`| ${result.id}. ${result.title} | ${row.figure} | ${row.value} | ${row.baseline} | ${row.ratio} | ${row.target} | ${met} |`);
    }
  }
  lines.push('', '## Notes', '');
  for (const result of cases) {
    if (result.notes.length === 0 && !result.notRun) continue;
    lines.push(`### ${result.id}. ${result.title}`, '');
    if (result.notRun) lines.push(result.notRun[0].toUpperCase() + result.notRun.slice(1), '');
    for (const note of result.notes) lines.push(`- ${note}`);
    lines.push('');
  }
  return lines.join('\n');
}
