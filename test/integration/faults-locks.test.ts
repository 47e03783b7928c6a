/**
 * FAULT SUITE — two runs on the same host at once. The contract (docs/cli.md, "Host leases"): the
 * second is refused before anything runs (`opsdeck` exit code 9, no journal), with a message naming
 * who holds the host and for which run. The console (ConsoleService, used by Electron and browser
 * mode) must honour the same leases: an operator in the console and one on the CLI share the audit
 * directory and therefore its lock directory.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleService } from '../../electron/app/service';
import { BUNDLED_RUNBOOKS_DIR } from '../../electron/core/inventory/environment';
import type { SshLab } from '../lab/sshd-lab';
import { header, journalText, opsdeck, runIdsIn, spawnCli, startFaultLab, waitFor, workDir, writeRunbook } from '../faults/helpers';

let lab: SshLab;
let work: string;
let auditDir: string;
let service: ConsoleService;
const marker = `/tmp/opsdeck-locks-${process.pid}`;

// A holder holds until the test releases it (a file appears), not for a fixed time: on a loaded machine
// a second `opsdeck` process can take longer to start than any fixed hold (at most 120 s, then it ends).
// The host's commands run as the lab's user, so the test (root) writes and removes the release files.
let holds = 0;
const releases: string[] = [];
function HOLD(id: string): { yaml: string; letGo: () => void } {
  const release = `/tmp/opsdeck-locks-${process.pid}-release-${++holds}`;
  releases.push(release);
  return {
    yaml: `${header(id)}steps:\n  - { id: hold, title: Hold, on: compute01, run: "echo holding-${id}; for i in $(seq 600); do [ -e ${release} ] && break; sleep 0.2; done" }\n`,
    letGo: () => writeFileSync(release, ''),
  };
}
const consoleHold = HOLD('console-hold');
const TOUCH = `${header('second-run')}steps:\n  - { id: touch, title: Touch, on: compute01, run: "touch ${marker}" }\n`;

beforeAll(async () => {
  lab = await startFaultLab();
  work = workDir('locks');
  auditDir = path.join(work, 'audit');
  mkdirSync(path.join(work, 'runbooks'));
  writeFileSync(path.join(work, 'runbooks', 'second-run.yaml'), TOUCH);
  writeFileSync(path.join(work, 'runbooks', 'console-hold.yaml'), consoleHold.yaml);
  service = new ConsoleService({
    auditDir,
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: path.join(work, 'runbooks'),
    environmentsDir: path.join(work, 'environments'),
    environmentFiles: [lab.envFile],
    operator: 'carol-console',
    lab: { availability: () => ({ available: false, reason: 'fault suite' }), start: () => Promise.reject(new Error('no lab')) },
  });
});

afterAll(async () => {
  await service?.close();
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(marker, { force: true });
  for (const release of releases) rmSync(release, { force: true });
});

async function holdWithCli() {
  const hold = HOLD('cli-hold');
  const file = writeRunbook(work, 'cli-hold', hold.yaml);
  const known = new Set(runIdsIn(auditDir));
  const cli = spawnCli(['run', file, '--env', lab.envFile, '--audit-dir', auditDir, '--operator', 'alice-cli']);
  // A run's directory exists a moment before its journal does: a directory without one is not holding yet.
  const holding = () =>
    runIdsIn(auditDir).find((id) => !known.has(id) && existsSync(path.join(auditDir, 'runs', id, 'journal.jsonl')) && journalText(auditDir, id).includes('holding-cli-hold'));
  await waitFor(() => holding() !== undefined, 30_000, 'first run holding compute01');
  const runId = holding()!;
  return { cli, runId, letGo: hold.letGo };
}

describe('fault: two runs on the same host at once', () => {
  it('CLI while another CLI run holds the host: exit 9, holder and run named, no journal, nothing ran', async () => {
    const { cli, runId, letGo } = await holdWithCli();
    const before = runIdsIn(auditDir).length;
    const second = await opsdeck('run', path.join(work, 'runbooks', 'second-run.yaml'), '--env', lab.envFile, '--audit-dir', auditDir, '--operator', 'bob');
    console.log(`[faults-locks] second CLI run: exit ${second.code}: ${second.err.trim()}`);
    expect(second.code).toBe(9);
    expect(second.err).toContain('alice-cli');
    expect(second.err).toContain(runId);
    expect(second.err).toMatch(/compute01/);
    expect(runIdsIn(auditDir).length).toBe(before);
    expect(existsSync(marker)).toBe(false);
    letGo();
    const holder = await cli.exited;
    expect(holder.code, `the holding run: ${cli.out()}${cli.err()}`).toBe(0);
    // Once the holder is done, the host is free again.
    const third = await opsdeck('run', path.join(work, 'runbooks', 'second-run.yaml'), '--env', lab.envFile, '--audit-dir', auditDir, '--operator', 'bob');
    expect(third.code).toBe(0);
    rmSync(marker, { force: true });
  }, 180_000);

  it('console run:start while a CLI run holds the host: refused naming the holder, no journal, nothing ran', async () => {
    const { cli, runId, letGo } = await holdWithCli();
    const before = runIdsIn(auditDir).length;
    const reply = await service.dispatch('run:start', { runbookId: 'second-run', environmentId: lab.envFile, params: {}, onFailure: 'stop' });
    console.log(`[faults-locks] console run:start: ${JSON.stringify(reply).slice(0, 400)}`);
    // Give a wrongly started run the time to touch the marker.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(existsSync(marker)).toBe(false);
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error.userMessage).toContain('alice-cli');
      expect(reply.error.userMessage).toContain(runId);
    }
    expect(runIdsIn(auditDir).length).toBe(before);
    letGo();
    await cli.exited;
    rmSync(marker, { force: true });
  }, 180_000);

  it('CLI while a console run holds the host: exit 9 naming the console operator', async () => {
    const reply = await service.dispatch('run:start', { runbookId: 'console-hold', environmentId: lab.envFile, params: {}, onFailure: 'stop' });
    expect(reply.ok).toBe(true);
    const runId = (reply as { value: { runId: string } }).value.runId;
    await waitFor(
      () => existsSync(path.join(auditDir, 'runs', runId, 'journal.jsonl')) && journalText(auditDir, runId).includes('holding-console-hold'),
      20_000,
      'console run holding',
    );
    const second = await opsdeck('run', path.join(work, 'runbooks', 'second-run.yaml'), '--env', lab.envFile, '--audit-dir', auditDir, '--operator', 'bob');
    console.log(`[faults-locks] CLI while the console holds: exit ${second.code}: ${second.err.trim()}`);
    expect(existsSync(marker)).toBe(false);
    expect(second.code).toBe(9);
    expect(second.err).toContain('carol-console');
    consoleHold.letGo();
    await waitFor(() => /"type":"run.finished"/.test(journalText(auditDir, runId)), 20_000, 'console run finished');
  }, 180_000);
});
