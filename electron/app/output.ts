/**
 * Output and recordings read back from the audit trail, for the console: a run's whole output from
 * its journal (the run view's terminals keep only their scrollback, and drop output when they fall
 * behind), the host terminals' recordings, and any asciicast file for the player.
 *
 * A partial handler map: ConsoleService spreads it into its own.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AuditRunFacts, CastText, CommandName, CommandReply, OutputChunk, RunOutput, TerminalRecording, ValidatedRequest } from '../api/contract';
import { castPath } from '../core/audit/asciicast';
import { readFirstLine } from '../core/audit/files';
import { AuditStore } from '../core/audit/store';
import { OpsError } from '../core/errors';

/** At most this many characters of output in one `run:output` reply; ask again with `afterSeq` for the rest. */
export const MAX_OUTPUT_REPLY_CHARS = 32 * 1024 * 1024;
/** The largest asciicast file the player is given whole. */
export const MAX_CAST_CHARS = 32 * 1024 * 1024;
/** Where host terminals are recorded, under the audit directory. */
export const TERMINALS_DIR = 'terminals';

type Handler<Name extends CommandName> = (request: ValidatedRequest<Name>) => CommandReply<Name> | Promise<CommandReply<Name>>;

export interface OutputHandlers {
  'run:output': Handler<'run:output'>;
  'audit:recordings': Handler<'audit:recordings'>;
  'audit:cast': Handler<'audit:cast'>;
  'audit:facts': Handler<'audit:facts'>;
}

export function outputHandlers(options: {
  auditDir: string;
  /** Writes what a still-open host terminal holds of its recording, so a replay shows its latest output. */
  flushRecording?: (file: string) => void;
}): OutputHandlers {
  const store = () => new AuditStore(options.auditDir);
  return {
    'run:output': (request) => readRunOutput(store(), request.runId, request.step, request.afterSeq ?? 0),
    'audit:recordings': () => listRecordings(path.join(options.auditDir, TERMINALS_DIR)),
    'audit:facts': (request) => {
      const audit = store();
      const facts: Record<string, AuditRunFacts> = {};
      for (const runId of request.runIds) {
        try {
          facts[runId] = runFacts(audit, runId);
        } catch {
          // A run that cannot be read is left out; its row says nothing more than its summary.
        }
      }
      return facts;
    },
    'audit:cast': (request) => {
      if ('recording' in request) {
        const file = recordingFile(path.join(options.auditDir, TERMINALS_DIR), request.recording);
        options.flushRecording?.(file);
        return readCastText(file, request.recording);
      }
      const audit = store();
      const runId = audit.resolve(request.runId);
      const file = castPath(audit.runDir(runId), request.name);
      if (path.basename(file) !== `${request.name}.cast` || !existsSync(file)) {
        throw new OpsError('transcript-not-found', `Run ${runId} has no transcript "${request.name}".`);
      }
      return readCastText(file, `${request.name}.cast`);
    },
  };
}

/** A run's output from its journal: every step's, or `step`'s only; records after `afterSeq`. */
export function readRunOutput(store: AuditStore, prefix: string, step: string | undefined, afterSeq: number): RunOutput {
  const runId = store.resolve(prefix);
  const starts: RunOutput['starts'] = [];
  const chunks: OutputChunk[] = [];
  let size = 0;
  let lastSeq = afterSeq;
  let truncated = false;
  for (const record of store.records(runId)) {
    if (record.seq <= afterSeq) continue;
    if (record.type === 'step.output' && (step === undefined || record.step === step)) {
      if (size + record.data.length > MAX_OUTPUT_REPLY_CHARS && chunks.length > 0) {
        truncated = true;
        break;
      }
      size += record.data.length;
      chunks.push({ seq: record.seq, ts: record.ts, step: record.step, host: record.host, stream: record.stream, data: record.data });
    } else if (record.type === 'step.started' && (step === undefined || record.step === step)) {
      starts.push({ seq: record.seq, ts: record.ts, step: record.step, title: record.title, hosts: record.hosts });
    }
    lastSeq = record.seq;
  }
  return { runId, starts, chunks, lastSeq, truncated };
}

/** Duration, verification, skipped and failed steps and drill of one recorded run. */
export function runFacts(store: AuditStore, runId: string): AuditRunFacts {
  const last = new Map<string, string>();
  let durationMs: number | undefined;
  let drill = false;
  for (const record of store.records(runId)) {
    if (record.type === 'step.finished') last.set(record.step, record.status);
    else if (record.type === 'run.finished') durationMs = record.durationMs;
    else if (record.type === 'run.started') drill = record.drill !== undefined;
  }
  const statuses = [...last.values()];
  return {
    durationMs,
    verified: store.verify(runId).ok,
    skipped: statuses.filter((status) => status === 'skipped').length,
    failed: statuses.filter((status) => status === 'failed' || status === 'interrupted').length,
    drill,
  };
}

/** Every host terminal recording, newest first. */
export function listRecordings(directory: string): TerminalRecording[] {
  if (!existsSync(directory)) return [];
  const recordings: TerminalRecording[] = [];
  for (const name of readdirSync(directory)) {
    if (!name.endsWith('.cast')) continue;
    const file = path.join(directory, name);
    try {
      const stat = statSync(file);
      if (!stat.isFile()) continue;
      const header = JSON.parse(readFirstLine(file) ?? '{}') as { title?: unknown; timestamp?: unknown };
      recordings.push({
        name,
        title: typeof header.title === 'string' ? header.title : undefined,
        startedAt: typeof header.timestamp === 'number' ? header.timestamp * 1000 : stat.mtimeMs,
        bytes: stat.size,
      });
    } catch {
      // A recording whose header cannot be read is not offered; the file stays for inspection.
    }
  }
  return recordings.sort((a, b) => b.startedAt - a.startedAt);
}

/** The file a recording name means; only a plain file name of this directory is accepted. */
function recordingFile(directory: string, name: string): string {
  if (path.basename(name) !== name || !name.endsWith('.cast') || name.startsWith('.')) {
    throw new OpsError('recording-not-found', `"${name}" is not a terminal recording's name (a .cast file in ${directory}).`);
  }
  const file = path.join(directory, name);
  if (!existsSync(file)) throw new OpsError('recording-not-found', `There is no terminal recording "${name}" in ${directory}.`);
  return file;
}

/** An asciicast file's text, cut after its last whole line below {@link MAX_CAST_CHARS}. */
function readCastText(file: string, name: string): CastText {
  let text = readFileSync(file, 'utf8');
  let truncated = false;
  if (text.length > MAX_CAST_CHARS) {
    text = text.slice(0, text.lastIndexOf('\n', MAX_CAST_CHARS) + 1);
    truncated = true;
  }
  // A line cut short by a crash is left out: the player would stop at it.
  if (!text.endsWith('\n')) text = text.slice(0, text.lastIndexOf('\n') + 1);
  return { name, text, truncated };
}
