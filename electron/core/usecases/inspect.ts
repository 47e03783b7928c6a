/**
 * Inspecting recorded runs: what `opsdeck audit verify/show/export` and the console's Audit screen
 * both need, decided once: a run's transcripts, its local journal lines, the team database's copy
 * checked against the chain, the local journal and the operators' accounts, and its report.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TranscriptLink } from '../audit/export';
import { TRANSCRIPTS_DIR } from '../audit/files';
import type { AuditStore } from '../audit/store';
import type { TeamAudit } from '../team/audit';
import { verifyTeamRecords, type TeamRecord, type TeamVerifyResult } from '../team/journal';

/** The names of a run's terminal transcripts (`<host>` for `<host>.cast`), sorted. */
export function transcriptNames(store: AuditStore, runId: string): string[] {
  const directory = path.join(store.runDir(runId), TRANSCRIPTS_DIR);
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((name) => name.endsWith('.cast'))
    .map((name) => name.slice(0, -'.cast'.length))
    .sort();
}

/**
 * Links to a run's transcripts for its report: relative to `reportDir` when the report is written
 * there (it moves with the audit directory), else absolute (a report saved wherever the operator
 * chooses, on the machine that holds the audit directory).
 */
export function transcriptLinks(store: AuditStore, runId: string, reportDir?: string): TranscriptLink[] {
  const directory = path.join(store.runDir(runId), TRANSCRIPTS_DIR);
  return transcriptNames(store, runId).map((name) => {
    const file = path.join(directory, `${name}.cast`);
    return { name, href: (reportDir ? path.relative(reportDir, file) : file).split(path.sep).join('/') };
  });
}

/** The lines of this machine's journal of a run, when it has one (to compare with the team copy). */
export function localJournalLines(store: AuditStore, runId: string): string[] | undefined {
  const file = store.journalFile(runId);
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
}

export type TeamCopyCheck = { state: 'missing'; records: TeamRecord[]; localLines?: string[] } | { state: 'checked'; records: TeamRecord[]; result: TeamVerifyResult };

/**
 * The team database's copy of a run, checked: its hash chain, against the local journal when this
 * machine has one, and who inserted its rows against the operators' accounts (`audit: operators`).
 */
export async function checkTeamCopy(team: TeamAudit, store: AuditStore, runId: string, operators?: Record<string, string>): Promise<TeamCopyCheck> {
  const records = await team.records(runId);
  const localLines = localJournalLines(store, runId);
  if (records.length === 0) return { state: 'missing', records, ...(localLines ? { localLines } : {}) };
  const runRow = await team.runRow(runId);
  return { state: 'checked', records, result: verifyTeamRecords(runId, records, localLines, { runRow, operators }) };
}
