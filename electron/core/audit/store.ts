/**
 * The audit trail on this machine: every run's journal under `<auditDir>/runs/`.
 *
 * There is no index file: listing reads only the first line (run.started) and the last line of each
 * journal, from the end of the file, so it costs two small reads per run whatever the journals' sizes,
 * and it can never disagree with the journals.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OpsError } from '../errors';
import type { JournalRecord } from './events';
import { JOURNAL_FILE, checkRunId, defaultAuditDir, forEachLine, isLockLive, readFirstLine, readLastLines, readLock, runDir, runsDir } from './files';
import { parseRecord } from './journal';
import { verifyJournal, type VerifyResult } from './verify';
import type { RunSummary } from './report-types';
export type { RunSummary } from './report-types';

export class AuditStore {
  readonly auditDir: string;

  constructor(auditDir: string = defaultAuditDir()) {
    this.auditDir = auditDir;
  }

  /** Every run with a readable run.started, newest first. Unreadable directories are skipped. */
  list(): RunSummary[] {
    let names: string[];
    try {
      names = fs.readdirSync(runsDir(this.auditDir));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const runs: RunSummary[] = [];
    for (const name of names) {
      const summary = this.summary(name);
      if (summary) runs.push(summary);
    }
    return runs.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.runId < b.runId ? 1 : -1));
  }

  /** The summary of one run, or null if it has no readable journal. */
  summary(runId: string): RunSummary | null {
    let file: string;
    try {
      file = this.journalFile(runId);
    } catch {
      return null;
    }
    let firstLine: string | null;
    let lastLines: string[];
    try {
      firstLine = readFirstLine(file);
      lastLines = readLastLines(file, 1).lines;
    } catch {
      return null;
    }
    const first = firstLine ? parseRecord(firstLine) : null;
    if (!first || first.type !== 'run.started') return null;
    const last = lastLines[0] ? parseRecord(lastLines[0]) : first;
    const live = isLockLive(readLock(path.dirname(file)));
    const finished = last?.type === 'run.finished' ? last : null;
    return {
      runId,
      runbookId: first.runbook.id,
      runbookTitle: first.runbook.title,
      runbookVersion: first.runbook.version,
      environment: first.environment.name,
      lab: first.environment.lab,
      operator: first.operator,
      status: finished ? finished.status : live ? 'running' : 'interrupted',
      startedAt: first.ts,
      ...(finished ? { finishedAt: finished.ts } : {}),
      lastSeq: last?.seq ?? first.seq,
      live,
    };
  }

  /**
   * The run id that `prefix` names, like git: an exact id, or the only id starting with it.
   * @throws OpsError `audit-run-not-found` or `audit-run-ambiguous` (listing the candidates).
   */
  resolve(prefix: string): string {
    const wanted = prefix.trim();
    if (!wanted) throw new OpsError('audit-run-not-found', 'No run id given.');
    let names: string[] = [];
    try {
      names = fs.readdirSync(runsDir(this.auditDir));
    } catch {
      // No runs directory: no runs.
    }
    if (names.includes(wanted)) return wanted;
    const matches = names.filter((name) => name.startsWith(wanted)).sort();
    if (matches.length === 1) return matches[0];
    if (matches.length === 0) {
      throw new OpsError('audit-run-not-found', `No run id starts with "${wanted}" in ${this.auditDir}.`);
    }
    const shown = matches.slice(0, 5).join(', ') + (matches.length > 5 ? ', …' : '');
    throw new OpsError('audit-run-ambiguous', `"${wanted}" matches ${matches.length} runs (${shown}); type more of the id.`);
  }

  runDir(runId: string): string {
    return runDir(this.auditDir, runId);
  }

  journalFile(runId: string): string {
    checkRunId(runId);
    return path.join(runDir(this.auditDir, runId), JOURNAL_FILE);
  }

  /**
   * Every complete record of a run, in file order. Lines that are not records (a torn last line,
   * damaged lines) are left out: {@link verify} reports them.
   */
  records(runId: string): JournalRecord[] {
    const file = this.journalFile(runId);
    if (!fs.existsSync(file)) {
      throw new OpsError('audit-run-not-found', `Run ${runId} has no journal at ${file}.`);
    }
    const records: JournalRecord[] = [];
    forEachLine(file, (line) => {
      const record = parseRecord(line.toString('utf8'));
      if (record) records.push(record);
    });
    return records;
  }

  /** Verifies a run's journal against its head.json. */
  verify(runId: string): VerifyResult {
    return verifyJournal(this.journalFile(runId));
  }
}
