/**
 * Two-person approval in two consoles, in the real Chromium: alice's console (its own ConsoleService,
 * database account alice_db) runs a destructive step on the real sshd lab and shows "waiting for
 * approval from a second operator"; bob's console (another ConsoleService, account bob_db, against
 * the same real MariaDB) lists the request with its step, hosts and exact command, and bob approves it
 * there; alice's run goes on and the step runs (checked on the host).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActiveRun } from '../../electron/api/contract';
import { ConsoleService } from '../../electron/app/service';
import { BUNDLED_RUNBOOKS_DIR } from '../../electron/core/inventory/environment';
import { RENDERER_DIR, startServer, type RunningServer } from '../../electron/server';
import { startMariaDb, type MariaDb } from '../lab/mariadb-server';
import { startSshLab, type SshLab } from '../lab/sshd-lab';
import { journal } from '../support/cli';
import { launchChromium, openPage, screenshotsAtBothSizes } from './browser';
import { twoPersonTeam } from '../support/approval-team';

let lab: SshLab;
let db: MariaDb;
let work: string;
let marker: string;
const envs = { alice: '', bob: '' };
const services: ConsoleService[] = [];
const servers: RunningServer[] = [];
let browser: Browser | undefined;

function consoleOf(who: 'alice' | 'bob'): ConsoleService {
  const service = new ConsoleService({
    auditDir: path.join(work, who, 'audit'),
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: path.join(work, 'runbooks'),
    environmentFiles: [envs[who]],
    operator: who,
    lab: { availability: () => ({ available: false, reason: 'approval console test' }), start: () => Promise.reject(new Error('no lab')) },
  });
  services.push(service);
  return service;
}

async function call<T>(service: ConsoleService, name: string, request: unknown): Promise<T> {
  const reply = await service.dispatch(name, request);
  if (!reply.ok) throw new Error(`${name}: ${reply.error.code}: ${reply.error.userMessage}`);
  return reply.value as T;
}

beforeAll(async () => {
  [lab, db] = await Promise.all([startSshLab({ hosts: [{ name: 'compute01', roles: ['compute'] }] }), startMariaDb()]);
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-approval-console-'));
  chmodSync(work, 0o755);
  mkdirSync(path.join(work, 'markers'), { mode: 0o777 });
  chmodSync(path.join(work, 'markers'), 0o777);
  marker = path.join(work, 'markers', 'wiped');
  const team = await twoPersonTeam(lab.envFile, db, work, 'OPSDECK_TEST_E2E');
  Object.assign(envs, team.envs);
  expect(team.migrated.err).toBe('');
  mkdirSync(path.join(work, 'runbooks'));
  writeFileSync(
    path.join(work, 'runbooks', 'approval-wipe.yaml'),
    `id: approval-wipe\ntitle: Wipe the scratch volume\nversion: "1"\ndescription: approval e2e\nsteps:\n` +
      `  - id: wipe\n    title: Wipe the scratch volume\n    on: compute01\n    destructive: { warning: "Deletes the scratch data." }\n    run: "touch ${marker}"\n`,
  );
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const server of servers) await server.close();
  for (const service of services) await service.close();
  await Promise.all([lab?.stop(), db?.destroy()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('two-person approval in two consoles (Chromium)', () => {
  it("alice's console waits for a second operator; bob's console shows the step, hosts and exact command and approves; the step runs", async () => {
    const alice = consoleOf('alice');
    const bob = consoleOf('bob');
    await call(alice, 'hosts:check', { environmentId: envs.alice });
    const active = await call<ActiveRun>(alice, 'run:start', { runbookId: 'approval-wipe', environmentId: envs.alice, params: {}, onFailure: 'stop' });
    const runId = active.runId;
    servers.push(await startServer({ service: alice, rendererDir: RENDERER_DIR }), await startServer({ service: bob, rendererDir: RENDERER_DIR }));
    browser = await launchChromium();
    const [alicePage, bobPage] = [await openPage(browser), await openPage(browser)];

    // Alice types the confirmation in her console; then it waits for a second operator.
    await alicePage.goto(servers[0].url);
    await alicePage.getByRole('button', { name: 'Runs', exact: true }).click();
    await alicePage.getByLabel('Confirmation text').fill('compute01');
    await alicePage.getByRole('button', { name: 'Run destructive step' }).click();
    const waiting = alicePage.getByRole('group', { name: 'Waiting for approval' });
    await waiting.waitFor({ timeout: 30_000 });
    expect(await waiting.innerText()).toContain('Waiting for approval from a second operator');
    expect(await waiting.getByRole('button', { name: 'Break glass…' }).isVisible()).toBe(true);
    await screenshotsAtBothSizes(alicePage, 'approval-waiting');

    // Alice's own console lists her request, not answerable there.
    await alicePage.getByRole('button', { name: 'Environment', exact: true }).click();
    await alicePage.getByRole('radio').first().check();
    const own = alicePage.locator(`[data-approval-run="${runId}"]`);
    await own.waitFor({ timeout: 30_000 });
    expect(await own.innerText()).toContain('Your own run: a second operator must answer it.');
    expect(await own.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    // Bob's console: the request with its step, hosts and the exact command.
    await bobPage.goto(servers[1].url);
    await bobPage.getByRole('button', { name: 'Environment', exact: true }).click();
    await bobPage.getByRole('radio').first().check();
    const card = bobPage.locator(`[data-approval-run="${runId}"][data-approval-step="wipe"]`);
    await card.waitFor({ timeout: 30_000 });
    const shown = await card.innerText();
    expect(shown).toContain('Wipe the scratch volume');
    expect(shown).toContain('by alice');
    expect(shown).toContain('Deletes the scratch data.');
    expect(await card.locator('.approval-hosts').innerText()).toBe('compute01');
    expect(await card.getByLabel('Commands as sent').innerText()).toBe(`compute01: touch ${marker}`);
    expect(await card.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    await card.getByLabel('Approval reason').fill('CHG-7 reviewed with alice');
    await screenshotsAtBothSizes(bobPage, 'approval-second-console');
    expect(existsSync(marker)).toBe(false);
    await card.getByRole('button', { name: 'Approve' }).click();
    await bobPage.getByText(`Approved step wipe of run ${runId} as bob (db account bob_db@`).waitFor({ timeout: 20_000 });

    // Alice's run goes on: the step runs on the host.
    await alicePage.getByRole('button', { name: 'Runs', exact: true }).click();
    await alicePage.locator('.run-screen').getByText('succeeded').first().waitFor({ timeout: 30_000 });
    expect(existsSync(marker)).toBe(true);
    const records = journal(path.join(work, 'alice', 'audit'), runId);
    expect(records.find((record) => record.type === 'approval.granted')).toMatchObject({ step: 'wipe', approver: 'bob', reason: 'CHG-7 reviewed with alice' });
    await screenshotsAtBothSizes(alicePage, 'approval-approved-run');
  });
});
