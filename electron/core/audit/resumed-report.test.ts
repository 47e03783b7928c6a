/**
 * The report of a run that failed and was resumed tells it: both attempts, each attempt's output
 * under its own heading, and the true wall-clock duration (not the last attempt's).
 */
import { describe, expect, it } from 'vitest';
import type { JournalRecord, RunEvent } from './events';
import { buildRunReport, exportRun } from './export';
import { runStarted } from './testing';

/** A journal as the runner writes it: a run from 09:00:00 failing at 09:00:12, resumed at 09:01:35, done at 09:01:53. */
function resumedJournal(): JournalRecord[] {
  const events: Array<[string, RunEvent]> = [
    ['09:00:00', runStarted('run-r')],
    ['09:00:01', { type: 'step.started', step: 'disable', title: 'Disable the compute service', kind: 'run', hosts: ['ctl-01'], attempt: 1 }],
    ['09:00:02', { type: 'step.output', step: 'disable', host: 'ctl-01', stream: 'stdout', data: 'first try: nova-api did not answer\n' }],
    ['09:00:12', { type: 'step.finished', step: 'disable', status: 'failed', durationMs: 11_000, checks: [], captures: {}, reason: 'exit code was 1' }],
    ['09:00:12', { type: 'run.finished', status: 'failed', durationMs: 12_000, reason: 'A step failed and the run stopped there.' }],
    ['09:01:35', { type: 'operator.action', action: 'reopen', operator: 'alice' }],
    ['09:01:36', { type: 'step.started', step: 'disable', title: 'Disable the compute service', kind: 'run', hosts: ['ctl-01'], attempt: 1 }],
    ['09:01:37', { type: 'step.output', step: 'disable', host: 'ctl-01', stream: 'stdout', data: 'second try: disabled\n' }],
    ['09:01:40', { type: 'step.finished', step: 'disable', status: 'succeeded', durationMs: 4_000, checks: [], captures: {} }],
    ['09:01:53', { type: 'run.finished', status: 'succeeded', durationMs: 17_800 }],
  ];
  return events.map(([time, event], index) => ({ ...event, seq: index + 1, ts: `2026-12-03T${time}.000Z`, prev: '', hash: '' }));
}

describe('the report of a resumed run', () => {
  it('gives the wall-clock duration and both attempts, each with its own end', () => {
    const report = buildRunReport(resumedJournal());
    expect(report.run.status).toBe('succeeded');
    expect(report.run.durationMs).toBe(113_000);
    expect(report.run.attempts).toEqual([
      { attempt: 1, startedAt: '2026-12-03T09:00:00.000Z', finishedAt: '2026-12-03T09:00:12.000Z', status: 'failed', reason: 'A step failed and the run stopped there.' },
      { attempt: 2, startedAt: '2026-12-03T09:01:35.000Z', finishedAt: '2026-12-03T09:01:53.000Z', status: 'succeeded' },
    ]);
  });

  it("says in the Markdown report that the run failed and was resumed, with each attempt's output under its own heading", () => {
    const markdown = exportRun(resumedJournal(), 'md');
    expect(markdown).toContain('| Duration | 1 min 53 s |');
    expect(markdown).toMatch(/failed and was resumed/);
    expect(markdown).toContain('attempt 1: failed');
    expect(markdown).toContain('attempt 2: succeeded');
    const first = markdown.indexOf('**Output on ctl-01, attempt 1**');
    const second = markdown.indexOf('**Output on ctl-01, attempt 2**');
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(markdown.slice(first, second)).toContain('first try: nova-api did not answer');
    expect(markdown.slice(second)).toContain('second try: disabled');
  });

  it('leaves a run that was never resumed as it was', () => {
    const once = resumedJournal().slice(0, 5);
    const report = buildRunReport(once);
    expect(report.run.durationMs).toBe(12_000);
    expect(report.run.attempts).toHaveLength(1);
    const markdown = exportRun(once, 'md');
    expect(markdown).toContain('**Output on ctl-01** (last 1 line)');
    expect(markdown).not.toMatch(/resumed/);
  });
});
