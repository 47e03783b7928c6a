#!/usr/bin/env node
// `npm start`: the console. Opens the Electron window where Electron's binary is installed; where it
// is not (npm was told to skip its download, or the machine cannot fetch it), says so in one sentence
// and serves the same console to a browser instead. Never a stack trace: a person reads this.
//   npm start [-- --browser] [--host ADDRESS] [--port N] [--env FILE]...
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const forceBrowser = args.includes('--browser') || process.env.OPSDECK_BROWSER === '1';
const serverArgs = args.filter((arg) => arg !== '--browser');

/** The Electron executable, if installed, found without require('electron') (which would try to download it). */
function electronBinary() {
  const pathFile = path.join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (!entry.name.includes('.test.')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the renderer unless out/renderer is newer than its sources. */
async function ensureRendererBuilt() {
  const index = path.join(root, 'out', 'renderer', 'index.html');
  const sources = Math.max(newestMtime(path.join(root, 'renderer')), newestMtime(path.join(root, 'electron', 'api')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  process.stdout.write('Building the console (a few seconds, once)…\n');
  const { build } = await import('vite');
  await build({ configFile: path.join(root, 'vite.renderer.config.ts'), logLevel: 'error' });
}

async function startElectron(binary) {
  const { build } = await import('electron-vite');
  process.stdout.write('Building the console (a few seconds)…\n');
  await build({ configFile: path.join(root, 'electron.vite.config.ts'), logLevel: 'error' });
  const child = spawn(binary, [root], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
}

async function startBrowserMode() {
  await ensureRendererBuilt();
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../electron/server.ts');
  await main(serverArgs);
}

try {
  const binary = forceBrowser ? null : electronBinary();
  if (binary) {
    await startElectron(binary);
  } else {
    if (!forceBrowser) {
      process.stdout.write(
        "Electron's binary is not installed here (npm skipped its download), so OpsDeck starts in browser mode: open the link below in Chromium, Chrome or Firefox.\n",
      );
    }
    await startBrowserMode();
  }
} catch (error) {
  process.stderr.write(`OpsDeck could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
