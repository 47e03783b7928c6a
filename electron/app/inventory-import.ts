/**
 * The console's inventory import: preview an import (an inventory file, or discovery through an open
 * environment's controller) and save it as an environment file, then open it like any other. The
 * decisions are the CLI's, in core/inventory/import; this file only adapts requests.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CommandReply, EnvironmentSummary, ValidatedRequest } from '../api/contract';
import { OpsError } from '../core/errors';
import { previewImport, saveEnvironment, type ImportRequest } from '../core/inventory/import';

export interface InventoryImportContext {
  /** Loads a saved environment file, offers it in the console, and returns its summary. */
  openEnvironment(file: string): Promise<EnvironmentSummary>;
  profileDirs?: string[];
}

/** Places a renderer may not read through an import (kernel and device files, runtime state). */
const REFUSED_PREFIXES = ['/proc/', '/sys/', '/dev/', '/run/'];

/**
 * The renderer is untrusted, and a preview shows what the file holds (host names, a bad line's
 * words): the file must be a regular file outside the kernel's and devices' trees, and either
 * readable by every user or the console user's own private file, so an import cannot be used to read
 * /proc/self/environ, /etc/shadow or root's files through a console that runs as root.
 */
function checkedInventoryFile(file: string): string {
  const absolute = path.resolve(file);
  if (REFUSED_PREFIXES.some((prefix) => absolute.startsWith(prefix))) {
    throw new OpsError('import-refused-file', `${absolute} is not an inventory: name an ssh_config or an Ansible inventory file.`);
  }
  if (!existsSync(absolute)) throw new OpsError('import-unreadable', `${absolute} cannot be read: there is no such file.`);
  const stat = statSync(absolute);
  if (!stat.isFile()) throw new OpsError('import-unreadable', `${absolute} is not a file: name the inventory file itself.`);
  const worldReadable = (stat.mode & 0o004) !== 0;
  const ownPrivate = typeof process.getuid === 'function' && process.getuid() !== 0 && stat.uid === process.getuid();
  if (!worldReadable && !ownPrivate) {
    throw new OpsError(
      'import-private-file',
      `${absolute} is not readable by every user, and the console imports only such files or your own (the console runs as ${process.getuid?.() === 0 ? 'root' : 'another user'}). Import it with opsdeck env import on the command line.`,
    );
  }
  return absolute;
}

async function toImportRequest(request: ValidatedRequest<'environment:importPreview'>, context: InventoryImportContext): Promise<ImportRequest> {
  if (request.discoverFrom) {
    // Through environment:open's own checks (an existing .yaml file), as if the operator had opened it.
    const environment = await context.openEnvironment(request.discoverFrom);
    return { discoverFrom: environment.file, via: request.via, sudo: request.sudo, name: request.name };
  }
  if (!request.file) throw new OpsError('import-no-source', 'Name an inventory file to import, or choose discovery from an environment.');
  return {
    file: checkedInventoryFile(request.file),
    from: request.from,
    name: request.name,
    profile: request.profile,
    map: request.map?.map((line) => line.trim()).filter(Boolean),
    user: request.user,
  };
}

type ImportHandlers = {
  'environment:importPreview': (request: ValidatedRequest<'environment:importPreview'>) => Promise<CommandReply<'environment:importPreview'>>;
  'environment:importSave': (request: ValidatedRequest<'environment:importSave'>) => Promise<CommandReply<'environment:importSave'>>;
};

export function inventoryImportHandlers(context: InventoryImportContext): ImportHandlers {
  const options = context.profileDirs ? { profileDirs: context.profileDirs } : {};
  return {
    'environment:importPreview': async (request) => previewImport(await toImportRequest(request, context), options),
    'environment:importSave': async (request) => {
      // What is saved is imported again here, from the same request: never a result the renderer sends.
      const { out, force, ...rest } = request;
      const preview = await previewImport(await toImportRequest(rest, context), options);
      const saved = await saveEnvironment(preview.result, out, { force, ...options });
      return { file: saved.file, environment: await context.openEnvironment(saved.file) };
    },
  };
}
