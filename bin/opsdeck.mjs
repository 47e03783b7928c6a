#!/usr/bin/env node
// The `opsdeck` command. It runs a bundle of the TypeScript CLI, out/cli/bundle/opsdeck.mjs, which
// starts in about half the time tsx takes to compile the sources on every start (bench/, case 5). The
// bundle is made with esbuild (~50 ms) whenever a source under electron/ is newer than it, so a
// checkout needs no build step; where it cannot be made (no esbuild, a checkout the user may not
// write to), the sources run through tsx as before.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Three levels under the root, like electron/core/inventory/: the paths the sources resolve from their
// own location (the bundled runbooks, the schema) are the same from the bundle.
const bundle = path.join(root, 'out', 'cli', 'bundle', 'opsdeck.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts') && !entry.name.includes('.test.')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * The bundle, made again when a source is newer. Null when it cannot be made (no esbuild, a checkout
 * the user cannot write to): a stale bundle is never run.
 */
async function bundledCli() {
  const sources = path.join(root, 'electron');
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < newestSource(sources)) {
    // Written aside and renamed: two commands started at once never import half a file.
    const temporary = `${bundle}.${process.pid}.tmp.mjs`;
    try {
      const esbuild = await import('esbuild');
      const started = new Date();
      mkdirSync(path.dirname(bundle), { recursive: true });
      await esbuild.build({
        entryPoints: [path.join(sources, 'cli.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        outfile: temporary,
        logLevel: 'silent',
      });
      // Dated when the build started: a source saved during the build is newer, so it is built again.
      utimesSync(temporary, started, started);
      renameSync(temporary, bundle);
    } catch {
      try {
        rmSync(temporary, { force: true });
      } catch {
        // Nothing was written where nothing can be.
      }
      return null;
    }
  }
  return import(pathToFileURL(bundle).href);
}

// `opsdeck audit list | head`: a reader that stops early is not an error, and it must not end the
// command either: a run goes on to its end (finally steps included, nothing left running on a host)
// and exits with its own code. cli.ts stops writing to a stream once it is closed.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

let cli = await bundledCli();
if (!cli) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../electron/cli.ts');
}
process.exitCode = await cli.main(process.argv.slice(2));
