/**
 * Case 6, console start: from launching browser mode to the library screen interactive in real
 * Chromium (the Runbooks list rendered, a runbook clicked and its detail shown), and the size of the
 * renderer bundle.
 *
 * - Warm: `node bin/start.mjs --browser`, exactly what `npm start -- --browser` runs, with
 *   out/renderer already built (start.mjs then skips the build).
 * - Cold with build: bench/console-server.ts --build, which builds the renderer as start.mjs does when
 *   out/renderer is older than its sources (vite.renderer.config.ts), into a fresh directory of
 *   bench/work (never out/renderer, which tests may be serving), then starts the same server.
 *
 * Chromium is already running (an operator's browser is); each launch gets a new page in a new
 * browser context (no cache). The OS file cache is warm in both: nothing here drops it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { firstLine, launchBrowser, ROOT, startConsoleServer, stopChild } from './console';
import { type Bench, type CaseResult, formatMs, median, progress, repeat } from './setup';

/** The runbook clicked to prove the list answers. */
const RUNBOOK = 'db-backup';

interface Start {
  /** Launch → the URL printed (the server listens). */
  listeningMs: number;
  /** Launch → the runbook clicked and its detail shown. */
  interactiveMs: number;
}

/**
 * Opens `url` in a new page and waits until the library lists {@link RUNBOOK}, clicks it and sees
 * its detail. Returns the time of that moment (process.hrtime, ns).
 */
async function libraryInteractive(browser: Browser, url: string): Promise<bigint> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    await page.goto(url);
    await page.locator(`[data-runbook="${RUNBOOK}"] .runbook-main`).click({ timeout: 60_000 });
    await page.locator(`section.runbook-detail[aria-label="Runbook ${RUNBOOK}"]`).waitFor({ timeout: 60_000 });
    return process.hrtime.bigint();
  } finally {
    await page.close();
  }
}

const since = (start: bigint, end: bigint) => Number(end - start) / 1e6;

/**
 * An OPSDECK_HOME with one environment file, as an operator's machine has (with none, the console
 * opens on the Environment screen and its lab offer instead of the library). Nothing connects to it.
 */
function operatorHome(bench: Bench, name: string): string {
  const home = bench.dir(`console-start/${name}`);
  mkdirSync(path.join(home, 'environments'));
  writeFileSync(
    path.join(home, 'environments', 'bench.yaml'),
    ['name: bench-start', 'lab: false', 'profile: systemd', 'defaults: { user: ops }', 'hosts:', '  controller-0: { address: 192.0.2.10, roles: [controller, db, mq] }', ''].join(
      '\n',
    ),
  );
  return home;
}

/** Sizes of the built renderer's files: every file, and each gzipped (level 6, what a web server sends). */
function bundleSize(rendererDir: string): { files: number; bytes: number; gzipBytes: number; jsBytes: number; jsGzipBytes: number } {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(rendererDir);
  const size = { files: files.length, bytes: 0, gzipBytes: 0, jsBytes: 0, jsGzipBytes: 0 };
  for (const file of files) {
    const bytes = statSync(file).size;
    const gzipBytes = gzipSync(readFileSync(file)).length;
    size.bytes += bytes;
    size.gzipBytes += gzipBytes;
    if (file.endsWith('.js')) {
      size.jsBytes += bytes;
      size.jsGzipBytes += gzipBytes;
    }
  }
  return size;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

export async function consoleStartCase(bench: Bench): Promise<CaseResult> {
  const reps = bench.options.quick ? 2 : 5;
  const work = bench.dir('console-start');
  const browser = await launchBrowser(bench);

  const warm = async (): Promise<Start> => {
    const home = operatorHome(bench, 'home-warm');
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'start.mjs'), '--browser'], {
      cwd: ROOT,
      env: { ...process.env, OPSDECK_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    bench.onCleanup(`start.mjs ${child.pid}`, () => stopChild(child));
    try {
      const line = await firstLine(child, 'bin/start.mjs --browser');
      const url = /open (http\S+)/.exec(line)?.[1];
      if (!url) throw new Error(`bin/start.mjs printed "${line}" first, not the URL (was out/renderer rebuilt?)`);
      const listeningMs = since(start, process.hrtime.bigint());
      return { listeningMs, interactiveMs: since(start, await libraryInteractive(browser, url)) };
    } finally {
      await stopChild(child);
    }
  };

  let coldIndex = 0;
  const cold = async (): Promise<Start & { rendererDir: string }> => {
    const rendererDir = path.join(work, `renderer-${coldIndex++}`);
    const start = process.hrtime.bigint();
    const server = await startConsoleServer(bench, { home: operatorHome(bench, 'home-cold'), rendererDir, build: true });
    try {
      const listeningMs = since(start, process.hrtime.bigint());
      return { rendererDir, listeningMs, interactiveMs: since(start, await libraryInteractive(browser, server.url)) };
    } finally {
      await server.stop();
    }
  };

  // start.mjs builds out/renderer first if it is older than the sources: that launch is not measured.
  progress('bin/start.mjs --browser once, so out/renderer is current');
  const first = spawn(process.execPath, [path.join(ROOT, 'bin', 'start.mjs'), '--browser'], {
    cwd: ROOT,
    env: { ...process.env, OPSDECK_HOME: operatorHome(bench, 'home-first') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  bench.onCleanup(`start.mjs ${first.pid}`, () => stopChild(first));
  let firstOutput = await firstLine(first, 'bin/start.mjs --browser');
  const rebuiltOutRenderer = firstOutput.startsWith('Building');
  if (rebuiltOutRenderer) firstOutput = await firstLine(first, 'bin/start.mjs --browser (after its build)');
  await stopChild(first);

  const warmRuns: Start[] = [];
  const coldRuns: Array<Start & { rendererDir: string }> = [];
  await repeat('warm start, cold start with build', reps, async () => {
    warmRuns.push(await warm());
    coldRuns.push(await cold());
  });
  const size = bundleSize(coldRuns[0].rendererDir);
  const all = (runs: Start[], key: keyof Start) => runs.map((run) => formatMs(run[key])).join(', ');

  return {
    id: 6,
    title: 'Console start (browser mode)',
    rows: [
      {
        figure: `warm: \`node bin/start.mjs --browser\` → library interactive in Chromium (median of ${reps})`,
        value: formatMs(median(warmRuns.map((run) => run.interactiveMs))),
        baseline: `of which server listening: ${formatMs(median(warmRuns.map((run) => run.listeningMs)))}`,
        ratio: '',
        target: '(context)',
        met: null,
      },
      {
        figure: `cold, renderer built first (vite) → library interactive (median of ${reps})`,
        value: formatMs(median(coldRuns.map((run) => run.interactiveMs))),
        baseline: `of which build + server listening: ${formatMs(median(coldRuns.map((run) => run.listeningMs)))}`,
        ratio: `${(median(coldRuns.map((run) => run.interactiveMs)) / median(warmRuns.map((run) => run.interactiveMs))).toFixed(1)}x the warm start`,
        target: '(context)',
        met: null,
      },
      {
        figure: `renderer bundle (${size.files} files: index.html, JS, CSS)`,
        value: `${kib(size.bytes)} (${size.bytes.toLocaleString('en')} bytes)`,
        baseline: `gzip: ${kib(size.gzipBytes)} (${size.gzipBytes.toLocaleString('en')} bytes); JS alone ${kib(size.jsBytes)}, gzip ${kib(size.jsGzipBytes)}`,
        ratio: `${(size.gzipBytes / size.bytes).toFixed(2)} gzip/raw`,
        target: '(context)',
        met: null,
      },
    ],
    notes: [
      `Interactive: a new page opens the printed URL (token included), waits for the library's \`${RUNBOOK}\` entry, clicks it (playwright's click: visible, stable, enabled, receives the click) and sees its detail section. The time runs from spawning the process to that detail shown.`,
      `Warm: \`node bin/start.mjs --browser\` with OPSDECK_HOME in bench/work (bundled runbooks only, one environment file: with none the console opens on the Environment screen), out/renderer current${rebuiltOutRenderer ? ' (it was older than the sources: the unmeasured first launch rebuilt it)' : ' (the unmeasured first launch found it current)'}; start.mjs checks the sources' mtimes, registers tsx and imports electron/server.ts.`,
      'Cold: bench/console-server.ts --build: vite build of vite.renderer.config.ts into a fresh directory, then the same ConsoleService and server; node, tsx and vite are in the OS file cache (warm disk), so "cold" means "renderer not built".',
      'Browser mode serves files uncompressed over loopback; the gzip figure is what the bundle would weigh over a network (zlib level 6, each file).',
      `All runs: warm ${all(warmRuns, 'interactiveMs')} (listening ${all(warmRuns, 'listeningMs')}); cold ${all(coldRuns, 'interactiveMs')} (built and listening ${all(coldRuns, 'listeningMs')}).`,
    ],
  };
}
