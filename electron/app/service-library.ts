/** One domain of the console's api/ contract: a typed part of ConsoleService's handler map (service.ts). */
import path from 'node:path';
import type { LibraryListing } from '../api/contract';
import { ServiceContext, type HandlerMap } from './service-context';

/** The runbook library (`library:*`): bundled and user runbooks with their problems. */
export class LibraryHandlers {
  constructor(private readonly context: ServiceContext) {}

  handlers(): HandlerMap<'library:list'> {
    return {
      'library:list': () => this.listLibrary(),
    };
  }

  private async listLibrary(): Promise<LibraryListing> {
    const library = await this.context.loadLibrary();
    const user = path.resolve(this.context.options.userRunbooksDir);
    return {
      runbooks: library.list().map((runbook) => ({
        id: runbook.id,
        title: runbook.title,
        version: runbook.version,
        description: runbook.description,
        tags: runbook.tags,
        origin: path.resolve(runbook.file).startsWith(user + path.sep) ? 'user' : 'bundled',
        file: runbook.file,
        params: runbook.params.map(({ source: _source, ...field }) => field),
        requires: runbook.requires,
        stepCount: runbook.steps.length,
        problems: library.problemsOf(runbook.file),
      })),
      problems: library.problems,
      directories: { bundled: this.context.options.bundledRunbooksDir, user: this.context.options.userRunbooksDir },
    };
  }
}
