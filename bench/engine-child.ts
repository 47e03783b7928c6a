/**
 * Runs one runbook through the engine in its own process and prints one JSON line: the run's status,
 * its time, this process's peak resident set and its peak of open file descriptors. Used by cases that report memory, so the harness's
 * own memory (and its other cases') never counts.
 *
 *     node --import tsx bench/engine-child.ts <runbook.yaml> <environment.yaml> <auditDir> [<params as JSON>]
 */
import { readdirSync } from 'node:fs';
import { machineBusyMs, peakRssMiB, runEngine } from './setup';

const [runbookFile, envFile, auditDir, paramsJson] = process.argv.slice(2);
if (!runbookFile || !envFile || !auditDir) {
  process.stderr.write('usage: engine-child.ts <runbook.yaml> <environment.yaml> <auditDir> [<params as JSON>]\n');
  process.exit(2);
}
const openFds = () => readdirSync('/proc/self/fd').length;
// Open descriptors (sockets to the hosts, journal, transcripts) sampled while the run goes; its peak is
// what `ulimit -n` must allow.
let peakFds = openFds();
// Every 100 ms: a read of /proc/self/fd with 600 descriptors open costs ~0.3 ms of this process's CPU, and at 25 ms
// the sampling alone took ~0.5 s of the engine's thread in a 300-host run. Descriptors stay open for the whole step.
const sampler = setInterval(() => (peakFds = Math.max(peakFds, openFds())), 100);
const busy = machineBusyMs();
const cpu = process.cpuUsage();
const run = await runEngine(runbookFile, envFile, auditDir, paramsJson ? (JSON.parse(paramsJson) as Record<string, string>) : {});
const used = process.cpuUsage(cpu);
clearInterval(sampler);
const cpuMs = (used.user + used.system) / 1000;
process.stdout.write(`${JSON.stringify({ ...run, peakRssMiB: peakRssMiB(), peakFds, cpuMs, machineCpuMs: machineBusyMs() - busy })}\n`);
