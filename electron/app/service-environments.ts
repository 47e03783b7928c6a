/** One domain of the console's api/ contract: a typed part of ConsoleService's handler map (service.ts). */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { HostCheckResult } from '../api/contract';
import { OpsError } from '../core/errors';
import { ServiceContext, type HandlerMap, summariseEnvironment } from './service-context';

/** Environments and their hosts (`environment:*`, `hosts:*`): environment files opened, hosts checked, host keys the operator compared trusted. */
export class EnvironmentHandlers {
  constructor(private readonly context: ServiceContext) {}

  handlers(): HandlerMap<'environment:list' | 'environment:open' | 'hosts:check' | 'hosts:acceptKey'> {
    return {
      'environment:list': () => this.context.listEnvironments(),
      'environment:open': async (request) => {
        const file = path.resolve(request.file);
        // The renderer is untrusted: it may open environment files, not any file main can read (a
        // parse error quotes what it found, e.g. the first line of /etc/shadow or /proc/self/environ).
        if (!/\.ya?ml$/i.test(file) || !existsSync(file) || !statSync(file).isFile()) {
          throw new OpsError('environment-not-yaml', `${file} is not an environment file: open a .yaml or .yml file that exists.`);
        }
        const environment = await this.context.loadEnvironmentFile(file);
        this.context.extraEnvironmentFiles.add(file);
        this.context.emit({ name: 'environment:changed', payload: await this.context.listEnvironments() });
        return summariseEnvironment(file, environment);
      },
      'hosts:check': (request) => this.context.checkHosts(request.environmentId, request.hosts),
      'hosts:acceptKey': (request) => this.acceptHostKey(request.environmentId, request.host, request.fingerprint),
    };
  }

  /** Trusts a host key the operator compared; only the exact key last presented, never a changed one. */
  private async acceptHostKey(environmentId: string, hostName: string, fingerprint: string): Promise<HostCheckResult> {
    const environment = await this.context.environmentOf(environmentId);
    const host = this.context.hostOf(environment, hostName);
    const presented = this.context.presentedKeys.get(`${environmentId}\n${hostName}`);
    if (!presented || presented.fingerprint !== fingerprint) {
      throw new OpsError('host-key-not-presented', `${hostName} has not presented the key ${fingerprint} in this console; check the host again and compare the fingerprint shown.`);
    }
    const pool = this.context.poolOf(environmentId, environment);
    await pool.acceptHostKey(presented);
    this.context.presentedKeys.delete(`${environmentId}\n${hostName}`);
    const result = await this.context.checkOne(environmentId, pool, host);
    this.context.emit({ name: 'hosts:checked', payload: result });
    return result;
  }
}
