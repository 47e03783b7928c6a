/**
 * Outside review (issue 11), item 18: the Markdown export passed HTML from titles, parameters and
 * captures through, so a viewer that renders the report ran it. Each report here is rendered by a
 * real CommonMark renderer (GitHub's cmark-gfm, tables on, raw HTML allowed as most viewers do):
 * no element of the hostile text may come out, and the text must still be there, readable.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exportRun } from './export';
import { Journal } from './journal';
import { Masker } from './mask';
import { AuditStore } from './store';
import { runStarted, temporaryAuditDir } from './testing';

const CMARK = '/usr/bin/cmark-gfm';
const SCRIPT = '<script>alert(1)</script>';
const IMAGE = '<img src=x onerror=alert(2)>';

let auditDir: string;
let store: AuditStore;

beforeAll(() => {
  // Installed by the pretest script (.ci/install-debian-packages.sh); run it when vitest is run alone.
  if (!fs.existsSync(CMARK)) execFileSync('bash', [path.resolve(import.meta.dirname, '../../../.ci/install-debian-packages.sh')], { stdio: 'ignore' });
});

beforeEach(() => {
  auditDir = temporaryAuditDir();
  store = new AuditStore(auditDir);
  const journal = Journal.create(auditDir, 'hostile', new Masker([]), { syncIntervalMs: 0 });
  journal.append(
    runStarted('hostile', {
      runbook: { id: 'evil', title: `Drain ${SCRIPT}`, version: '1', file: `runbooks/${IMAGE}.yaml`, sha256: 'ab'.repeat(32) },
      params: {
        [`name${IMAGE}`]: 'plain',
        multiline: `first line\n${SCRIPT}\n<iframe src="javascript:alert(3)"></iframe>`,
        backticks: `\` ${IMAGE} \``,
        link: '[click me](javascript:alert(4))',
      },
      operator: `alice ${IMAGE}`,
      plan: [{ key: 'step-1', title: `Look ${SCRIPT}`, kind: 'run' }],
    }),
  );
  journal.append({ type: 'step.started', step: 'step-1', title: `Look ${SCRIPT}`, kind: 'run', hosts: [`host${IMAGE}`], attempt: 1 });
  journal.append({ type: 'step.awaiting', step: 'step-1', need: 'confirm', prompt: `Type ${SCRIPT}`, expected: SCRIPT });
  journal.append({ type: 'operator.action', action: 'skip', step: 'step-1', operator: `bob ${SCRIPT}`, reason: `because ${IMAGE}`, note: '[x](javascript:alert(5))' });
  journal.append({ type: 'run.note', level: 'warning', message: `note ${SCRIPT}`, step: 'step-1' });
  journal.append({
    type: 'step.finished',
    step: 'step-1',
    status: 'failed',
    durationMs: 10,
    checks: [{ name: `check ${SCRIPT}`, ok: false, detail: `detail ${IMAGE}` }],
    captures: { [`cap\` ${IMAGE} \``]: `${SCRIPT}`, multi: `a\n${SCRIPT}\nb` },
    reason: `failed ${SCRIPT}`,
  });
  journal.append({ type: 'run.finished', status: 'failed', durationMs: 20, reason: `reason ${SCRIPT}` });
  journal.close();
});

afterEach(() => {
  fs.rmSync(auditDir, { recursive: true, force: true });
});

function render(markdown: string): string {
  return execFileSync(CMARK, ['-e', 'table', '--unsafe'], { input: markdown, encoding: 'utf8' });
}

describe('the Markdown export, rendered', () => {
  it('lets no HTML from titles, parameters, captures, prompts, notes or names through', () => {
    const report = exportRun(store.records('hostile'), 'md', { transcripts: [{ name: `t${SCRIPT}`, href: 'transcripts/t.cast' }] });
    const html = render(report);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<iframe/i);
    expect(html).not.toMatch(/href="javascript:/i);
    // The hostile text is shown, as text.
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain('click me');
  });

  it('keeps the report readable: ordinary text and values are unchanged', () => {
    const html = render(exportRun(store.records('hostile'), 'md'));
    expect(html).toContain('<h1>Run hostile: Drain &lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    expect(html).toContain('<code>plain</code>');
    expect(html).toContain('<table>');
  });
});
