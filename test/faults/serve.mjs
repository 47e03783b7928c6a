// Browser mode in its own process for the fault suite (so the test process driving Chromium is not
// the one whose event loop the run's journaling keeps busy). Prints one JSON line: {url, origin, token}.
// argv: <work dir> <environment file>
import { register } from 'tsx/esm/api';

register();
const [work, envFile] = process.argv.slice(2);
const { ConsoleService } = await import('../../electron/app/service.ts');
const { BUNDLED_RUNBOOKS_DIR } = await import('../../electron/core/inventory/environment.ts');
const { RENDERER_DIR, startServer } = await import('../../electron/server.ts');
const service = new ConsoleService({
  auditDir: `${work}/audit-browser`,
  bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
  userRunbooksDir: `${work}/runbooks`,
  environmentsDir: `${work}/environments`,
  environmentFiles: [envFile],
  operator: 'fault-browser',
  lab: { availability: () => ({ available: false, reason: 'fault suite' }), start: () => Promise.reject(new Error('no lab')) },
});
const server = await startServer({ service, rendererDir: RENDERER_DIR });
process.stdout.write(JSON.stringify({ url: server.url, origin: server.origin, token: server.token }) + '\n');
const stop = async () => {
  await server.close();
  await service.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
