/**
 * The run report as one self-contained HTML page: inline CSS, no script, no external asset, so it can
 * be mailed, attached to a change ticket or opened from a USB stick years later.
 *
 * Everything that comes from the journal — command output above all, which can hold any HTML or
 * JavaScript a remote host printed — goes through {@link escapeHtml}. As a second line of defence the
 * page declares a Content-Security-Policy that allows no script at all and no remote resource.
 */
import type { DrillReport, ObjectiveVerdict } from './drill';
import type { RunExport } from './export-types';
import { formatDelta, formatDuration } from './format';
import type { ActionRecord } from './replay';
import type { VerifyResult } from './verify';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value: `& < > " '` escaped. Anything that is not a string is JSON. */
export function escapeHtml(value: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- JSON.stringify leaves only a function or a symbol here
  const text = typeof value === 'string' ? value : value === undefined ? '' : (JSON.stringify(value) ?? String(value));
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

const e = escapeHtml;

/** A relative link that cannot become `javascript:` or leave the report's directory tree by scheme. */
function safeHref(href: string): string {
  const cleaned = href.replace(/\\/g, '/');
  if (/^[a-z][a-z0-9+.-]*:/i.test(cleaned) || cleaned.startsWith('//')) return '#';
  return e(encodeURI(cleaned));
}

const STATUS_LABEL: Record<string, string> = {
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
  interrupted: 'interrupted',
  running: 'running',
  pending: 'pending',
  paused: 'paused',
  aborted: 'aborted',
  'rolled-back': 'rolled back',
  'rollback-failed': 'rollback failed',
};

const VERDICT_LABEL: Record<ObjectiveVerdict, string> = {
  met: 'met',
  missed: 'MISSED',
  'not-reached': 'not reached',
  'in-progress': 'in progress',
};

function badge(status: string): string {
  return `<span class="badge s-${e(status)}">${e(STATUS_LABEL[status] ?? status)}</span>`;
}

function verdictBadge(verdict: ObjectiveVerdict): string {
  return `<span class="badge v-${verdict}">${VERDICT_LABEL[verdict]}</span>`;
}

const CSS = `
:root { --fg:#1d2330; --muted:#5b6475; --line:#d9dee7; --bg:#ffffff; --panel:#f5f7fa; --ok:#1a7f37; --bad:#c62828; --warn:#9a6700; --info:#0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 0; }
.sub { color: var(--muted); margin: 0 0 16px; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: #0f1720; color: #e6edf3; padding: 10px 12px; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: 6px 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; font-size: 12.5px; color: var(--muted); }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.summary { display: grid; grid-template-columns: 170px 1fr; gap: 4px 14px; background: var(--panel); padding: 12px 16px; border-radius: 8px; }
.summary dt { color: var(--muted); }
.summary dd { margin: 0; word-break: break-all; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; background: #e8ebf0; color: var(--fg); }
.s-succeeded, .v-met { background: #dafbe1; color: var(--ok); }
.s-failed, .s-rollback-failed, .s-aborted, .v-missed { background: #ffe1e1; color: var(--bad); }
.s-interrupted, .s-paused, .v-not-reached { background: #fff1c2; color: var(--warn); }
.s-skipped, .s-pending { background: #eceff3; color: var(--muted); }
.s-running, .s-rolled-back, .v-in-progress { background: #ddeeff; color: var(--info); }
.verification { padding: 10px 14px; border-radius: 8px; font-weight: 600; margin: 12px 0; }
.verification.ok { background: #dafbe1; color: var(--ok); }
.verification.bad { background: #ffe1e1; color: var(--bad); }
.verification.none { background: #fff1c2; color: var(--warn); }
.lab { background: #ffe8a3; color: #6b4e00; }
.step { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 10px 0; }
.step header { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.step .meta { color: var(--muted); font-size: 12.5px; }
.step h4 { font-size: 13px; margin: 10px 0 2px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.step ul { margin: 2px 0; padding-left: 20px; }
.pass { color: var(--ok); font-weight: 600; }
.fail { color: var(--bad); font-weight: 600; }
.note-warning { color: var(--warn); }
.note-error { color: var(--bad); }
details { margin: 6px 0; }
summary { cursor: pointer; color: var(--info); }
.bar { background: #e8ebf0; border-radius: 3px; height: 8px; min-width: 80px; }
.bar > span { display: block; height: 8px; border-radius: 3px; background: #6e8fb8; }
.depth-1 { padding-left: 22px; } .depth-2 { padding-left: 40px; } .depth-3 { padding-left: 58px; }
footer { color: var(--muted); font-size: 12px; margin-top: 32px; }
@media print { pre { white-space: pre-wrap; } summary { color: var(--fg); } }
`;

/** The report as a self-contained HTML page. */
export function renderHtml(document: RunExport, verified: VerifyResult | null): string {
  const { run, steps, verification } = document;
  const body: string[] = [];
  body.push(`<h1>Run ${e(run.runId)}: ${e(run.runbook.title)}</h1>`);
  body.push(
    `<p class="sub">${badge(run.status)} ${run.environment.lab ? '<span class="badge lab">LAB</span> ' : ''}${document.drill.drill ? '<span class="badge s-running">DRILL</span> ' : ''}${e(run.runbook.id)} ${e(run.runbook.version)} on ${e(run.environment.name)} by ${e(run.operator)}</p>`,
  );
  for (const line of document.breakGlass) body.push(`<div class="verification bad" data-break-glass="true"><strong>${e(line)}</strong></div>`);
  body.push(verificationBanner(verification));

  body.push('<dl class="summary">');
  const row = (label: string, html: string) => body.push(`<dt>${label}</dt><dd>${html}</dd>`);
  row('Runbook', `${e(run.runbook.id)} ${e(run.runbook.version)} — <span class="mono">${e(run.runbook.file)}</span>`);
  row('Runbook sha256', `<span class="mono">${e(run.runbook.sha256)}</span>`);
  row(
    'Environment',
    `${e(run.environment.name)} (profile ${e(run.environment.profile)}${run.environment.lab ? ', lab' : ''}) — <span class="mono">${e(run.environment.file)}</span>`,
  );
  row('Operator', `${e(run.operator)} on ${e(run.machine)}`);
  row('Status', `${badge(run.status)}${run.reason ? ` ${e(run.reason)}` : ''}`);
  row('Started', e(run.startedAt));
  row('Finished', e(run.finishedAt ?? '—'));
  row('Duration', e(formatDuration(run.durationMs)));
  row('Journal end', `seq ${verification.lastSeq}, hash <span class="mono">${e(verification.lastHash)}</span>`);
  body.push('</dl>');

  if (document.approvals.length > 0) {
    body.push('<h2>Two-person approval</h2><ul>');
    for (const approval of document.approvals) body.push(`<li data-approval="${e(approval.type)}">${e(approval.ts)} — ${e(approval.text)}</li>`);
    body.push('</ul>');
  }

  body.push('<h2>Parameters</h2>');
  const params = Object.entries(run.params);
  if (params.length === 0) body.push('<p>None.</p>');
  else {
    body.push('<table><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody>');
    for (const [name, value] of params) body.push(`<tr><td class="mono">${e(name)}</td><td class="mono">${e(value)}</td></tr>`);
    body.push('</tbody></table>');
  }

  body.push(...drillHtml(document.drill));
  body.push(...snapshotHtml(document.snapshots));

  body.push('<h2>Timeline</h2>');
  body.push('<table><thead><tr><th>#</th><th>Step</th><th>Kind</th><th>Status</th><th>Started</th><th>Duration</th><th>Host(s)</th><th>Exit code</th></tr></thead><tbody>');
  steps.forEach((step, index) => {
    const depth = Math.min(step.key.split('/').length - 1, 3);
    const exit = step.hostResults?.length
      ? step.hostResults.map((host) => `${host.host}: ${host.exitCode ?? host.signal ?? (host.timedOut ? 'timeout' : '—')}`).join(', ')
      : step.exitCode === undefined || step.exitCode === null
        ? '—'
        : String(step.exitCode);
    body.push(
      `<tr><td class="num">${index + 1}</td><td class="depth-${depth}"><a href="#step-${index + 1}">${e(step.title)}</a> <span class="mono">${e(step.key)}</span></td><td>${e(step.kind)}</td><td>${badge(step.status)}</td><td class="mono">${e(step.startedAt ?? '—')}</td><td class="num">${e(formatDuration(step.durationMs))}</td><td>${e(step.hosts.join(', ') || '—')}</td><td class="mono">${e(exit)}</td></tr>`,
    );
  });
  body.push('</tbody></table>');

  body.push('<h2>Steps</h2>');
  steps.forEach((step, index) => {
    body.push(`<section class="step" id="step-${index + 1}">`);
    body.push(`<header><h3>${index + 1}. ${e(step.title)}</h3> <span class="mono">${e(step.key)}</span> ${badge(step.status)}</header>`);
    const meta = [`kind ${e(step.kind)}`, `attempts ${step.attempts}`];
    if (step.hosts.length) meta.push(`hosts ${e(step.hosts.join(', '))}`);
    if (step.startedAt) meta.push(`started ${e(step.startedAt)}${step.finishedAt ? `, finished ${e(step.finishedAt)}` : ''} (${e(formatDuration(step.durationMs))})`);
    body.push(`<div class="meta">${meta.join(' · ')}</div>`);
    if (step.reason) body.push(`<p>Reason: ${e(step.reason)}${step.errorCode ? ` <span class="mono">(${e(step.errorCode)})</span>` : ''}</p>`);
    if (step.commands.length) {
      body.push('<h4>Commands</h4>');
      for (const command of step.commands) {
        body.push(`<div class="meta">on ${e(command.host)}, attempt ${command.attempt}</div><pre>${e(command.command)}</pre>`);
      }
    }
    if (step.hostResults?.length) {
      body.push('<h4>Exit codes</h4><ul>');
      for (const host of step.hostResults) {
        body.push(
          `<li>${e(host.host)}: exit ${e(host.exitCode ?? '—')}${host.signal ? `, signal ${e(host.signal)}` : ''}${host.timedOut ? ', timed out' : ''} ${badge(host.status)}</li>`,
        );
      }
      body.push('</ul>');
    }
    if (step.checks.length) {
      body.push('<h4>Checks</h4><ul>');
      for (const check of step.checks) {
        body.push(`<li><span class="${check.ok ? 'pass' : 'fail'}">${check.ok ? '✓ pass' : '✗ FAIL'}</span> ${e(check.name)}${check.detail ? ` — ${e(check.detail)}` : ''}</li>`);
      }
      body.push('</ul>');
    }
    const captures = Object.entries(step.captures);
    if (captures.length) {
      body.push('<h4>Captures</h4><ul>');
      for (const [name, value] of captures) body.push(`<li><span class="mono">${e(name)}</span> = <span class="mono">${e(JSON.stringify(value))}</span></li>`);
      body.push('</ul>');
    }
    const stepActions = document.actions.filter((action) => action.step === step.key);
    if (step.prompts.length || stepActions.length) {
      body.push('<h4>Operator</h4><ul>');
      for (const prompt of step.prompts) {
        body.push(
          `<li>${e(prompt.ts)} — asked (${e(prompt.need)}): ${e(prompt.prompt)}${prompt.expected ? ` (expected <span class="mono">${e(prompt.expected)}</span>)` : ''}</li>`,
        );
      }
      for (const action of stepActions) body.push(`<li>${describeAction(action)}</li>`);
      body.push('</ul>');
    }
    const notes = document.notes.filter((note) => note.step === step.key);
    if (notes.length) {
      body.push('<h4>Notes</h4><ul>');
      for (const note of notes) body.push(`<li class="note-${e(note.level)}">${e(note.ts)} [${e(note.level)}] ${e(note.message)}</li>`);
      body.push('</ul>');
    }
    for (const [host, lines] of Object.entries(step.output)) {
      body.push(`<details><summary>Output on ${e(host)} (last ${lines.length} line${lines.length === 1 ? '' : 's'})</summary><pre>${e(lines.join('\n'))}</pre></details>`);
    }
    body.push('</section>');
  });

  const runActions = document.actions.filter((action) => !action.step);
  const runNotes = document.notes.filter((note) => !note.step);
  if (runActions.length || runNotes.length) {
    body.push('<h2>Run actions and notes</h2><ul>');
    for (const action of runActions) body.push(`<li>${describeAction(action)}</li>`);
    for (const note of runNotes) body.push(`<li class="note-${e(note.level)}">${e(note.ts)} [${e(note.level)}] ${e(note.message)}</li>`);
    body.push('</ul>');
  }

  body.push('<h2>Transcripts</h2>');
  if (document.transcripts.length === 0) body.push('<p>No terminal transcripts were recorded for this run.</p>');
  else {
    body.push('<p>asciicast v2 recordings of each terminal, next to the journal; the OpsDeck console replays them.</p>');
    body.push('<details open><summary>Transcript files</summary><ul>');
    for (const transcript of document.transcripts) {
      body.push(`<li><a href="${safeHref(transcript.href)}">${e(transcript.name)}</a> <span class="mono">${e(transcript.href)}</span></li>`);
    }
    body.push('</ul></details>');
  }

  body.push('<h2>Journal verification</h2>');
  body.push(verificationBanner(verification));
  if (verified && !verified.ok) {
    body.push('<ul>');
    for (const problem of verified.problems) body.push(`<li>line ${problem.line}: ${e(problem.message)}</li>`);
    body.push('</ul>');
  }
  body.push(`<footer>Report made by OpsDeck at ${e(document.generatedAt)} from the run's journal (format ${e(document.format)}).</footer>`);

  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // No script may run and nothing may be fetched, whatever the journal holds.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="OpsDeck">',
    `<title>Run ${e(run.runId)}: ${e(run.runbook.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body><main>',
    ...body,
    '</main></body>',
    '</html>',
    '',
  ].join('\n');
}

function verificationBanner(verification: RunExport['verification']): string {
  if (!verification.verified) {
    return `<div class="verification none" data-verification="not-verified">NOT VERIFIED: this report was made without checking the journal's hash chain.</div>`;
  }
  if (verification.ok) {
    return `<div class="verification ok" data-verification="verified">Journal verified: ${verification.records} records, hash chain intact, matches head.json.</div>`;
  }
  const count = verification.problems.length;
  return `<div class="verification bad" data-verification="failed">JOURNAL VERIFICATION FAILED: ${count} problem${count === 1 ? '' : 's'} in ${verification.records} records. Do not trust this report without investigating.</div>`;
}

function describeAction(action: ActionRecord): string {
  const who = `<strong>${e(action.operator)}</strong>`;
  let text: string;
  switch (action.action) {
    case 'confirm':
      text = `${who} confirmed${action.text !== undefined ? `, typing <span class="mono">${e(action.text)}</span>` : ''}`;
      break;
    case 'skip':
      text = `${who} skipped the step${action.reason ? `: ${e(action.reason)}` : ' (no reason given)'}`;
      break;
    case 'decide':
      text = `${who} chose <span class="mono">${e(action.choice ?? '?')}</span>`;
      break;
    case 'manual-done':
      text = `${who} marked the manual step done`;
      break;
    case 'manual-failed':
      text = `${who} marked the manual step failed`;
      break;
    default:
      text = `${who}: ${e(action.action)}`;
  }
  if (action.action !== 'skip' && action.reason) text += `; reason: ${e(action.reason)}`;
  if (action.note) text += `; note: ${e(action.note)}`;
  return `${e(action.ts)} — ${text}`;
}

/** "What changed": the diff of the run's first and last state snapshots, grouped by probe. */
function snapshotHtml(snapshots: RunExport['snapshots']): string[] {
  if (!snapshots) return [];
  const out = ['<h2>What changed (state snapshots)</h2>'];
  out.push(
    `<p>${snapshots.taken.map((snapshot) => `${e(snapshot.label)}${snapshot.step && snapshot.label !== `at ${snapshot.step}` ? ` (at ${e(snapshot.step)})` : ''} at ${e(snapshot.ts)}, ${snapshot.probes} probes${snapshot.failed ? `, ${snapshot.failed} failed` : ''}`).join('; ')}</p>`,
  );
  const diff = snapshots.diff;
  if (!diff) return [...out, '<p>Only one snapshot was taken: nothing to compare.</p>'];
  if (diff.changes.length === 0) out.push(`<p>No change seen by the ${diff.compared} probes compared.</p>`);
  const groups = new Map<string, string[]>();
  for (const change of diff.changes) {
    const heading = `${change.probe} (${change.host})`;
    groups.set(heading, [...(groups.get(heading) ?? []), change.text]);
  }
  for (const [heading, lines] of groups) out.push(`<h3>${e(heading)}</h3><ul>${lines.map((line) => `<li>${e(line)}</li>`).join('')}</ul>`);
  if (diff.notCompared.length)
    out.push(`<p>Not compared:</p><ul>${diff.notCompared.map((skipped) => `<li>${e(skipped.probe)} (${e(skipped.host)}): ${e(skipped.text)}</li>`).join('')}</ul>`);
  if (snapshots.between) {
    out.push('<h3>Snapshot by snapshot</h3>');
    for (const step of snapshots.between) {
      const lines = [
        ...step.changes.map((change) => `<li>${e(change.probe)} (${e(change.host)}): ${e(change.text)}</li>`),
        ...step.notCompared.map((skipped) => `<li>not compared: ${e(skipped.probe)} (${e(skipped.host)}): ${e(skipped.text)}</li>`),
      ];
      out.push(
        `<p><strong>${e(step.from)} → ${e(step.to)}</strong></p><ul>${lines.length ? lines.join('') : `<li>no change seen by the ${step.compared} probes compared</li>`}</ul>`,
      );
    }
  }
  return out;
}

function drillHtml(drill: DrillReport): string[] {
  const out: string[] = [];
  if (drill.drill) {
    out.push('<h2>Drill: objectives against achieved</h2>');
    out.push('<p class="meta">Each objective is counted from the start of the run to the end of what it names.</p>');
    out.push('<table><thead><tr><th>Objective</th><th>Target</th><th>Achieved</th><th>Margin</th><th>Verdict</th></tr></thead><tbody>');
    for (const objective of drill.objectives) {
      const name = objective.kind === 'run' ? 'Whole run (RTO)' : `${e(objective.kind)} ${e(objective.title)} <span class="mono">${e(objective.key)}</span>`;
      out.push(
        `<tr data-objective="${e(objective.key)}"><td>${name}</td><td class="num">${e(formatDuration(objective.objectiveMs))}</td><td class="num">${e(formatDuration(objective.achievedMs))}</td><td class="num">${e(formatDelta(objective.marginMs))}</td><td>${verdictBadge(objective.verdict)} ${badge(objective.status)}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  if (drill.phases.length) {
    out.push('<h2>Phases</h2>');
    out.push('<table><thead><tr><th>Phase</th><th>Status</th><th>Started after</th><th>Own duration</th><th>Ended after</th><th>Objective</th></tr></thead><tbody>');
    for (const phase of drill.phases) {
      out.push(
        `<tr><td>${e(phase.title)} <span class="mono">${e(phase.key)}</span></td><td>${badge(phase.status)}</td><td class="num">${e(formatDuration(phase.startedAfterMs))}</td><td class="num">${e(formatDuration(phase.durationMs))}</td><td class="num">${e(formatDuration(phase.finishedAfterMs))}</td><td>${phase.objectiveMs !== undefined ? `${e(formatDuration(phase.objectiveMs))} ${verdictBadge(phase.verdict ?? 'in-progress')}` : '—'}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  if (drill.slowestSteps.length) {
    out.push('<h2>Slowest steps</h2>');
    out.push('<table><thead><tr><th>Step</th><th>Duration</th><th>Share of the run</th><th>Status</th></tr></thead><tbody>');
    for (const step of drill.slowestSteps) {
      const share = step.share === undefined ? undefined : Math.min(Math.max(step.share, 0), 1);
      out.push(
        `<tr><td>${e(step.title)} <span class="mono">${e(step.key)}</span></td><td class="num">${e(formatDuration(step.durationMs))}</td><td>${share === undefined ? '—' : `<div class="bar" title="${Math.round(share * 100)} %"><span style="width:${(share * 100).toFixed(1)}%"></span></div>`}</td><td>${badge(step.status)}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  return out;
}
