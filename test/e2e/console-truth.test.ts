/**
 * What the console tells an operator in an incident, in a real browser (Debian's Chromium via
 * playwright-core) against browser mode and the real SSH lab: a fan-out step that fails on one host
 * says where and why (host, the check in plain words, the last stderr lines) with that host's output
 * in front, and is retried on that host alone; a step's output past the view's 10,000-line
 * scrollback is marked as dropped there and read whole from the journal (searchable, all hosts with
 * prefixes); a run that skipped a step says so; a host terminal's recording plays in asciinema's
 * player with seek. Screenshots at 1280×720 and 1920×1080 go to test-output/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleService } from '../../electron/app/service';
import { RENDERER_DIR, startServer, type RunningServer } from '../../electron/server';
import { SCREENSHOTS, consoleServiceIn, launchChromium, openPage, screenshotsAtBothSizes } from './browser';

const fixed = `/tmp/opsdeck-truth-${process.pid}-fixed`;

const RUNBOOK = `id: truth-fanout
title: Fan-out that fails on one host, with a very long title that the run header must truncate with a tooltip
version: "1.0"
description: |
  Exercises **failure at a glance** and the full output.

  - floods the controller with \`12000\` lines
  - fails on compute02 until it is fixed
tags: [truth]
requires: [controller, compute]
params:
  mode:
    type: enum
    values: [quick, thorough]
    default: quick
steps:
  - id: fan
    title: Check every compute host
    on: compute
    concurrency: 2
    run: |
      echo "checking $(hostname)"
      if [ "$(hostname)" = compute02 ] && [ ! -e ${fixed} ]; then
        echo "warming up" >&2
        echo "disk /var is full on $(hostname)" >&2
        exit 2
      fi
  - id: flood
    title: Flood the controller
    on: controller01
    run: seq -w 1 12000 | sed 's/^/flood line /'
  - id: optional
    title: An optional check
    on: controller01
    run: "false"
`;

let home: string;
let service: ConsoleService;
let server: RunningServer;
let browser: Browser;
let page: Page;

/** A screenshot at both sizes the issue names; the page goes back to its working size after. */
function shots(name: string): Promise<void> {
  return screenshotsAtBothSizes(page, `truth-${name}`, 300);
}

function player(scope: Page): Locator {
  return scope.locator('.cast-player');
}

async function matches(dialog: Locator, query: string): Promise<number> {
  await dialog.getByLabel('Search in output').fill(query);
  const counter = dialog.locator('[data-matches]');
  await expect.poll(async () => Number(await counter.getAttribute('data-matches')), { timeout: 10_000 }).toBeGreaterThanOrEqual(0);
  return Number(await counter.getAttribute('data-matches'));
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  rmSync(fixed, { force: true });
  home = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-truth-'));
  mkdirSync(path.join(home, 'runbooks'), { recursive: true });
  writeFileSync(path.join(home, 'runbooks', 'truth-fanout.yaml'), RUNBOOK);
  service = consoleServiceIn(home);
  server = await startServer({ service, rendererDir: RENDERER_DIR });
  browser = await launchChromium();
  page = await openPage(browser);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await service?.close();
  rmSync(fixed, { force: true });
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('a console that says what happened, in a real browser against the SSH lab', () => {
  it('reads a runbook rendered as Markdown, with its allowed values, and a risk summary before Start', async () => {
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Start the local lab' }).click();
    const labEnvironment = page.locator('.environment-list label', { hasText: 'LAB' });
    await labEnvironment.waitFor({ timeout: 60_000 });
    await labEnvironment.locator('input[type=radio]').check();
    await page.getByRole('button', { name: 'Runbooks', exact: true }).click();
    await page.locator('[data-runbook="truth-fanout"] .runbook-main').click();
    const detail = page.getByRole('region', { name: 'Runbook truth-fanout' });
    await expect.poll(() => detail.locator('.markdown strong').innerText()).toBe('failure at a glance');
    expect(await detail.locator('.markdown li').count()).toBe(2);
    expect(await detail.innerText()).toContain('one of quick, thorough');
    await page.locator('[data-runbook="truth-fanout"]').getByRole('button', { name: 'Run…' }).click();
    await page.getByRole('button', { name: 'Preview plan' }).click();
    const risk = page.getByRole('region', { name: 'Risk summary' });
    await risk.waitFor();
    expect(await risk.innerText()).toMatch(/3 steps[\s\S]*No destructive step[\s\S]*No rollback[\s\S]*controller01, compute01, compute02/);
    // The plan keeps the script's newlines.
    expect(await page.locator('[data-plan-step="fan"] pre.command').first().innerText()).toContain('echo "checking $(hostname)"\nif [');
    await shots('start-risk');
  });

  it('says which host failed, why in plain words and its last stderr lines, and retries only that host', async () => {
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.locator('.run-screen').waitFor();
    const failure = page.getByRole('group', { name: 'Failed step' });
    await failure.waitFor({ timeout: 60_000 });
    await expect.poll(() => failure.locator('.failed-hosts').innerText()).toBe('compute02');
    const reasons = failure.getByRole('list', { name: 'Why it failed' });
    await expect.poll(() => reasons.innerText(), { timeout: 20_000 }).toContain('compute02: exit code 2, expected 0');
    await expect.poll(() => failure.getByLabel('Last stderr lines of compute02').innerText(), { timeout: 20_000 }).toBe('warming up\ndisk /var is full on compute02');
    // The failing host's output is in front, and its tab says it failed.
    const tab = page.getByRole('tab', { name: /compute02/ });
    await expect.poll(() => tab.getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('.tab.marked[data-mark="failed"]').innerText()).toContain('compute02');
    // The layout: the terminal fills the height that is left.
    await page.setViewportSize({ width: 1920, height: 1080 });
    await expect
      .poll(async () => {
        const box = await page.locator('.run-screen .terminal-view').boundingBox();
        return box ? Math.round(1080 - (box.y + box.height)) : -1;
      })
      .toBeLessThan(40);
    await shots('failure');

    writeFileSync(fixed, '');
    await failure.getByRole('button', { name: 'Retry only the failed hosts (compute02)' }).click();
    await page.locator('[data-step="fan"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Open full output' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Full output' });
    await dialog.getByLabel('Steps').selectOption('run');
    await dialog.getByLabel('Host').selectOption('');
    // compute01 ran once, compute02 twice: the retry went to the failed host alone.
    await expect.poll(() => matches(dialog, 'checking compute02'), { timeout: 20_000 }).toBe(2);
    expect(await matches(dialog, 'checking compute01')).toBe(1);
    expect(await matches(dialog, 'checking compute02')).toBe(2);
    // All hosts together: each line carries its host.
    await dialog.getByLabel('Search in output').press('Enter');
    expect(await dialog.locator('.output-line.current').innerText()).toMatch(/compute0\d\s*│ checking compute02/);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('marks output past the scrollback as dropped from the view and reads it whole from the journal', async () => {
    await page.locator('[data-step="flood"][data-status="succeeded"]').waitFor({ timeout: 60_000 });
    await page.getByRole('tab', { name: 'controller01' }).click();
    const dropped = page.locator('.output-dropped');
    await expect.poll(() => dropped.innerText(), { timeout: 30_000 }).toMatch(/earlier lines of controller01 are no longer in this view/);
    await dropped.getByRole('button', { name: 'Open full output' }).click();
    const dialog = page.getByRole('dialog', { name: 'Full output' });
    await dialog.getByLabel('Steps').selectOption('run');
    await expect.poll(() => dialog.innerText(), { timeout: 30_000 }).toContain('12,000 lines');
    // The first line, long gone from the terminal, is in the journal; the view jumps to it.
    expect(await matches(dialog, 'flood line 00001')).toBe(1);
    await dialog.getByLabel('Search in output').press('Enter');
    await expect.poll(() => dialog.locator('.output-line.current').innerText()).toContain('flood line 00001');
    expect(await dialog.locator('.output-line.step-start', { hasText: 'Flood the controller' }).first().innerText()).toMatch(
      /Flood the controller \(flood\) on controller01 · started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/,
    );
    await shots('full-output');
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('says "succeeded, 1 step skipped" when a step was skipped, in the run and in the audit list', async () => {
    const failure = page.getByRole('group', { name: 'Failed step' });
    await page.locator('[data-prompt-step="optional"]').waitFor({ timeout: 30_000 });
    expect(await failure.getByRole('button', { name: /Retry only the failed hosts/ }).count()).toBe(0);
    await failure.getByLabel('Reason to skip').fill('optional on the lab');
    await failure.getByRole('button', { name: 'Skip with reason' }).click();
    await expect.poll(() => page.locator('.run-header [data-run-status]').innerText(), { timeout: 30_000 }).toBe('succeeded, 1 step skipped');
    expect(await page.locator('.run-header h1').getAttribute('title')).toContain('with a very long title');
    await page.getByRole('button', { name: 'Audit', exact: true }).click();
    const row = page.locator('.audit-table tbody tr').filter({ hasText: 'Fan-out that fails' });
    await expect.poll(() => row.locator('[data-run-status]').innerText(), { timeout: 20_000 }).toBe('succeeded, 1 step skipped');
    expect(await row.locator('[data-verified-cell]').getAttribute('data-verified-cell')).toBe('yes');
    expect(await row.innerText()).toMatch(/UTC[+−]\d\d:\d\d/);
    await row.click();
    await page.locator('[data-verified="yes"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('.timeline li[data-line="1"] .line-no').innerText()).toBe('1');
    await shots('audit');
    // The run's transcript plays in the same player.
    await page.getByRole('tab', { name: 'transcripts' }).click();
    await page.locator('[data-play-transcript="compute02"]').click();
    await player(page).getByLabel('Go to time').fill('600');
    await player(page).getByRole('button', { name: 'Go' }).click();
    await expect.poll(() => player(page).locator('.ap-term').innerText(), { timeout: 20_000 }).toContain('checking compute02');
  });

  it('plays a host terminal recording in asciinema\u2019s player, and seeks in it', async () => {
    await page.getByRole('button', { name: 'Terminals', exact: true }).click();
    await page.getByLabel('Host').selectOption('compute01');
    await page.getByRole('button', { name: 'Open terminal' }).click();
    const view = page.locator('.terminals-screen');
    await view.locator('.terminal-view .xterm-rows').waitFor();
    await expect.poll(() => view.locator('.terminal-view .xterm-rows').innerText(), { timeout: 20_000 }).toContain('$');
    await view.locator('.terminal-view').click();
    await page.keyboard.type('echo cast-$((40+2))-start; sleep 3; echo cast-$((40+2))-end\n');
    await expect.poll(() => view.locator('.terminal-view .xterm-rows').innerText(), { timeout: 20_000 }).toContain('cast-42-end');

    await page.getByRole('button', { name: 'Audit', exact: true }).click();
    await page.getByRole('tab', { name: 'Terminal recordings' }).click();
    await page.locator('[data-recording]').first().getByRole('button').click();
    const player = page.locator('.cast-player');
    const screen = player.locator('.ap-term');
    await screen.waitFor({ timeout: 20_000 });
    const position = player.locator('[data-position]');
    // To the end: the last output is on the player's screen.
    await player.getByLabel('Go to time').fill('600');
    await player.getByRole('button', { name: 'Go' }).click();
    await expect.poll(() => screen.innerText(), { timeout: 20_000 }).toContain('cast-42-end');
    const end = Number(await position.getAttribute('data-position'));
    expect(end).toBeGreaterThan(2);
    // Back to the start: nothing of it yet.
    await player.getByLabel('Go to time').fill('0:00');
    await player.getByRole('button', { name: 'Go' }).click();
    await expect.poll(async () => Number(await position.getAttribute('data-position')), { timeout: 20_000 }).toBeLessThan(1);
    await expect.poll(() => screen.innerText(), { timeout: 20_000 }).not.toContain('cast-42-end');
    // Between the two lines (the sleep), the first is there and the second not yet.
    await player.getByLabel('Go to time').fill(String(Math.max(0.5, end - 1.5)));
    await player.getByRole('button', { name: 'Go' }).click();
    await expect.poll(() => screen.innerText(), { timeout: 20_000 }).toContain('cast-42-start');
    expect(await screen.innerText()).not.toContain('cast-42-end');
    await shots('cast-player');
  });
});
