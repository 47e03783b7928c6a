/**
 * The console end to end, in a real browser: Debian's Chromium (playwright-core) against browser
 * mode (electron/server.ts on a free port), with the real SSH lab behind it, started from the UI's
 * own "Start the local lab" offer. One operator's night: start the lab, check hosts, find a runbook,
 * fix a parameter, read the plan, run it (fan-out output, a typed destructive confirmation, a
 * decision, a failure retried), abort and roll back, type in a host terminal, and read the run back
 * in the audit history with its journal verified. Then the team audit trail on one machine: two
 * drills of a phased runbook with their clock, the drill report exported as HTML from the audit
 * screen, the two drills compared, and a run refused because another run holds a host (local
 * leases), whose lease is then broken with a reason. Screenshots of each screen go to
 * test-output/screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleService } from '../../electron/app/service';
import { LocalLeaseBackend } from '../../electron/core/leases/local';
import { RunLeases } from '../../electron/core/leases/run-leases';
import { RENDERER_DIR, startServer, type RunningServer } from '../../electron/server';
import { SCREENSHOTS, consoleServiceIn, launchChromium, openPage } from './browser';

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

/** Two phases, the second slower than its objective: a drill the console times. */
const PHASED_RUNBOOK = `id: console-phases
title: Phased recovery
version: "1.0"
description: Two phases on the lab, timed from the console.
tags: [phases]
params:
  seconds:
    type: int
    default: 3
    min: 0
    max: 30
steps:
  - id: p10
    title: Control plane
    phase: { priority: 10 }
    steps:
      - id: db
        title: Check the database host
        on: controller01
        run: echo db ok on $(hostname)
  - id: p20
    title: Computes
    phase: { priority: 20 }
    steps:
      - id: nova
        title: Start nova-compute (slow)
        on: compute01
        run: sleep {{ params.seconds }}; echo nova up
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
  writeFileSync(path.join(home, 'runbooks', 'console-phases.yaml'), PHASED_RUNBOOK);
  service = consoleServiceIn(home);
  server = await startServer({ service, rendererDir: RENDERER_DIR });
  browser = await launchChromium();
  page = await openPage(browser);
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
    // The token leaves the address bar at once (the page keeps it in sessionStorage, never in a cookie).
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

  /** Opens the Start screen of the phased runbook, with `seconds`, and previews its plan. */
  async function previewPhased(seconds: string): Promise<void> {
    await page.getByRole('button', { name: 'Runbooks', exact: true }).click();
    await page.getByRole('searchbox', { name: 'Search runbooks' }).fill('phased');
    await page.locator('[data-runbook="console-phases"]').getByRole('button', { name: 'Run…' }).click();
    await page.getByLabel('seconds').fill(seconds);
    await page.getByRole('button', { name: 'Preview plan' }).click();
    await page.locator('.plan-preview').waitFor();
  }

  /** Run ids in the audit directory. */
  function recordedRuns(): string[] {
    const dir = path.join(home, 'audit', 'runs');
    return existsSync(dir) ? readdirSync(dir) : [];
  }

  it('starts a drill with objectives per phase and shows its clock against each, with the exceeded one in plain words', async () => {
    await previewPhased('3');
    const drillForm = page.getByRole('group', { name: 'Drill' });
    await drillForm.getByLabel('This run is a drill').check();
    await drillForm.getByLabel('Whole run (RTO)').fill('5m');
    await drillForm.getByLabel('Control plane (p10)').fill('1m');
    await drillForm.getByLabel('Computes (p20)').fill('1s');
    await shot('start-drill');
    await page.getByRole('button', { name: 'Start run' }).click();
    const clock = page.getByRole('region', { name: 'Drill clock' });
    await clock.waitFor({ timeout: 20_000 });
    // p20's objective (1 s from the start) passes while nova-compute still sleeps.
    await clock.locator('[data-objective="p20"][data-state="exceeded"]').waitFor({ timeout: 20_000 });
    expect(await clock.getByRole('alert').innerText()).toContain('Objective exceeded: Computes');
    expect(await clock.locator('[data-objective="run"]').innerText()).toMatch(/left/);
    await expect.poll(() => page.locator('.notes [data-source="drill"]').last().innerText()).toContain('DRILL OBJECTIVE EXCEEDED: Computes (p20)');
    expect(await page.locator('.notes [data-source="lease"]').first().innerText()).toMatch(/Leased .*compute01.* local lock directory/);
    await shot('run-drill-clock');
    await page.locator('[data-run-status="succeeded"]').first().waitFor({ timeout: 30_000 });
    await clock.locator('[data-objective="p10"][data-state="met"]').waitFor();
    await clock.locator('[data-objective="p20"][data-state="finished-late"]').waitFor();
    await clock.locator('[data-objective="run"][data-state="met"]').waitFor();

    // A second drill of the same runbook, faster, to compare with.
    await page.getByRole('button', { name: 'New run', exact: true }).click();
    await page.getByLabel('seconds').fill('1');
    await page.getByRole('button', { name: 'Preview plan' }).click();
    await page.locator('.plan-preview').waitFor();
    await page.getByRole('group', { name: 'Drill' }).getByLabel('This run is a drill').check();
    await page.getByRole('group', { name: 'Drill' }).getByLabel('Whole run (RTO)').fill('5m');
    await page.getByRole('group', { name: 'Drill' }).getByLabel('Computes (p20)').fill('1s');
    await page.getByRole('button', { name: 'Start run' }).click();
    await expect.poll(() => page.locator('.run-picker .tag.active').innerText(), { timeout: 20_000 }).toContain('succeeded');
  });

  it('reads the drill report in the audit screen and downloads it as a self-contained HTML page', async () => {
    await page.getByRole('button', { name: 'Audit', exact: true }).click();
    await page.getByLabel('Status').selectOption('');
    const rows = page.locator('.audit-table tbody tr').filter({ hasText: 'Phased recovery' });
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(2);
    // Newest first: the slow drill is the second row.
    await rows.nth(1).click();
    await page.locator('[data-verified="yes"]').waitFor({ timeout: 20_000 });
    await page.getByRole('tab', { name: 'drill' }).click();
    const report = page.getByRole('region', { name: 'Drill report' });
    await report.getByRole('table', { name: 'Objectives' }).waitFor();
    expect(await report.locator('[data-objective="p20"] [data-verdict]').innerText()).toBe('MISSED');
    expect(await report.locator('[data-objective="p10"] [data-verdict]').innerText()).toBe('met');
    expect(await report.getByRole('table', { name: 'Phases' }).innerText()).toContain('Computes');
    expect(await report.getByRole('table', { name: 'Slowest steps' }).innerText()).toContain('Start nova-compute (slow)');
    await shot('audit-drill-report');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'HTML page' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^opsdeck-console-phases-.*\.html$/);
    const file = await download.path();
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toContain('Phased recovery');
    expect(html).toContain('nova up');
    // Self-contained: no script, and nothing fetched from anywhere.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(html).toContain("default-src 'none'");
    writeFileSync(path.join(SCREENSHOTS, 'exported-drill-report.html'), html);
    const exported = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await exported.goto(`file://${path.join(SCREENSHOTS, 'exported-drill-report.html')}`);
    await exported.screenshot({ path: path.join(SCREENSHOTS, 'exported-drill-report.png') });
    await exported.close();
  });

  it('compares the two drills side by side; a run of another runbook cannot join', async () => {
    const rows = page.locator('.audit-table tbody tr').filter({ hasText: 'Phased recovery' });
    const ids = await rows.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-run') ?? ''));
    const other = page.locator('.audit-table tbody tr').filter({ hasText: 'Console drill' });
    await page.getByLabel(`Compare ${ids[1]}`).check();
    expect(await other.locator('input[type=checkbox]').isDisabled()).toBe(true);
    await page.getByLabel(`Compare ${ids[0]}`).check();
    await page.getByRole('button', { name: 'Compare 2/2' }).click();
    const table = page.getByRole('table', { name: 'Side by side' });
    await table.waitFor();
    expect(await table.locator('[data-row="total"]').innerText()).toMatch(/Whole run.*−/s);
    const nova = await table.locator('[data-row="p20/nova"]').innerText();
    expect(nova).toMatch(/−\d/);
    expect(await table.locator('[data-row="objective:p20"]').innerText()).toContain('MISSED');
    await shot('audit-compare');
  });

  it('refuses a run on a host another run holds, naming the holder; the lease is broken only with a reason, which is recorded', async () => {
    const environments = await service.dispatch('environment:list', {});
    if (!environments.ok) throw new Error(environments.error.userMessage);
    const [environment] = environments.value as Array<{ name: string }>;
    const held = await RunLeases.acquire(new LocalLeaseBackend(path.join(home, 'audit')), {
      environment: environment.name,
      hosts: ['controller01'],
      holder: { runId: '20261122T000000Z-a11ce5', operator: 'alice-on-ops2', machine: os.hostname(), pid: process.pid, runbook: 'rabbitmq-recovery' },
    });
    try {
      const before = recordedRuns().length;
      await previewPhased('0');
      await page.getByRole('button', { name: 'Start run' }).click();
      const refusal = page.locator('.start-screen .error-message');
      await expect.poll(() => refusal.innerText(), { timeout: 20_000 }).toContain('controller01 is locked by alice-on-ops2');
      const text = await refusal.innerText();
      expect(text).toContain('Nothing was run');
      expect(text).toContain('20261122T000000Z-a11ce5');
      expect(text).toContain(held.leases[0].since);
      expect(recordedRuns().length).toBe(before);
      await shot('start-host-locked');

      await page.getByRole('button', { name: 'See the host leases' }).click();
      const lease = page.locator('[data-lease="controller01"]');
      await lease.waitFor({ timeout: 20_000 });
      expect(await lease.innerText()).toContain('alice-on-ops2');
      await lease.getByRole('button', { name: 'Break lease…' }).click();
      const breakButton = lease.getByRole('button', { name: 'Break the lease on controller01' });
      expect(await breakButton.isDisabled()).toBe(true);
      await lease.getByLabel('Reason to break the lease').fill('alice is off shift; the drill needs controller01');
      await shot('locks-break');
      await breakButton.click();
      const breaks = page.locator('.lease-breaks');
      await expect.poll(() => breaks.innerText(), { timeout: 20_000 }).toContain('e2e-operator');
      expect(await breaks.innerText()).toContain("alice-on-ops2's lease");
      expect(await breaks.innerText()).toContain('alice is off shift; the drill needs controller01');
      await page.locator('[data-lease="controller01"]').waitFor({ state: 'detached' });
      const recorded = readFileSync(path.join(home, 'audit', 'locks', 'breaks.jsonl'), 'utf8');
      expect(recorded).toContain('alice is off shift; the drill needs controller01');
      await shot('locks-broken');
    } finally {
      await held.release('alice-on-ops2');
    }
  });
});
