/**
 * Exports one run as a readable Markdown report, a self-contained HTML page (./html-export.ts) or a
 * structured JSON document, from its journal records (already masked when they were written; masked
 * again here in case the journal predates a secret pattern).
 */
import { analyzeDrill, type DrillReport, type RunComparison } from './drill';
import { breakGlassLine, describeApprovalEvent } from '../approval/words';
import type { ApprovalEvent, JournalRecord } from './events';
import type { RunExport, TranscriptLink } from './export-types';
import { formatDelta, formatDuration } from './format';
import { renderHtml } from './html-export';
import { Masker } from './mask';
import { diffSnapshots, runSnapshotDiff } from './snapshot-diff';
import { NO_STATE_CHANGES } from './state-compare';
import { replayRun, type ActionRecord } from './replay';
import type { VerifyResult } from './verify';

export { formatDuration } from './format';
export type { RunExport, TranscriptLink } from './export-types';

export type ExportFormat = 'md' | 'json' | 'html';

export interface ExportOptions {
  /** The result of verifying the journal; null or absent: the report says it was not verified. */
  verification?: VerifyResult | null;
  /** Same as {@link verification}. */
  verified?: VerifyResult | null;
  /** Output lines kept per step and host (the tail). Default 40. */
  outputLines?: number;
  /** The run is still being appended to by a live process (steps in flight are running). */
  live?: boolean;
  /** Masks the report once more (e.g. with secrets known now). Default: patterns only. */
  masker?: Masker;
  /** The run's asciicast transcripts, linked from the report (the console replays them). */
  transcripts?: TranscriptLink[];
  /** The time the report says it was made (tests). Default now. */
  generatedAt?: Date;
}

/** Output kept per step and host while reading, before cutting to the last lines. */
const TAIL_CHARS = 256 * 1024;

class OutputTails {
  private readonly text = new Map<string, Map<string, string>>();

  add(step: string, host: string, data: string): void {
    let hosts = this.text.get(step);
    if (!hosts) {
      hosts = new Map();
      this.text.set(step, hosts);
    }
    let text = (hosts.get(host) ?? '') + data;
    if (text.length > TAIL_CHARS * 2) text = text.slice(text.length - TAIL_CHARS);
    hosts.set(host, text);
  }

  lines(step: string, count: number): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [host, text] of this.text.get(step) ?? []) {
      // A carriage return redraws the line (progress bars): keep what the terminal would show.
      const lines = text
        .replace(/\r\n/g, '\n')
        .split('\n')
        .map((line) => line.slice(line.lastIndexOf('\r') + 1));
      if (lines.length && lines[lines.length - 1] === '') lines.pop();
      out[host] = lines.slice(-count);
    }
    return out;
  }
}

/**
 * The report of a run as data: what the JSON export holds and what the Markdown and HTML reports
 * render. For the console, which draws its own view of a run's report.
 */
function isApprovalRecord(record: JournalRecord): record is JournalRecord & ApprovalEvent {
  return record.type.startsWith('approval.');
}

export function buildRunReport(records: readonly JournalRecord[], options: ExportOptions = {}): RunExport {
  const state = replayRun(records, { live: options.live ?? false });
  const drill = analyzeDrill(state);
  const tails = new OutputTails();
  const prompts = new Map<string, RunExport['steps'][number]['prompts']>();
  // A resumed run's output is kept per attempt, so each attempt's reads under its own heading.
  const resumed = state.attempts.length > 1;
  let attempt = 1;
  for (const record of records) {
    if (record.type === 'operator.action' && record.action === 'reopen') attempt++;
    if (record.type === 'step.output') tails.add(record.step, resumed ? `${record.host}, attempt ${attempt}` : record.host, record.data);
    if (record.type === 'step.awaiting') {
      const { type: _type, step, seq: _seq, prev: _prev, hash: _hash, ...prompt } = record;
      const list = prompts.get(step) ?? [];
      list.push(prompt);
      prompts.set(step, list);
    }
  }
  const snapshotRecords = records.filter((record): record is Extract<JournalRecord, { type: 'run.snapshot' }> => record.type === 'run.snapshot');
  const outputLines = options.outputLines ?? 40;
  const { steps, actions, notes, decisions, inFlight: _inFlight, completedOrder: _completed, captures, lastSeq, lastHash, ...run } = state;
  const verified = options.verification ?? options.verified ?? null;
  const document: RunExport = {
    format: 'opsdeck-run/1',
    run,
    steps: steps.map((step) => ({ ...step, prompts: prompts.get(step.key) ?? [], output: tails.lines(step.key, outputLines) })),
    actions,
    notes,
    decisions,
    captures,
    verification: {
      verified: verified !== null,
      ok: verified ? verified.ok : null,
      records: verified ? verified.records : records.length,
      problems: verified ? verified.problems : [],
      lastSeq,
      lastHash,
    },
    drill,
    ...(snapshotRecords.length
      ? {
          snapshots: {
            taken: snapshotRecords.map((record) => ({
              label: record.label,
              ts: record.ts,
              ...(record.step ? { step: record.step } : {}),
              probes: record.probes.length,
              failed: record.probes.filter((probe) => probe.error || probe.exitCode !== 0).length,
            })),
            ...(snapshotRecords.length > 1 ? { diff: runSnapshotDiff(snapshotRecords) } : {}),
            ...(snapshotRecords.length > 2 ? { between: snapshotRecords.slice(1).map((record, index) => diffSnapshots(snapshotRecords[index], record)) } : {}),
          },
        }
      : {}),
    transcripts: options.transcripts ?? [],
    approvals: records.filter(isApprovalRecord).map((record) => ({ ts: record.ts, step: record.step, type: record.type, text: describeApprovalEvent(record) })),
    breakGlass: records.filter((record): record is Extract<JournalRecord, { type: 'approval.overridden' }> => record.type === 'approval.overridden').map(breakGlassLine),
    generatedAt: (options.generatedAt ?? new Date()).toISOString(),
  };
  return (options.masker ?? new Masker()).maskValue(document);
}

/** The run as a Markdown report, a self-contained HTML page, or a JSON document. */
export function exportRun(records: readonly JournalRecord[], format: ExportFormat, options: ExportOptions = {}): string {
  const document = buildRunReport(records, options);
  if (format === 'json') return JSON.stringify(document, null, 2) + '\n';
  const verified = options.verification ?? options.verified ?? null;
  if (format === 'html') return renderHtml(document, verified);
  return renderMarkdown(document, verified);
}

/**
 * Recorded text (a title, a name, a reason, a note) as Markdown prose: on one line, its HTML shown
 * and never rendered (entities), its Markdown punctuation shown and never acted on (backslashes), so
 * `<script>` or `[x](javascript:…)` in a runbook, a parameter or a host's output stays text in any
 * viewer. A line break would let a following `<script>` line start a raw HTML block.
 */
function text(raw: unknown): string {
  const value = typeof raw === 'string' ? raw : (JSON.stringify(raw) ?? '');
  return (
    value
      .replace(/[\\`*[\]~]/g, '\\$&')
      // An underscore inside a word (db_password) never makes emphasis; one at a word's edge may.
      .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\_')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/\r\n|\r|\n/g, ' ')
  );
}

/** Recorded text in a table cell. */
function cell(raw: unknown): string {
  return text(raw).replace(/\|/g, '\\|');
}

/** Markdown already made safe (a code span), in a table cell: GFM reads `\|` as a pipe even in code. */
function cellMarkdown(markdown: string): string {
  return markdown.replace(/\|/g, '\\|');
}

function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function fenced(text: string, language = ''): string {
  const longest = Math.max(0, ...(text.match(/`{3,}/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${text}${text.endsWith('\n') ? '' : '\n'}${fence}`;
}

/**
 * A value in a code span (literal in every viewer). A string with a line break is shown JSON-quoted,
 * on one line: a code span cannot hold a line break safely (the next line could open an HTML block).
 */
function value(data: unknown): string {
  const shown = typeof data === 'string' && !/[\r\n]/.test(data) ? data : JSON.stringify(data);
  return code(shown ?? String(data));
}

const STATUS_MARK: Record<string, string> = {
  succeeded: '✅ succeeded',
  failed: '❌ failed',
  skipped: '⏭ skipped',
  interrupted: '⚠️ interrupted',
  running: '▶ running',
  pending: '· pending',
};

function describeAction(action: ActionRecord): string {
  const who = text(action.operator);
  const parts: string[] = [];
  switch (action.action) {
    case 'confirm':
      parts.push(`${who} confirmed${action.text !== undefined ? `, typing ${value(action.text)}` : ''}`);
      break;
    case 'skip':
      parts.push(`${who} skipped the step${action.reason ? `: ${text(action.reason)}` : ' (no reason given)'}`);
      break;
    case 'decide':
      parts.push(`${who} chose ${value(action.choice ?? '?')}`);
      break;
    case 'manual-done':
      parts.push(`${who} marked the manual step done`);
      break;
    case 'manual-failed':
      parts.push(`${who} marked the manual step failed`);
      break;
    default:
      parts.push(`${who}: ${text(action.action)}`);
  }
  if (action.action !== 'skip' && action.reason) parts.push(`reason: ${text(action.reason)}`);
  if (action.note) parts.push(`note: ${text(action.note)}`);
  return `${action.ts} — ${parts.join('; ')}`;
}

function renderMarkdown(document: RunExport, verified: VerifyResult | null): string {
  const { run, steps, verification } = document;
  const out: string[] = [];
  out.push(`# Run ${text(run.runId)}: ${text(run.runbook.title)}`, '');
  for (const line of document.breakGlass) out.push(`> **${text(line)}**`, '');
  out.push('| | |', '|---|---|');
  out.push(`| Runbook | ${cell(`${run.runbook.id} ${run.runbook.version}`)} (${cell(run.runbook.file)}) |`);
  out.push(`| Runbook sha256 | \`${run.runbook.sha256}\` |`);
  out.push(`| Environment | ${cell(run.environment.name)} (profile ${cell(run.environment.profile)}${run.environment.lab ? ', **lab**' : ''}) — ${cell(run.environment.file)} |`);
  out.push(`| Operator | ${cell(run.operator)} on ${cell(run.machine)} |`);
  out.push(`| Status | **${run.status}**${run.reason ? ` — ${cell(run.reason)}` : ''} |`);
  if (run.attempts.length > 1) {
    const ends = run.attempts.map(
      (attempt) =>
        `attempt ${attempt.attempt}: ${attempt.status ?? 'running'} (${attempt.startedAt} → ${attempt.finishedAt ?? '…'})${attempt.reason && attempt.attempt < run.attempts.length ? ` — ${attempt.reason}` : ''}`,
    );
    const first = run.attempts[0].status ?? 'interrupted';
    out.push(`| Attempts | This run ${first === 'interrupted' ? 'was interrupted' : first} and was resumed: ${cell(ends.join('; '))} |`);
  }
  out.push(`| Started | ${run.startedAt} |`);
  out.push(`| Finished | ${run.finishedAt ?? '—'} |`);
  out.push(`| Duration | ${formatDuration(run.durationMs)} |`);
  out.push(`| Journal | ${cell(verificationLine(verification))} |`, '');

  const params = Object.entries(run.params);
  out.push('## Parameters', '');
  if (params.length === 0) out.push('None.', '');
  else {
    out.push('| Name | Value |', '|---|---|');
    for (const [name, param] of params) out.push(`| ${cell(name)} | ${cellMarkdown(value(param))} |`);
    out.push('');
  }

  if (document.approvals.length > 0) {
    out.push('## Two-person approval', '');
    for (const approval of document.approvals) out.push(`- ${approval.ts} — ${text(approval.text)}`);
    out.push('');
  }

  out.push(...drillMarkdown(document.drill));
  out.push(...snapshotMarkdown(document.snapshots));

  out.push('## Timeline', '');
  out.push('| # | Step | Status | Started | Duration | Host(s) | Exit code |', '|---|---|---|---|---|---|---|');
  steps.forEach((step, index) => {
    const exit = step.hostResults?.length
      ? step.hostResults.map((host) => `${host.host}: ${host.exitCode ?? host.signal ?? (host.timedOut ? 'timeout' : '—')}`).join(', ')
      : step.exitCode === undefined || step.exitCode === null
        ? '—'
        : String(step.exitCode);
    out.push(
      `| ${index + 1} | ${cell(step.title)} (${cellMarkdown(code(step.key))}) | ${STATUS_MARK[step.status] ?? step.status} | ${step.startedAt ?? '—'} | ${formatDuration(step.durationMs)} | ${cell(step.hosts.join(', ') || '—')} | ${cell(exit)} |`,
    );
  });
  out.push('');

  out.push('## Steps', '');
  steps.forEach((step, index) => {
    out.push(`### ${index + 1}. ${text(step.title)} (${code(step.key)}) — ${step.status}`, '');
    out.push(`- Kind: ${step.kind}; attempts: ${step.attempts}${step.hosts.length ? `; hosts: ${text(step.hosts.join(', '))}` : ''}`);
    if (step.startedAt) out.push(`- Started ${step.startedAt}${step.finishedAt ? `, finished ${step.finishedAt}` : ''} (${formatDuration(step.durationMs)})`);
    if (step.reason) out.push(`- Reason: ${text(step.reason)}${step.errorCode ? ` (${code(step.errorCode)})` : ''}`);
    out.push('');
    if (step.commands.length) {
      out.push('**Commands**', '');
      const text = step.commands.map((command) => `# ${command.host} (attempt ${command.attempt})\n${command.command}`).join('\n');
      out.push(fenced(text, 'sh'), '');
    }
    if (step.checks.length) {
      out.push('**Checks**', '');
      for (const check of step.checks) {
        out.push(`- ${check.ok ? '✓ pass' : '✗ FAIL'}: ${text(check.name)}${check.detail ? ` — ${text(check.detail)}` : ''}`);
      }
      out.push('');
    }
    const captures = Object.entries(step.captures);
    if (captures.length) {
      out.push('**Captures**', '');
      for (const [name, captured] of captures) out.push(`- ${code(name)} = ${value(captured)}`);
      out.push('');
    }
    const stepActions = document.actions.filter((action) => action.step === step.key);
    if (step.prompts.length || stepActions.length) {
      out.push('**Operator**', '');
      for (const prompt of step.prompts) {
        out.push(`- ${prompt.ts} — asked (${prompt.need}): ${text(prompt.prompt)}${prompt.expected ? ` (expected ${value(prompt.expected)})` : ''}`);
      }
      for (const action of stepActions) out.push(`- ${describeAction(action)}`);
      out.push('');
    }
    const notes = document.notes.filter((note) => note.step === step.key);
    if (notes.length) {
      out.push('**Notes**', '');
      for (const note of notes) out.push(`- ${note.ts} [${note.level}] ${text(note.message)}`);
      out.push('');
    }
    for (const [host, lines] of Object.entries(step.output)) {
      out.push(`**Output on ${text(host)}** (last ${lines.length} line${lines.length === 1 ? '' : 's'})`, '');
      out.push(fenced(lines.join('\n'), 'text'), '');
    }
  });

  const runActions = document.actions.filter((action) => !action.step);
  const runNotes = document.notes.filter((note) => !note.step);
  if (runActions.length || runNotes.length) {
    out.push('## Run actions and notes', '');
    for (const action of runActions) out.push(`- ${describeAction(action)}`);
    for (const note of runNotes) out.push(`- ${note.ts} [${note.level}] ${text(note.message)}`);
    out.push('');
  }

  if (document.transcripts.length) {
    out.push('## Transcripts', '', 'asciicast v2 recordings of each terminal; the console replays them.', '');
    for (const transcript of document.transcripts) out.push(`- [${text(transcript.name)}](<${encodeURI(transcript.href)}>)`);
    out.push('');
  }

  out.push('## Journal verification', '');
  out.push(verificationLine(verification), '');
  if (verified && !verified.ok) {
    for (const problem of verified.problems) out.push(`- line ${problem.line}: ${text(problem.message)}`);
    out.push('');
  }
  return out.join('\n');
}

/** "What changed": the diff of the run's first and last state snapshots, grouped by probe. */
export function snapshotMarkdown(snapshots: RunExport['snapshots']): string[] {
  if (!snapshots) return [];
  const out: string[] = ['## What changed (state snapshots)', ''];
  // `at STEP` is the label `opsdeck run --snapshot-at` gives: the step is not said twice.
  const taken = snapshots.taken.map(
    (snapshot) =>
      `${snapshot.label}${snapshot.step && snapshot.label !== `at ${snapshot.step}` ? ` (at ${snapshot.step})` : ''} at ${snapshot.ts}, ${snapshot.probes} probes${snapshot.failed ? `, ${snapshot.failed} failed` : ''}`,
  );
  out.push(`Snapshots: ${text(taken.join('; '))}.`, '');
  const diff = snapshots.diff;
  if (!diff) {
    out.push('Only one snapshot was taken: nothing to compare.', '');
    return out;
  }
  if (diff.changes.length === 0) out.push(`No change seen by the ${diff.compared} probes compared (${text(diff.from)} → ${text(diff.to)}).`, '');
  let group = '';
  for (const change of diff.changes) {
    const heading = `${change.probe} (${change.host})`;
    if (heading !== group) {
      if (group) out.push('');
      out.push(`**${text(heading)}**`, '');
      group = heading;
    }
    out.push(`- ${text(change.text)}`);
  }
  if (group) out.push('');
  if (diff.notCompared.length) {
    out.push('Not compared:', '');
    for (const skipped of diff.notCompared) out.push(`- ${text(skipped.probe)} (${text(skipped.host)}): ${text(skipped.text)}`);
    out.push('');
  }
  if (snapshots.between) {
    out.push('### Snapshot by snapshot', '');
    for (const step of snapshots.between) {
      out.push(`**${text(step.from)} → ${text(step.to)}**`, '');
      if (step.changes.length === 0) out.push(`- no change seen by the ${step.compared} probes compared`);
      for (const change of step.changes) out.push(`- ${text(change.probe)} (${text(change.host)}): ${text(change.text)}`);
      for (const skipped of step.notCompared) out.push(`- not compared: ${text(skipped.probe)} (${text(skipped.host)}): ${text(skipped.text)}`);
      out.push('');
    }
  }
  return out;
}

function verificationLine(verification: RunExport['verification']): string {
  if (!verification.verified) {
    return `NOT VERIFIED: this report was made without checking the journal's hash chain (last seq ${verification.lastSeq}, hash ${verification.lastHash}).`;
  }
  if (verification.ok) {
    return `Verified: ${verification.records} records, hash chain intact, matches head.json; last seq ${verification.lastSeq}, hash ${verification.lastHash}.`;
  }
  return `VERIFICATION FAILED: ${verification.problems.length} problem${verification.problems.length === 1 ? '' : 's'} in ${verification.records} records; do not trust this report without investigating.`;
}

export const VERDICT_TEXT: Record<string, string> = {
  met: 'met',
  missed: 'MISSED',
  'not-reached': 'not reached',
  'in-progress': 'in progress',
};

/** The drill section of the Markdown report: objectives against achieved, phases, slowest steps. */
function drillMarkdown(drill: DrillReport): string[] {
  const out: string[] = [];
  if (drill.drill) {
    out.push('## Drill: objectives against achieved', '');
    out.push('Each objective is counted from the start of the run to the end of what it names.', '');
    out.push('| Objective | Target | Achieved | Margin | Verdict |', '|---|---|---|---|---|');
    for (const objective of drill.objectives) {
      const name = objective.kind === 'run' ? 'whole run (RTO)' : `${objective.kind} ${code(objective.key)} ${cell(objective.title)}`;
      out.push(
        `| ${name} | ${formatDuration(objective.objectiveMs)} | ${formatDuration(objective.achievedMs)} | ${formatDelta(objective.marginMs)} | **${VERDICT_TEXT[objective.verdict]}** (${objective.status}) |`,
      );
    }
    out.push('');
  }
  if (drill.phases.length) {
    out.push('## Phases', '');
    out.push('| Phase | Status | Started after | Own duration | Ended after | Objective |', '|---|---|---|---|---|---|');
    for (const phase of drill.phases) {
      out.push(
        `| ${cell(phase.title)} (${code(phase.key)}) | ${phase.status} | ${formatDuration(phase.startedAfterMs)} | ${formatDuration(phase.durationMs)} | ${formatDuration(phase.finishedAfterMs)} | ${phase.objectiveMs !== undefined ? `${formatDuration(phase.objectiveMs)}: ${VERDICT_TEXT[phase.verdict ?? 'in-progress']}` : '—'} |`,
      );
    }
    out.push('');
  }
  if (drill.slowestSteps.length) {
    out.push('## Slowest steps', '');
    out.push('| Step | Duration | Share of the run | Status |', '|---|---|---|---|');
    for (const step of drill.slowestSteps) {
      out.push(
        `| ${cell(step.title)} (${code(step.key)}) | ${formatDuration(step.durationMs)} | ${step.share !== undefined ? `${Math.round(step.share * 100)} %` : '—'} | ${step.status} |`,
      );
    }
    out.push('');
  }
  return out;
}

/**
 * Two runs side by side (`opsdeck audit compare`), as Markdown: totals, objectives, then every step
 * with both durations and the difference (B − A).
 */
export function renderComparison(comparison: RunComparison): string {
  const { a, b } = comparison;
  const out: string[] = [];
  out.push(`# ${text(a.runbook.title)}: ${text(a.runId)} (A) against ${text(b.runId)} (B)`, '');
  if (!comparison.sameRunbook) out.push(`**Different runbooks**: A ran ${code(a.runbook.id)}, B ran ${code(b.runbook.id)}; only steps with the same key are compared.`, '');
  else if (!comparison.sameRunbookText)
    out.push(`Note: the runbook's text changed between the runs (sha256 ${a.runbook.sha256.slice(0, 12)}… → ${b.runbook.sha256.slice(0, 12)}…).`, '');
  out.push('| | A | B | B − A |', '|---|---|---|---|');
  out.push(`| Run | ${cell(a.runId)} | ${cell(b.runId)} | |`);
  out.push(`| Started | ${a.startedAt} | ${b.startedAt} | |`);
  out.push(`| Operator | ${cell(a.operator)} | ${cell(b.operator)} | |`);
  out.push(`| Environment | ${cell(a.environment)} | ${cell(b.environment)} | |`);
  out.push(`| Status | ${a.status} | ${b.status} | |`);
  out.push(`| Duration | ${formatDuration(comparison.total.aMs)} | ${formatDuration(comparison.total.bMs)} | ${formatDelta(comparison.total.deltaMs)} |`, '');
  if (comparison.objectives.length) {
    out.push('## Objectives', '', '| Objective | Target A | Achieved A | Target B | Achieved B | B − A |', '|---|---|---|---|---|---|');
    for (const objective of comparison.objectives) {
      const delta = objective.a?.achievedMs !== undefined && objective.b?.achievedMs !== undefined ? objective.b.achievedMs - objective.a.achievedMs : undefined;
      const side = (result: typeof objective.a) =>
        result ? `${formatDuration(result.objectiveMs)} | ${formatDuration(result.achievedMs)} (${VERDICT_TEXT[result.verdict]})` : '— | —';
      out.push(
        `| ${objective.key === 'run' ? 'whole run (RTO)' : `${cell(objective.title)} (${code(objective.key)})`} | ${side(objective.a)} | ${side(objective.b)} | ${formatDelta(delta)} |`,
      );
    }
    out.push('');
  }
  out.push('## Steps', '', '| Step | Kind | A | B | B − A | Change |', '|---|---|---|---|---|---|');
  for (const row of comparison.steps) {
    const side = (timing: typeof row.a) =>
      timing ? `${formatDuration(timing.durationMs)} ${timing.status === 'succeeded' ? '' : `(${timing.status})`}`.trim() : 'not in this run';
    const change = row.deltaRatio === undefined ? '—' : `${row.deltaRatio >= 0 ? '+' : '−'}${Math.round(Math.abs(row.deltaRatio) * 100)} %`;
    out.push(
      `| ${'\u00a0\u00a0'.repeat(row.depth)}${cell(row.title)} (${code(row.key)}) | ${row.kind} | ${side(row.a)} | ${side(row.b)} | ${formatDelta(row.deltaMs)} | ${change} |`,
    );
  }
  out.push('');
  const state = comparison.stateChanges;
  if (state) {
    out.push('## What each run changed', '', `- A: ${state.a?.summary ?? NO_STATE_CHANGES}`, `- B: ${state.b?.summary ?? NO_STATE_CHANGES}`, '');
    if (state.rows.length) {
      out.push('| Change | A | B |', '|---|---|---|');
      for (const row of state.rows) out.push(`| ${cell(row.subject)} | ${row.a ? cell(row.a) : '—'} | ${row.b ? cell(row.b) : '—'} |`);
      out.push('');
    }
  }
  return out.join('\n');
}
