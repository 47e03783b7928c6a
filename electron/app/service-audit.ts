/** One domain of the console's api/ contract: a typed part of ConsoleService's handler map (service.ts). */
import { describeApprovalEvent } from '../core/approval/words';
import { stateChangesOf } from './snapshot-handlers';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AuditExport, AuditRunDetail, AuditRunSummary, RunComparison, TeamCopyVerification, TimelineEntry, Transcript, ValidatedRequest } from '../api/contract';
import { castPath, readCast } from '../core/audit/asciicast';
import { analyzeDrill, compareRuns } from '../core/audit/drill';
import { stateChangesOfRecords } from '../core/audit/state-compare';
import type { JournalRecord } from '../core/audit/events';
import { exportRun } from '../core/audit/export';
import { parseRecord } from '../core/audit/journal';
import { replayRun } from '../core/audit/replay';
import type { RunSummary } from '../core/audit/store';
import { verifyTeamRecords } from '../core/team/journal';
import type { VerifyResult } from '../core/audit/verify';
import { OpsError, userMessageOf } from '../core/errors';
import { checkTeamCopy, localJournalLines, transcriptLinks, transcriptNames } from '../core/usecases/inspect';
import { ServiceContext, type HandlerMap } from './service-context';

/** The audit trail (`audit:*` but the team listing): recorded runs, local or in the team database, verified, replayed, exported and compared through the inspect module (core/usecases/inspect.ts) as `opsdeck audit` does. */
export class AuditHandlers {
  constructor(private readonly context: ServiceContext) {}

  handlers(): HandlerMap<'audit:list' | 'audit:show' | 'audit:transcript' | 'audit:export' | 'audit:compare'> {
    return {
      'audit:list': () => this.context.auditStore().list().map(summariseAuditRun),
      'audit:show': (request) => this.auditDetail(request),
      'audit:transcript': (request) => this.transcript(request.runId, request.name),
      'audit:export': (request) => this.exportReport(request),
      'audit:compare': (request) => this.compare(request.a, request.b),
    };
  }

  /** A recorded run's records and verification: from the local journals, or from a team database. */
  private async recordedRun(reference: { runId: string; teamEnvironmentId?: string }): Promise<RecordedRun> {
    if (reference.teamEnvironmentId) return this.teamRecordedRun(reference.teamEnvironmentId, reference.runId);
    const store = this.context.auditStore();
    const runId = store.resolve(reference.runId);
    const summary = store.summary(runId);
    if (!summary) throw new OpsError('audit-run-not-found', `Run ${runId} has no readable journal.`);
    return { source: 'local', runId, summary: summariseAuditRun(summary), records: store.records(runId), verification: store.verify(runId), live: summary.live };
  }

  private async teamRecordedRun(environmentId: string, prefix: string): Promise<RecordedRun> {
    const { team, environment } = await this.context.requireTeam(environmentId);
    try {
      const runId = await team.resolveRun(prefix);
      const rows = await team.records(runId);
      const records = rows.map((row) => parseRecord(row.line)).filter((record): record is JournalRecord => record !== null);
      const first = records[0];
      if (!first || first.type !== 'run.started') throw new OpsError('audit-run-not-found', `The team database holds no start of run ${runId} (${team.description}).`);
      const check = verifyTeamRecords(runId, rows, localJournalLines(this.context.auditStore(), runId), {
        runRow: await team.runRow(runId),
        operators: environment.audit?.operators,
      });
      const finished = records.some((record) => record.type === 'run.finished');
      // Not finished: still running while a live lease names it (on any machine), else interrupted.
      const live = !finished && (await team.list(first.environment.name)).some((lease) => lease.runId === runId && !lease.expired);
      const state = replayRun(records, { live });
      const verification: VerifyResult = {
        ok: check.ok,
        records: check.records,
        problems: check.problems.map((problem) => ({ line: problem.seq, message: `${problem.message} (team database)` })),
        finished,
        lastSeq: check.lastSeq,
        lastHash: check.lastHash,
      };
      const summary: AuditRunSummary = {
        runId,
        runbookId: state.runbook.id,
        runbookTitle: state.runbook.title,
        runbookVersion: state.runbook.version,
        environment: state.environment.name,
        lab: state.environment.lab,
        operator: state.operator,
        status: state.status,
        startedAt: state.startedAt,
        ...(state.finishedAt ? { finishedAt: state.finishedAt } : {}),
        live,
      };
      return { source: 'team', runId, summary, records, verification, live };
    } finally {
      await team.close().catch(() => undefined);
    }
  }

  private async auditDetail(reference: { runId: string; teamEnvironmentId?: string }): Promise<AuditRunDetail> {
    const run = await this.recordedRun(reference);
    const { runId, records, verification } = run;
    const transcripts = run.source === 'local' ? transcriptNames(this.context.auditStore(), runId) : [];
    const state = replayRun(records, { live: run.live });
    const teamVerification = run.source === 'local' ? await this.teamCopyOf(runId, run.summary.environment) : undefined;
    return {
      source: run.source,
      summary: run.summary,
      verification: {
        ok: verification.ok,
        records: verification.records,
        finished: verification.finished,
        problems: verification.problems,
        lastHash: verification.lastHash,
      },
      ...(teamVerification ? { teamVerification } : {}),
      drill: analyzeDrill(state, run.live ? { elapsedMs: Date.now() - Date.parse(state.startedAt) } : {}),
      report: exportRun(records, 'md', { verification, live: run.live }),
      timeline: records.filter((record) => record.type !== 'step.output').map(timelineEntry),
      transcripts,
      ...stateChangesOf(records),
    };
  }

  /**
   * The team database's copy of a local run, checked against the journal, when an open environment
   * of that name has a team database (`opsdeck audit verify <run> --env F`).
   */
  private async teamCopyOf(runId: string, environmentName: string): Promise<TeamCopyVerification | undefined> {
    const match = [...this.context.environments.entries()].find(([, environment]) => environment.name === environmentName && environment.audit?.database);
    if (!match) return undefined;
    const [environmentId, environment] = match;
    const team = this.context.teamFor(environmentId, environment);
    if (!team) return undefined;
    const database = team.description;
    try {
      const copy = await checkTeamCopy(team, this.context.auditStore(), runId, environment.audit?.operators);
      if (copy.state === 'missing') return { state: 'missing', database, records: 0, lastSeq: 0, problems: [] };
      const check = copy.result;
      return {
        state: check.ok ? 'verified' : 'tampered',
        database,
        records: check.records,
        lastSeq: check.lastSeq,
        ...(check.local ? { notYetReplicated: check.local.notYetReplicated } : {}),
        problems: check.problems,
      };
    } catch (error) {
      return { state: 'unavailable', database, records: 0, lastSeq: 0, problems: [], message: userMessageOf(error) };
    } finally {
      await team.close().catch(() => undefined);
    }
  }

  /** A run's report as a file to save: Markdown, self-contained HTML, or JSON (`opsdeck audit export`). */
  private async exportReport(request: ValidatedRequest<'audit:export'>): Promise<AuditExport> {
    const run = await this.recordedRun(request);
    const text = exportRun(run.records, request.format, {
      verification: run.verification,
      live: run.live,
      transcripts: run.source === 'local' ? transcriptLinks(this.context.auditStore(), run.runId) : [],
    });
    const base = `opsdeck-${run.summary.runbookId}-${run.runId}`.replace(/[^A-Za-z0-9._-]/g, '_');
    return { fileName: `${base}.${request.format}`, mimeType: EXPORT_MIME_TYPES[request.format], text };
  }

  /** Two recorded runs side by side (`opsdeck audit compare`). */
  private async compare(a: { runId: string; teamEnvironmentId?: string }, b: { runId: string; teamEnvironmentId?: string }): Promise<RunComparison> {
    const [left, right] = await Promise.all([this.recordedRun(a), this.recordedRun(b)]);
    return compareRuns(replayRun(left.records, { live: left.live }), replayRun(right.records, { live: right.live }), {
      a: stateChangesOfRecords(left.records),
      b: stateChangesOfRecords(right.records),
    });
  }

  private transcript(prefix: string, name: string): Transcript {
    const store = this.context.auditStore();
    const runId = store.resolve(prefix);
    const file = castPath(store.runDir(runId), name);
    // castFileName() turns any name into a safe file name; make sure it still names this run's file.
    if (path.basename(file) !== `${name}.cast` || !existsSync(file)) {
      throw new OpsError('transcript-not-found', `Run ${runId} has no transcript "${name}".`);
    }
    const cast = readCast(file);
    const events: Transcript['events'] = [];
    let size = 0;
    let truncated = cast.truncated;
    for (const [time, type, data] of cast.events) {
      if (type !== 'o' && type !== 'i') continue;
      size += data.length;
      if (size > MAX_TRANSCRIPT_CHARS) {
        truncated = true;
        break;
      }
      events.push([time, type, data]);
    }
    return { width: cast.header.width, height: cast.header.height, title: cast.header.title, events, truncated };
  }
}

/** The most transcript text a replay sends; the file keeps everything. */
const MAX_TRANSCRIPT_CHARS = 8 * 1024 * 1024;

interface RecordedRun {
  source: 'local' | 'team';
  runId: string;
  summary: AuditRunSummary;
  records: JournalRecord[];
  verification: VerifyResult;
  live: boolean;
}

const EXPORT_MIME_TYPES = { md: 'text/markdown; charset=utf-8', html: 'text/html; charset=utf-8', json: 'application/json' } as const;

function summariseAuditRun(summary: RunSummary): AuditRunSummary {
  return {
    runId: summary.runId,
    runbookId: summary.runbookId,
    runbookTitle: summary.runbookTitle,
    runbookVersion: summary.runbookVersion,
    environment: summary.environment,
    lab: summary.lab,
    operator: summary.operator,
    status: summary.status,
    startedAt: summary.startedAt,
    finishedAt: summary.finishedAt,
    live: summary.live,
  };
}

function timelineEntry(record: JournalRecord): TimelineEntry {
  const step = 'step' in record && typeof record.step === 'string' ? record.step : undefined;
  return { seq: record.seq, ts: record.ts, type: record.type, step, text: describeRecord(record) };
}

/** One line per journal record, as the timeline shows it. */
function describeRecord(record: JournalRecord): string {
  switch (record.type) {
    case 'run.started':
      return `Run of ${record.runbook.id} ${record.runbook.version} on ${record.environment.name} by ${record.operator}`;
    case 'step.started':
      return `${record.title}${record.hosts.length ? ` on ${record.hosts.join(', ')}` : ''}`;
    case 'step.command':
      return `${record.host}: $ ${record.command}`;
    case 'step.remote':
      return `${record.host}: running as process ${record.pid}`;
    case 'step.output':
      return `${record.host} ${record.stream}`;
    case 'step.awaiting':
      return `waits for ${record.need}: ${record.prompt.split('\n')[0]}`;
    case 'step.finished':
      return `${record.status}${record.reason ? `: ${record.reason}` : ''} (${record.durationMs} ms)`;
    case 'operator.action':
      return `${record.operator}: ${record.action}${record.choice ? ` ${record.choice}` : ''}${record.text !== undefined ? ` typed "${record.text}"` : ''}${record.reason ? ` (${record.reason})` : ''}${record.note ? ` — ${record.note}` : ''}`;
    case 'run.note':
      return `${record.level}: ${record.message}`;
    case 'run.finished':
      return `Run ${record.status}${record.reason ? `: ${record.reason}` : ''}`;
    case 'run.snapshot':
      return `State snapshot (${record.label}): ${record.probes.length} probes`;
    case 'approval.requested':
    case 'approval.granted':
    case 'approval.refused':
    case 'approval.not-counted':
    case 'approval.overridden':
      return describeApprovalEvent(record);
  }
}
