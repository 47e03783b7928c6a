/**
 * Issue 13 items 1, 2 and 4 in a real browser (Debian's Chromium via playwright-core) against browser
 * mode and the real SSH lab: a run that waits says "needs you" in the nav, the title and a bar on
 * every screen, and the focus goes to the next thing to do; a reload mid-run restores the chosen
 * environment, the run's output and an open host terminal (which still takes input); the server
 * stopped mid-run shows a banner, the run as "state unknown" and every action disabled, and once it
 * listens again the page reconnects by itself and catches up with what the run did meanwhile.
 * Screenshots at 1280×720 and 1920×1080 go to test-output/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleService } from '../../electron/app/service';
import { RENDERER_DIR, startServer, type RunningServer } from '../../electron/server';
import { SCREENSHOTS, consoleServiceIn, launchChromium, openPage, screenshotsAtBothSizes } from './browser';

const marker = `opsdeck-conn-${process.pid}`;

/** Output first, then a confirmation, a slow step (the server is stopped during it), a manual step. */
const RUNBOOK = `id: connection-drill
title: Connection drill
version: "1.0"
description: Output, a confirmation, a slow step and a manual step on the lab.
steps:
  - id: early-output
    title: Print a few lines
    on: controller01
    run: for i in 1 2 3; do echo "early line $i on $(hostname)"; done
  - id: write-marker
    title: Write the marker
    on: controller01
    destructive:
      warning: Writes /tmp/${marker} on controller01.
    run: echo written > /tmp/${marker}
  - id: slow
    title: A slow step
    on: controller01
    run: sleep 6; echo "slow step done on $(hostname)"
  - id: look
    title: Look at it
    manual: Look at /tmp/${marker} on controller01.
`;

let home: string;
let service: ConsoleService;
let server: RunningServer;
let browser: Browser;
let page: Page;

/** The same screen at both sizes the issue names. */
function shots(name: string): Promise<void> {
  return screenshotsAtBothSizes(page, name);
}

async function terminalText(scope = page.locator('body')): Promise<string> {
  return (await scope.locator('.terminal-view .xterm-rows').first().innerText()).replace(/\u00a0/g, ' ');
}

async function waitForTerminalText(text: string, scope = page.locator('body')): Promise<void> {
  await expect.poll(() => terminalText(scope), { timeout: 30_000 }).toContain(text);
}

/** What has the focus: its accessible label, or its text. */
function focused(): Promise<string> {
  return page
    .locator('*:focus')
    .evaluateAll((elements) => elements.map((element) => (element.getAttribute('aria-label') ?? element.textContent ?? '').trim().slice(0, 80)).join(''));
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  home = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-e2e-conn-'));
  mkdirSync(path.join(home, 'runbooks'), { recursive: true });
  writeFileSync(path.join(home, 'runbooks', 'connection-drill.yaml'), RUNBOOK);
  service = consoleServiceIn(home);
  const lab = await service.dispatch('lab:start', {});
  if (!lab.ok) throw new Error(lab.error.userMessage);
  // A second environment, so the choice is the operator's (one environment would be chosen for them).
  mkdirSync(path.join(home, 'environments'), { recursive: true });
  writeFileSync(
    path.join(home, 'environments', 'other.yaml'),
    'name: other-site\nprofile: systemd\nhosts:\n  - name: elsewhere01\n    address: 192.0.2.10\n    user: ops\n    roles: [controller]\n',
  );
  server = await startServer({ service, rendererDir: RENDERER_DIR });
  browser = await launchChromium();
  page = await openPage(browser);
  // A desktop notification cannot be seen from a test: the page's Notification records what it is
  // asked to show (permission granted), and the window counts as not in front (as when the operator
  // is in another application).
  await page.addInitScript({
    content: `
      window.__notifications = [];
      window.Notification = class {
        static permission = 'granted';
        static requestPermission() { return Promise.resolve('granted'); }
        constructor(title, options) { window.__notifications.push({ title, body: options && options.body }); }
        close() {}
      };
      document.hasFocus = () => false;
    `,
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await service?.close();
  rmSync(`/tmp/${marker}`, { force: true });
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('the console keeps the operator informed: attention, reload, lost backend', () => {
  it('moves the focus to the next thing to do after Start, and says "needs you" in the nav, the title and on every screen', async () => {
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Environment', exact: true }).click();
    const labEnvironment = page.locator('.environment-list label', { hasText: 'LAB' });
    await labEnvironment.waitFor({ timeout: 30_000 });
    await labEnvironment.locator('input[type=radio]').check();
    await page.getByRole('button', { name: 'Runbooks', exact: true }).click();
    await page.locator('[data-runbook="connection-drill"]').getByRole('button', { name: 'Run…' }).click();
    await page.getByRole('button', { name: 'Preview plan' }).click();
    await page.locator('.plan-preview').waitFor({ timeout: 20_000 });
    expect(await page.title()).toBe('OpsDeck');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.locator('.run-screen').waitFor();
    // Focus left the Start button (gone) for the run, then the confirmation field once it asks.
    await expect.poll(focused, { timeout: 10_000 }).toMatch(/Connection drill|Confirmation text/);
    await page.getByRole('form', { name: 'Confirm destructive step' }).waitFor({ timeout: 30_000 });
    await expect.poll(focused, { timeout: 10_000 }).toBe('Confirmation text');
    await expect.poll(() => page.title(), { timeout: 10_000 }).toContain('needs you');
    expect(await page.evaluate('window.__notifications')).toEqual([
      { title: 'OpsDeck: Connection drill needs you', body: 'a destructive step waits for its confirmation (step write-marker)' },
    ]);
    const runsButton = page.getByRole('button', { name: 'Runs', exact: true });
    expect(await runsButton.innerText()).toContain('needs you');
    await shots('attention-run-confirm');

    // On another screen, the bar says it and links (key G) straight back to the focused field.
    await page.getByRole('button', { name: 'Audit', exact: true }).click();
    const bar = page.getByRole('status', { name: 'Needs you' });
    await bar.waitFor();
    expect(await bar.innerText()).toContain('Connection drill needs you');
    await shots('attention-bar');
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('g');
    await page.locator('.run-screen').waitFor();
    await expect.poll(focused, { timeout: 10_000 }).toBe('Confirmation text');
  });

  it('restores the chosen environment, the run with its output and an open host terminal after a reload', async () => {
    await page.getByRole('button', { name: 'Terminals', exact: true }).click();
    await page.getByLabel('Host').selectOption('compute01');
    await page.getByRole('button', { name: 'Open terminal' }).click();
    const terminals = page.locator('.terminals-screen');
    await terminals.locator('.terminal-view .xterm-rows').waitFor();
    await waitForTerminalText('$', terminals);
    await terminals.locator('.terminal-view').click();
    await page.keyboard.type('echo before-reload-$((6*7))\n');
    await waitForTerminalText('before-reload-42', terminals);

    await page.reload();
    // The screen and the environment chosen (one of two) come back.
    await page.locator('.terminals-screen').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('.nav-environment').innerText(), { timeout: 20_000 }).toContain('lab');
    // The run, its waiting prompt and its output.
    await page.getByRole('button', { name: 'Runs', exact: true }).click();
    await page.getByRole('form', { name: 'Confirm destructive step' }).waitFor({ timeout: 20_000 });
    await page.locator('[data-step="early-output"][data-status="succeeded"]').waitFor();
    await page.getByRole('tab', { name: 'controller01' }).click();
    await waitForTerminalText('early line 3 on controller01');
    await shots('reload-run-output');

    // The host terminal is back in its tab with what it showed, and still takes input.
    await page.getByRole('button', { name: 'Terminals', exact: true }).click();
    await waitForTerminalText('before-reload-42', terminals);
    await terminals.locator('.terminal-view').click();
    await page.keyboard.type('echo after-reload-$((6*7))\n');
    await waitForTerminalText('after-reload-42', terminals);
    await shots('reload-host-terminal');
  });

  it('shows a lost backend (banner, state unknown, actions disabled) and recovers by itself when it is back', async () => {
    await page.getByRole('button', { name: 'Runs', exact: true }).click();
    const confirm = page.getByRole('form', { name: 'Confirm destructive step' });
    await confirm.getByLabel('Confirmation text').fill('controller01');
    await confirm.getByRole('button', { name: 'Run destructive step' }).click();
    await page.locator('[data-step="slow"][data-status="running"]').waitFor({ timeout: 20_000 });
    // The answer's button is gone: the focus rests on the run, not lost on the page.
    await expect.poll(focused, { timeout: 10_000 }).toBe('Connection drill');

    // The server goes away mid-step (the service, and the run, go on).
    const { port, token } = server;
    await server.close();
    const banner = page.locator('[data-connection="lost"][role="alert"]');
    await banner.waitFor({ timeout: 20_000 });
    expect(await banner.innerText()).toContain('Not connected to OpsDeck');
    await page.locator('.run-header [data-run-status="unknown"]').waitFor();
    expect(await page.locator('.run-header').innerText()).toContain('state unknown');
    expect(await page.getByRole('button', { name: 'Pause' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Abort…' }).isDisabled()).toBe(true);
    // No "needs you" from a run whose state is not known.
    expect(await page.title()).toBe('OpsDeck');
    await shots('connection-lost');

    // Meanwhile the slow step ends and the run waits at the manual step.
    await expect
      .poll(
        async () => {
          const runs = await service.dispatch('run:list', {});
          return runs.ok ? JSON.stringify(runs.value) : '';
        },
        { timeout: 30_000 },
      )
      .toContain('"need":"manual"');

    server = await startServer({ service, rendererDir: RENDERER_DIR, port, token });
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    await page.locator('.run-header [data-run-status="running"]').waitFor({ timeout: 20_000 });
    await page.locator('[data-step="slow"][data-status="succeeded"]').waitFor({ timeout: 20_000 });
    const manual = page.getByRole('group', { name: 'Manual step' });
    await manual.waitFor({ timeout: 20_000 });
    // The next thing to do gets the focus: the manual step's note.
    await expect.poll(focused, { timeout: 10_000 }).toBe('Note');
    await page.getByRole('tab', { name: 'controller01' }).click();
    await waitForTerminalText('slow step done on controller01');
    await expect.poll(() => page.title()).toContain('needs you');
    await shots('connection-recovered');

    // The key shown on "Mark done" answers it (the focus is not in a text field).
    await page.locator('.run-header h1').focus();
    await page.keyboard.press('d');
    await page.locator('.run-header [data-run-status="succeeded"]').waitFor({ timeout: 20_000 });
    expect(await page.title()).toBe('OpsDeck');
  });

  it('marks a live run "state unknown" for good when OpsDeck comes back without it (a new process), pointing to Audit', async () => {
    const environments = await service.dispatch('environment:list', {});
    if (!environments.ok) throw new Error(environments.error.userMessage);
    const lab = (environments.value as Array<{ environmentId: string; lab: boolean }>).find((environment) => environment.lab)!;
    await page.getByRole('button', { name: 'Runs', exact: true }).click();
    const started = await service.dispatch('run:start', { runbookId: 'connection-drill', environmentId: lab.environmentId, params: {} });
    if (!started.ok) throw new Error(started.error.userMessage);
    const runId = (started.value as { runId: string }).runId;
    await page.getByRole('form', { name: 'Confirm destructive step' }).waitFor({ timeout: 30_000 });

    // The whole process goes: server and service (its runs are aborted), then a new one on the same link.
    const { port, token } = server;
    await server.close();
    await service.close();
    await page.locator('[data-connection="lost"][role="alert"]').waitFor({ timeout: 20_000 });
    service = consoleServiceIn(home);
    server = await startServer({ service, rendererDir: RENDERER_DIR, port, token });
    await page.locator('[data-connection="lost"][role="alert"]').waitFor({ state: 'detached', timeout: 30_000 });
    const header = page.locator('.run-header');
    await header.locator('[data-run-status="unknown"]').waitFor({ timeout: 20_000 });
    expect(await header.innerText()).toContain(runId);
    expect(await header.innerText()).toContain('its journal in Audit says how it ended');
    // Nothing to answer on a run this console no longer holds.
    expect(await page.getByRole('form', { name: 'Confirm destructive step' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Abort…' }).count()).toBe(0);
    expect(await page.title()).toBe('OpsDeck');
    await shots('connection-run-gone');
  });
});
