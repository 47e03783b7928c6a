/**
 * The runs that stopping the console would abort, named for a person (both adapters ask before
 * stopping: Electron's quit dialog, browser mode's Ctrl-C).
 */
import type { ActiveRun } from '../api/contract';
import type { ConsoleService } from './service';

/** `title (run id, status)` for each run still running or paused. */
export async function liveRunsOf(service: Pick<ConsoleService, 'dispatch'>): Promise<string[]> {
  const listed = await service.dispatch('run:list', {});
  if (!listed.ok) return [];
  return (listed.value as ActiveRun[])
    .filter((run) => run.status === 'running' || run.status === 'paused')
    .map((run) => `${run.plan.runbookTitle} (run ${run.runId}, ${run.status})`);
}
