/**
 * The console end to end, in a real browser: Debian's Chromium (playwright-core) against browser
 * mode (electron/server.ts on a free port), with the real SSH lab behind it, started from the UI's
 * own "Start the local lab" offer. One operator's night: start the lab, check hosts, find a runbook,
 * fix a parameter, read the plan, run it (fan-out output, a typed destructive confirmation, a
 * decision, a failure retried), abort and roll back, type in a host terminal, and read the run back
 * in the audit history with its journal verified. Screenshots of each screen go to
 * test-output/screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleService } from '../../electron/app/service';
import { BUNDLED_RUNBOOKS_DIR } from '../../electron/core/inventory/environment';
import { RENDERER_DIR, startServer, type RunningServer } from '../../electron/server';
import { launchChromium } from './browser';

const SCREENSHOTS = path.resolve('test-output/screenshots');

const DRILL_RUNBOOK = `id: console-drill
title: Console drill
version: "1.0"
description: |
  Exercises the console against the lab: fan-out output, a destructive step, a decision,
  a step that fails once, a manual step, and a rollback.
tags: [example, drill]
requires: [controller, compute]
params:
  marker:
    type: string
    required: true
    pattern: "[a-z0-9-]+"
    description: Name of the marker file.
  lines:
    type: int
    default: 3
    min: 1
    max: 50
steps:
  - id: count-lines
    title: Count on every compute host
    description: Prints a few numbered lines on each compute host at once.
    on: compute
    concurrency: 2
    run: for i in $(seq 1 {{ params.lines }}); do echo "line $i from $(hostname)"; done
    expect:
      stdout:
        - contains: line
  - id: write-marker
    title: Write the marker on the controller
    on: controller01
    destructive:
      warning: Writes /tmp/{{ params.marker }} on controller01.
    run: echo written > /tmp/{{ params.marker }}
  - id: go-on
    title: Go on?
    decision:
      question: The marker is written. Go on to the flaky check?
      choices:
        - id: go
          label: Go on
        - id: stop
          label: Stop here
          next: end
  - id: flaky
    title: A check that fails the first time
    on: controller01
    run: test -e /tmp/{{ params.marker }}.seen || { touch /tmp/{{ params.marker }}.seen; echo not ready yet >&2; exit 3; }
  - id: look
    title: Look at the controller
    manual: Open a terminal on controller01 and look at /tmp/{{ params.marker }}.
rollback:
  - undoes: write-marker
    id: remove-marker
    title: Remove the marker
    on: controller01
    run: rm -f /tmp/{{ params.marker }} /tmp/{{ params.marker }}.seen
`;

/** A runbook with a mistake, to show validation problems in the library. */
const BROKEN_RUNBOOK = `id: broken-one
title: Broken
version: "1"
steps:
  - id: a
    title: no kind here
`;

let home: string;
let service: ConsoleService;
let server: RunningServer;
let browser: Browser;
let page: Page;
const marker = `opsdeck-e2e-${process.pid}`;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/** The visible text of the terminal showing in `scope`. */
async function terminalText(scope = page.locator('body')): Promise<string> {
  return (await scope.locator('.terminal-view .xterm-rows').first().innerText()).replace(/\u00a0/g, ' ');
}

async function waitForTerminalText(text: string, scope = page.locator('body')): Promise<void> {
  await expect.poll(() => terminalText(scope), { timeout: 20_000 }).toContain(text);
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  home = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-e2e-'));
  mkdirSync(path.join(home, 'runbooks'), { recursive: true });
  writeFileSync(path.join(home, 'runbooks', 'console-drill.yaml'), DRILL_RUNBOOK);
  writeFileSync(path.join(home, 'runbooks', 'broken-one.yaml'), BROKEN_RUNBOOK);
  service = new ConsoleService({
    auditDir: path.join(home, 'audit'),
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: path.join(home, 'runbooks'),
    environmentsDir: path.join(home, 'environments'),
    operator: 'e2e-operator',
  });
  server = await startServer({ service, rendererDir: RENDERER_DIR });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await service?.close();
  rmSync(`/tmp/${marker}`, { force: true });
  rmSync(`/tmp/${marker}.seen`, { force: true });
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('the console in a real browser, against the SSH lab', () => {
  it('offers the lab on first start, starts it, and checks its hosts', async () => {
    await page.goto(server.url);
    // The token leaves the address bar at once (the cookie carries it from here).
    await expect.poll(() => page.url()).not.toContain('token=');
    await page.getByRole('button', { name: 'Start the local lab' }).click();
    const labEnvironment = page.locator('.environment-list label', { hasText: 'LAB' });
    await labEnvironment.waitFor({ timeout: 60_000 });
    await labEnvironment.locator('input[type=radio]').check();
    // Forget compute02's host key, as if it had never been seen: the check must show its
    // fingerprint and let the operator trust it, in two steps.
    const environments = await service.dispatch('environment:list', {});
    if (!environments.ok) throw new Error(environments.error.userMessage);
    const [environment] = environments.value as Array<{ file: string; hosts: Array<{ name: string; address: string; port: number }> }>;
    const compute02 = environment.hosts.find((host) => host.name === 'compute02')!;
    const knownHosts = path.join(path.dirname(environment.file), 'known_hosts');
    const lines = readFileSync(knownHosts, 'utf8').split('\n');
    writeFileSync(knownHosts, lines.filter((line) => !line.startsWith(`[${compute02.address}]:${compute02.port} `)).join('\n'));
    await page.getByRole('button', { name: 'Check hosts' }).click();
    for (const host of ['controller01', 'compute01']) {
      await page.locator(`tr[data-host="${host}"][data-state="ok"]`).waitFor({ timeout: 20_000 });
    }
    const unknown = page.locator('tr[data-host="compute02"][data-state="host-key-unknown"]');
    await unknown.waitFor({ timeout: 20_000 });
    expect(await unknown.innerText()).toMatch(/presented ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}/);
    await unknown.getByRole('button', { name: 'Trust this key…' }).click();
    await shot('environment-host-key');
    await unknown.getByRole('button', { name: /^Trust SHA256:/ }).click();
    await page.locator('tr[data-host="compute02"][data-state="ok"]').waitFor({ timeout: 20_000 });
    expect(readFileSync(knownHosts, 'utf8')).toContain(`[${compute02.address}]:${compute02.port} `);
    await shot('environment');
  });

  it('lists bundled and user runbooks, searches them, and shows validation problems inline', async () => {
    await page.getByRole('button', { name: 'Runbooks', exact: true }).click();
    await page.locator('[data-runbook="hello-lab"]').waitFor();
    await expect.poll(() => page.locator('[data-runbook="console-drill"]').innerText()).toContain('user');
    await expect.poll(() => page.locator('.problems').innerText()).toMatch(/broken-one\.yaml:\d+:\d+/);
    await page.getByRole('searchbox', { name: 'Search runbooks' }).fill('drill');
    await expect.poll(() => page.locator('.runbook-list > li').count()).toBe(1);
    await page.locator('[data-runbook="console-drill"] .runbook-main').click();
    await shot('library');
  });

  it('checks parameters per field, then shows the resolved plan before anything runs', async () => {
    await page.locator('[data-runbook="console-drill"]').getByRole('button', { name: 'Run…' }).click();
    await page.getByLabel('marker').fill('Not Valid!');
    await page.getByRole('button', { name: 'Preview plan' }).click();
    await expect.poll(() => page.locator('[data-param="marker"] .field-problem').innerText()).toContain('pattern');
    await expect(page.getByRole('button', { name: 'Start run' }).isDisabled()).resolves.toBe(true);
    // Out of the engine's bounds: its ParamError comes back for the field.
    await page.getByLabel('marker').fill(marker);
    await page.getByLabel('lines').fill('3');
    await page.getByRole('button', { name: 'Preview plan' }).click();
    const plan = page.locator('.plan-preview');
    await plan.waitFor();
    const planText = await plan.innerText();
    expect(planText).toContain(`echo written > /tmp/'${marker}'`);
    expect(planText).toMatch(/compute01\s+for i in \$\(seq 1 '3'\)/);
    expect(planText).toContain('destructive: type “controller01”');
    expect(planText).toContain('Remove the marker');
    await shot('start-plan');
  });

  it('runs: live fan-out output, a typed destructive confirmation, a decision, a failure retried', async () => {
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.locator('.run-screen').waitFor();
    await page.locator('[data-step="count-lines"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
    await page.getByRole('tab', { name: 'compute02' }).click();
    await waitForTerminalText('line 3 from compute02');
    await page.getByRole('tab', { name: 'compute01' }).click();
    await waitForTerminalText('line 3 from compute01');

    const confirm = page.getByRole('form', { name: 'Confirm destructive step' });
    await confirm.waitFor({ timeout: 20_000 });
    const runButton = confirm.getByRole('button', { name: 'Run destructive step' });
    await shot('run-confirm');
    expect(await runButton.isDisabled()).toBe(true);
    await confirm.getByLabel('Confirmation text').fill('controller0');
    expect(await runButton.isDisabled()).toBe(true);
    await confirm.getByLabel('Confirmation text').fill('controller01');
    expect(await runButton.isDisabled()).toBe(false);
    await runButton.click();
    await page.locator('[data-step="write-marker"][data-status="succeeded"]').waitFor({ timeout: 20_000 });
    expect(readFileSync(`/tmp/${marker}`, 'utf8')).toBe('written\n');

    await page.getByRole('group', { name: 'Decision' }).getByRole('button', { name: 'Go on' }).click();
    await page.locator('[data-step="go-on"][data-status="succeeded"]').waitFor();

    const failure = page.getByRole('group', { name: 'Failed step' });
    await failure.waitFor({ timeout: 20_000 });
    await page.locator('[data-step="flaky"][data-status="failed"]').waitFor();
    await page.getByRole('tab', { name: 'controller01' }).click();
    await waitForTerminalText('not ready yet');
    await shot('run-failed');
    await failure.getByRole('button', { name: 'Retry step' }).click();
    await page.locator('[data-step="flaky"][data-status="succeeded"]').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('[data-step="flaky"]').innerText()).toContain('attempt 2');
  });

  it('aborts with a reason and rolls back, never in one click', async () => {
    await page.getByRole('group', { name: 'Manual step' }).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Abort…' }).click();
    const abortForm = page.getByRole('form', { name: 'Abort the run' });
    expect(await abortForm.getByRole('button', { name: 'Abort and roll back' }).isDisabled()).toBe(true);
    await abortForm.getByLabel('Reason to abort').fill('drill over: undo the marker');
    await shot('run-abort');
    await abortForm.getByRole('button', { name: 'Abort and roll back' }).click();
    await page.locator('[data-run-status="rolled-back"]').first().waitFor({ timeout: 30_000 });
    await page.locator('[data-step="rollback/remove-marker"][data-status="succeeded"]').waitFor();
    expect(existsSync(`/tmp/${marker}`)).toBe(false);
    await shot('run-rolled-back');
  });

  it('opens a host terminal, types a command, searches the scrollback, and records it', async () => {
    await page.getByRole('button', { name: 'Terminals', exact: true }).click();
    await page.getByLabel('Host').selectOption('compute01');
    await page.getByRole('button', { name: 'Open terminal' }).click();
    const view = page.locator('.terminals-screen');
    await view.locator('.terminal-view .xterm-rows').waitFor();
    await waitForTerminalText('$', view);
    await view.locator('.terminal-view').click();
    await page.keyboard.type('echo opsdeck-$((6*7)) on $(hostname)\n');
    await waitForTerminalText('opsdeck-42 on compute01', view);
    await view.getByLabel('Search in terminal').fill('opsdeck-42');
    await view.getByLabel('Search in terminal').press('Enter');
    await expect.poll(() => view.locator('.terminal-toolbar').innerText()).not.toContain('not found');
    await shot('terminal');
    const terminalsDir = path.join(home, 'audit', 'terminals');
    await expect
      .poll(() => {
        const files = existsSync(terminalsDir) ? readdirSync(terminalsDir) : [];
        return files.length === 1 ? readFileSync(path.join(terminalsDir, files[0]), 'utf8') : '';
      })
      .toContain('opsdeck-42 on compute01');
    const cast = readFileSync(path.join(terminalsDir, readdirSync(terminalsDir)[0]), 'utf8');
    expect(cast).toMatch(/"i","echo/);
  });

  it('finds the run in the audit history with its journal verified and its transcripts replayed', async () => {
    await page.getByRole('button', { name: 'Audit', exact: true }).click();
    await page.getByLabel('Status').selectOption('rolled-back');
    const row = page.locator('.audit-table tbody tr').filter({ hasText: 'Console drill' });
    await expect.poll(() => row.count()).toBe(1);
    await row.click();
    await page.locator('[data-verified="yes"]').waitFor({ timeout: 20_000 });
    const timeline = await page.getByRole('list', { name: 'Timeline' }).innerText();
    expect(timeline).toContain('typed "controller01"');
    expect(timeline).toContain('drill over: undo the marker');
    await shot('audit');
    await page.getByRole('tab', { name: 'transcripts' }).click();
    await page.getByRole('button', { name: 'compute01' }).click();
    await waitForTerminalText('line 1 from compute01', page.locator('.transcript'));
    await page.getByRole('tab', { name: 'report' }).click();
    await expect.poll(() => page.locator('.report').innerText()).toContain('console-drill');
    await shot('audit-report');
  });
});
