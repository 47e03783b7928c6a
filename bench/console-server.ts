/**
 * Browser mode in a process of its own, for the cases that measure the console's server (its
 * memory must be its own, and the harness driving Chromium must not share its event loop). The same
 * ConsoleService and startServer as `npm start -- --browser`, with every directory under `home`
 * instead of ~/.opsdeck and the renderer served from `rendererDir`. Prints one JSON line,
 * `{ url, origin, token }`, once it listens.
 *
 *     node --import tsx bench/console-server.ts --home DIR --renderer DIR [--build] [--env FILE]
 *
 * --build first builds the renderer into `--renderer` with vite.renderer.config.ts, as bin/start.mjs
 * does when out/renderer is older than its sources (a cold start). SIGTERM closes the server and the
 * service, as browser mode does on Ctrl-C.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConsoleService } from '../electron/app/service';
import { BUNDLED_RUNBOOKS_DIR } from '../electron/core/inventory/environment';
import { startServer } from '../electron/server';

const { values } = parseArgs({
  options: { home: { type: 'string' }, renderer: { type: 'string' }, build: { type: 'boolean' }, env: { type: 'string' } },
});
const { home, renderer: rendererDir } = values;
if (!home || !rendererDir) {
  process.stderr.write('usage: console-server.ts --home DIR --renderer DIR [--build] [--env FILE]\n');
  process.exit(2);
}
if (values.build) {
  const { build } = await import('vite');
  const root = path.resolve(import.meta.dirname, '..');
  await build({ configFile: path.join(root, 'vite.renderer.config.ts'), logLevel: 'error', build: { outDir: rendererDir, emptyOutDir: true } });
}
const service = new ConsoleService({
  auditDir: path.join(home, 'audit'),
  bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
  userRunbooksDir: path.join(home, 'runbooks'),
  environmentsDir: path.join(home, 'environments'),
  environmentFiles: values.env ? [values.env] : [],
  operator: 'bench',
  // The bench brings its own SSH lab; the console's lab offer would start another.
  lab: { availability: () => ({ available: false, reason: 'bench' }), start: () => Promise.reject(new Error('no lab in the bench')) },
});
const server = await startServer({ service, rendererDir });
process.stdout.write(`${JSON.stringify({ url: server.url, origin: server.origin, token: server.token })}\n`);
const stop = async () => {
  await server.close();
  await service.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
