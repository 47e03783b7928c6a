/** One domain of the console's api/ contract: a typed part of ConsoleService's handler map (service.ts). */
import type { ActiveRun, RunEventEnvelope, RunNotice, ValidatedRequest } from '../api/contract';
import { DrillClock } from '../core/audit/drill';
import type { RunEvent, RunStatus } from '../core/audit/events';
import { formatDuration } from '../core/audit/export';
import { makePrivateDir } from '../core/audit/files';
import { describeHeldLease, HostLockedError } from '../core/leases/run-leases';
import { OpsError, userMessageOf } from '../core/errors';
import { drillFor, launchRun, prepareLaunch, type LaunchedRun } from '../core/usecases/launch';
import { runTerminalId } from '../api/wire';
import { snapshotHandlers } from './snapshot-handlers';
import { crlf, HostTerminalText } from '../core/run/terminal-text';
import type { TerminalOutput } from './flow';
import { buildPlan } from './plan';
import { ServiceContext, type HandlerMap, type LiveRun, TEAM_CONNECT_TIMEOUT_MS } from './service-context';

/** Runs (`run:*`): the plan preview and the start, both through the launch module (core/usecases/launch.ts) as `opsdeck run` goes; then the live run: its events, its host terminals, its prompts answered, its notices and drill clock. */
export class RunHandlers {
  constructor(private readonly context: ServiceContext) {}

  handlers(): HandlerMap<
    'run:plan' | 'run:start' | 'run:list' | 'run:confirm' | 'run:completeManual' | 'run:decide' | 'run:resolveFailure' | 'run:pause' | 'run:resume' | 'run:abort' | 'run:snapshot'
  > {
    return {
      'run:plan': async (request) => (await this.prepareRun(request.runbookId, request.environmentId, request.params)).plan,
      'run:start': (request) => this.startRun(request),
      'run:list': () => [...this.context.runs.values()].map((run) => run.active),
      'run:confirm': (request) => ({ matched: this.runOf(request.runId).runner.confirm(request.step, request.text) }),
      'run:completeManual': (request) => {
        this.runOf(request.runId).runner.completeManual(request.step, request.outcome, request.note);
        return null;
      },
      'run:decide': (request) => {
        this.runOf(request.runId).runner.decide(request.step, request.choice);
        return null;
      },
      'run:resolveFailure': (request) => {
        this.runOf(request.runId).runner.resolveFailure(request.step, request.action, request.reason);
        return null;
      },
      'run:pause': (request) => {
        this.runOf(request.runId).runner.pause();
        return null;
      },
      'run:resume': (request) => {
        this.runOf(request.runId).runner.resume();
        return null;
      },
      'run:abort': (request) => {
        this.runOf(request.runId).runner.abort(request.reason, { rollback: request.rollback });
        return null;
      },
      ...snapshotHandlers((runId) => this.runOf(runId)),
    };
  }

  private async prepareRun(runbookId: string, environmentId: string, given: Record<string, unknown>) {
    const environment = await this.context.environmentOf(environmentId);
    const prepared = await prepareLaunch(runbookId, this.context.runbookDirectories(), environment, given);
    const plan = buildPlan({ ...prepared, environmentId, operator: this.context.operator });
    return { ...prepared, plan };
  }

  private async startRun(request: ValidatedRequest<'run:start'>): Promise<ActiveRun> {
    const { library, runbook, environment, params, plan } = await this.prepareRun(request.runbookId, request.environmentId, request.params);
    const drill = request.drill ? drillFor(runbook, request.drill.objectives) : undefined;
    const auditDir = this.context.options.auditDir;
    makePrivateDir(auditDir);
    let launched: LaunchedRun;
    try {
      launched = await launchRun({
        runbook,
        library,
        environment,
        params,
        operator: this.context.operator,
        auditDir,
        onFailure: request.onFailure,
        connectors: this.context.connectorsOf(request.environmentId, environment),
        localLocks: request.localLocks,
        localLocksHint: 'To run anyway, tick “lease on this machine only”',
        preflight: async (hosts) =>
          (await this.context.checkHosts(request.environmentId, hosts))
            .filter((result) => result.state !== 'ok')
            .map((result) => ({ host: result.host, message: result.message ?? result.state })),
        drill,
        environmentFile: request.environmentId,
        teamConnectTimeoutMs: TEAM_CONNECT_TIMEOUT_MS,
      });
    } catch (error) {
      throw error instanceof HostLockedError ? hostLocked(error) : error;
    }
    const { session } = launched;
    const live: LiveRun = {
      runId: session.runId,
      runner: session.runner,
      snapshot: session.snapshot,
      environmentId: request.environmentId,
      outputs: new Map(),
      terminalText: new HostTerminalText(),
      active: { runId: session.runId, plan, startedAt: Date.now(), status: 'running', events: [], notices: [], ...(drill ? { drill: { objectives: drill.objectives } } : {}) },
    };
    this.context.runs.set(session.runId, live);
    session.runner.onEvent((event) => this.onRunEvent(live, event));
    for (const notice of launched.notices) this.notice(live, notice.level, notice.source, notice.message);
    const unsubscribeNotices = launched.onNotice((notice) => this.notice(live, notice.level, notice.source, notice.message));
    // Started on the next turn, so the reply (with the run id) reaches the renderer before the events.
    setTimeout(() => {
      launched
        .start()
        .then(
          (status) => this.finishRun(live, status),
          (error: unknown) => {
            this.onRunEvent(live, { type: 'run.note', level: 'error', message: userMessageOf(error) });
            this.finishRun(live, 'failed');
          },
        )
        .finally(() => {
          unsubscribeNotices();
          const shortfall = launched.shortfall();
          if (shortfall) this.notice(live, shortfall.level, shortfall.source, shortfall.message);
        });
    }, 0);
    return live.active;
  }

  private finishRun(live: LiveRun, status: RunStatus): void {
    live.active.status = status;
    for (const output of live.outputs.values()) output.end();
    clearInterval(live.clockTimer);
    live.clockTimer = undefined;
  }

  private notice(live: LiveRun, level: RunNotice['level'], source: RunNotice['source'], message: string): void {
    const notice: RunNotice = { runId: live.runId, at: Date.now(), level, source, message };
    if (live.active.notices.length < MAX_NOTICES_PER_RUN) live.active.notices.push(notice);
    this.context.emit({ name: 'run:notice', payload: notice });
  }

  /** Feeds a drill's clock with the run's boundaries and sends its reading (every second while it runs). */
  private tickDrillClock(live: LiveRun, event?: RunEvent): void {
    const drill = live.active.drill;
    if (!drill) return;
    if (event?.type === 'run.started') {
      live.clock = new DrillClock(drill.objectives, Date.now(), event.plan);
      live.clockTimer = setInterval(() => this.tickDrillClock(live), DRILL_CLOCK_MS);
      live.clockTimer.unref?.();
    }
    const clock = live.clock;
    if (!clock) return;
    const now = Date.now();
    if (event) clock.observe(event, now);
    // After the run's end nothing more can be met; the last reading stays as it was.
    if (event?.type === 'run.finished') {
      clearInterval(live.clockTimer);
      live.clockTimer = undefined;
    }
    for (const entry of clock.newlyExceeded(now)) {
      this.notice(
        live,
        'warning',
        'drill',
        entry.state === 'exceeded'
          ? `DRILL OBJECTIVE EXCEEDED: ${entry.title} (${entry.key}): objective ${formatDuration(entry.objectiveMs)}, passed and it is not done.`
          : `DRILL OBJECTIVE MISSED: ${entry.title} (${entry.key}) finished at ${formatDuration(entry.elapsedMs)}, after its objective of ${formatDuration(entry.objectiveMs)}.`,
      );
    }
    drill.reading = clock.reading(now);
    this.context.emit({ name: 'run:drillClock', payload: { runId: live.runId, at: now, reading: drill.reading } });
  }

  private runOf(runId: string): LiveRun {
    const run = this.context.runs.get(runId);
    if (!run) throw new OpsError('run-not-found', `Run ${runId} is not running in this console.`);
    return run;
  }

  private runOutput(live: LiveRun, host: string): TerminalOutput {
    const terminalId = runTerminalId(live.runId, host);
    let output = live.outputs.get(terminalId);
    if (!output) {
      output = this.context.terminalOutput(terminalId, null);
      live.outputs.set(terminalId, output);
      this.context.emit({
        name: 'terminal:opened',
        payload: { terminalId, kind: 'run-output', host, title: `${host} · run output`, runId: live.runId, environmentId: live.environmentId },
      });
    }
    return output;
  }

  private onRunEvent(live: LiveRun, event: RunEvent): void {
    // Output, headings, commands and results go to the hosts' terminals, batched and flow-controlled.
    for (const { host, text } of live.terminalText.render(event)) this.runOutput(live, host).pushText(crlf(text));
    switch (event.type) {
      case 'step.output':
        // Never into run state.
        return;
      case 'run.finished':
        live.active.status = event.status;
        break;
      case 'operator.action':
        if (event.action === 'pause') live.active.status = 'paused';
        if (event.action === 'resume') live.active.status = 'running';
        break;
    }
    const envelope: RunEventEnvelope = { runId: live.runId, at: Date.now(), event };
    if (live.active.events.length < MAX_EVENTS_PER_RUN) live.active.events.push(envelope);
    this.context.emit({ name: 'run:event', payload: envelope });
    if (['run.started', 'step.finished', 'operator.action', 'run.finished'].includes(event.type)) this.tickDrillClock(live, event);
  }
}

/** Events kept per run for a renderer that (re)attaches; output is never kept here. */
const MAX_EVENTS_PER_RUN = 20_000;
/** How often a drill's clock is read and sent while it runs (an objective is seen passing within this). */
const DRILL_CLOCK_MS = 1000;
/** Notices kept per run for a renderer that (re)attaches. */
const MAX_NOTICES_PER_RUN = 1000;

/** A run refused for held hosts: who holds each, since when, for which run, and what to do. */
function hostLocked(error: HostLockedError): OpsError {
  const held = error.heldBy;
  const first =
    held.length === 1
      ? describeHeldLease(held[0])
      : `${held.map((lease) => lease.host).join(', ')} are held by other runs (${[...new Set(held.map((lease) => lease.operator))].join(', ')}).`;
  return Object.assign(
    new OpsError(
      'host-locked',
      `Nothing was run: ${first}\nWait for that run to end; if its holder is gone for good, break the lease (Environment → Host leases; your reason is recorded).`,
      { cause: error },
    ),
    // One holder is named in the first line already; several are listed one per host.
    held.length > 1 ? { problems: held.map((lease) => ({ field: lease.host, message: describeHeldLease(lease) })) } : {},
  );
}
