/**
 * Where the console keeps things, the same places the CLI uses: `$OPSDECK_HOME` (default
 * `~/.opsdeck`) holds `audit/`, `runbooks/` (the operator's own) and `environments/`.
 */
import os from 'node:os';
import path from 'node:path';
import { defaultAuditDir } from '../core/audit/files';
import { BUNDLED_RUNBOOKS_DIR } from '../core/inventory/environment';
import type { ConsoleServiceOptions } from './service';

export function opsdeckHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.OPSDECK_HOME?.trim() || path.join(os.homedir(), '.opsdeck');
}

/** The service's defaults; `bundledRunbooksDir` differs in a packaged app (resources/runbooks). */
export function defaultServiceOptions(overrides: Partial<ConsoleServiceOptions> = {}, env: NodeJS.ProcessEnv = process.env): ConsoleServiceOptions {
  const home = opsdeckHome(env);
  return {
    auditDir: defaultAuditDir(env),
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: path.join(home, 'runbooks'),
    environmentsDir: path.join(home, 'environments'),
    ...overrides,
  };
}
