/**
 * The import use case, in one place for the CLI (`opsdeck env import`) and the console's import
 * screen: read an inventory or ask the cloud, propose an environment, save it once accepted.
 */
import { loadEnvironment, type LoadEnvironmentOptions } from '../environment';
import { SshPool } from '../../ssh/pool';
import { importInventory, type ImportOptions } from './build';
import { discoverFromCloud } from './discovery';
import { parseMapFlags, readMappingFile, type RoleMapping } from './mapping';
import type { ImportResult } from './types';
import { renderEnvironment } from './write';

export type { ImportResult } from './types';
export { saveEnvironment, renderEnvironment } from './write';

export interface ImportRequest {
  /** An inventory file (ssh_config or Ansible), or absent with `discoverFrom`. */
  file?: string;
  /** An environment file whose controller discovery asks the cloud through. */
  discoverFrom?: string;
  via?: string;
  sudo?: boolean;
  from?: ImportOptions['from'];
  name?: string;
  profile?: string;
  /** A mapping file (roles: and profile:) and `GROUP=ROLE[,ROLE]` flags, the flags winning. */
  mappingFile?: string;
  map?: string[];
  user?: string;
}

/** What the operator sees before saving: the proposal and the file text it would write. */
export interface ImportPreview {
  result: ImportResult;
  text: string;
}

export async function previewImport(request: ImportRequest, options: LoadEnvironmentOptions = {}): Promise<ImportPreview> {
  let result: ImportResult;
  if (request.discoverFrom) {
    const environment = await loadEnvironment(request.discoverFrom, options);
    const ssh = new SshPool({
      knownHostsFile: environment.knownHostsFile,
      resolveHost: (name) => environment.hosts.find((host) => host.name === name),
      readyTimeoutMs: 15_000,
    });
    try {
      result = await discoverFromCloud({ environment, ssh, via: request.via, sudo: request.sudo });
    } finally {
      await ssh.close();
    }
    if (request.name) result.name = request.name;
  } else {
    const mapping = request.mappingFile ? readMappingFile(request.mappingFile) : undefined;
    const roles: RoleMapping = { ...(mapping?.roles ?? {}), ...parseMapFlags(request.map ?? []) };
    result = importInventory(request.file ?? '', {
      from: request.from,
      name: request.name,
      profile: request.profile ?? mapping?.profile,
      roles,
      defaultUser: request.user,
    });
  }
  return { result, text: renderEnvironment(result) };
}
