import * as fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportRun } from './export';
import { escapeHtml } from './html-export';
import { Journal } from './journal';
import { Masker } from './mask';
import { AuditStore } from './store';
import { runStarted, temporaryAuditDir } from './testing';
import { verifyJournal } from './verify';

let auditDir: string;
let store: AuditStore;
const XSS = '<script>alert(1)</script>';

beforeEach(() => {
  auditDir = temporaryAuditDir();
  store = new AuditStore(auditDir);
  // The journal's clock moves one second at each reading (records and fsyncs): `disable` ends 6 s in.
  let clock = Date.parse('2026-11-21T10:00:00Z');
  const journal = Journal.create(auditDir, 'html', new Masker(['Tr0ub4dor&3']), { syncIntervalMs: 0, now: () => new Date((clock += 1000)) });
  journal.append(
    runStarted('html', {
      operator: 'alice "<b>"',
      params: { host: `compute-01${XSS}`, db_password: 'Tr0ub4dor&3' },
      drill: { objectives: { run: 600_000, disable: 1_000 } },
    }),
  );
  journal.append({ type: 'step.started', step: 'disable', title: `Disable <img src=x onerror=alert(2)>`, kind: 'run', hosts: ['ctl-01'], attempt: 1 });
  journal.append({ type: 'step.command', step: 'disable', host: 'ctl-01', command: `echo '${XSS}' && OS_PASSWORD=Tr0ub4dor&3 openstack compute service set`, attempt: 1 });
  journal.append({ type: 'step.output', step: 'disable', host: 'ctl-01', stream: 'stdout', data: `${XSS}\nline & "quotes" 'single'\n` });
  journal.append({
    type: 'step.finished',
    step: 'disable',
    status: 'succeeded',
    exitCode: 0,
    durationMs: 1500,
    hosts: [{ host: 'ctl-01', exitCode: 0, signal: null, timedOut: false, status: 'succeeded' }],
    checks: [
      { name: 'stdout contains "<ok>"', ok: true },
      { name: 'exit code 0', ok: false, detail: '</details><h1>x</h1>' },
    ],
    captures: { service_id: '<c0ffee>' },
  });
  journal.append({ type: 'step.awaiting', step: 'reboot', need: 'confirm', prompt: 'Type <host>', expected: 'compute-01' });
  journal.append({ type: 'operator.action', action: 'confirm', step: 'reboot', operator: 'alice', text: `compute-01${XSS}` });
  journal.append({ type: 'operator.action', action: 'skip', step: 'migrate', operator: 'bob', reason: 'no instances <none>' });
  journal.append({ type: 'run.note', level: 'warning', message: `note ${XSS}` });
  journal.append({ type: 'run.finished', status: 'succeeded', durationMs: 5000 });
  journal.close();
});

afterEach(() => {
  fs.rmSync(auditDir, { recursive: true, force: true });
});

function report(): string {
  return exportRun(store.records('html'), 'html', {
    verification: verifyJournal(store.journalFile('html')),
    transcripts: [
      { name: 'ctl-01', href: 'runs/html/transcripts/ctl-01.cast' },
      { name: 'evil', href: 'javascript:alert(3)' },
    ],
    generatedAt: new Date('2026-11-21T12:00:00Z'),
  });
}

describe('escapeHtml', () => {
  it('escapes the five characters that matter, and JSON-encodes what is not text', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    expect(escapeHtml({ a: '<b>' })).toBe('{&quot;a&quot;:&quot;&lt;b&gt;&quot;}');
    expect(escapeHtml(undefined)).toBe('');
  });
});

describe('the HTML report', () => {
  it('is one self-contained page: no script, no external asset, a CSP that forbids both', () => {
    const html = report();
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'`);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<link|src=["']?https?:|@import/i);
    expect(html).toContain('<style>');
  });

  it('shows everything from the journal as text: output, commands, titles, checks, captures, notes, operators', () => {
    const html = report();
    const escaped = '&lt;script&gt;alert(1)&lt;/script&gt;';
    expect(html).toContain(`<pre>${escaped}\nline &amp; &quot;quotes&quot; &#39;single&#39;</pre>`);
    expect(html).toContain(`echo &#39;${escaped}&#39;`);
    expect(html).toContain('Disable &lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain('&lt;/details&gt;&lt;h1&gt;x&lt;/h1&gt;');
    expect(html).toContain('&quot;&lt;c0ffee&gt;&quot;');
    expect(html).toContain(`note ${escaped}`);
    expect(html).toContain('alice &quot;&lt;b&gt;&quot;');
    expect(html).toContain(`compute-01${escaped}`);
    // Only the page's own <details>/<pre>/<h1> elements: none came from the journal.
    expect(html.match(/<h1>/g)).toHaveLength(1);
  });

  it('tells the run: runbook and sha256, environment, masked parameters, timeline, confirmations, skips, exit codes, verification', () => {
    const html = report();
    expect(html).toContain('nova-compute-drain 1.2.0');
    expect(html).toContain('ab'.repeat(32));
    expect(html).toContain('staging (profile default, lab)');
    expect(html).not.toContain('Tr0ub4dor&3');
    expect(html).not.toContain('Tr0ub4dor&amp;3');
    expect(html).toMatch(/<td class="mono">db_password<\/td><td class="mono">\*{8}<\/td>/);
    expect(html).toContain('OS_PASSWORD=********');
    expect(html).toMatch(/<strong>alice<\/strong> confirmed, typing <span class="mono">compute-01&lt;script&gt;/);
    expect(html).toContain('<strong>bob</strong> skipped the step: no instances &lt;none&gt;');
    expect(html).toContain('ctl-01: exit 0');
    expect(html).toMatch(/<span class="fail">✗ FAIL<\/span> exit code 0/);
    expect(html).toContain('data-verification="verified"');
    expect(html).toContain('Journal verified: 10 records, hash chain intact');
    expect(html).toMatch(
      /data-objective="disable"><td>step Disable [^\n]*<td class="num">1\.0 s<\/td><td class="num">6\.0 s<\/td><td class="num">−5\.0 s<\/td><td><span class="badge v-missed">MISSED/,
    );
    expect(html).toMatch(/data-objective="run"[^\n]*met/);
  });

  it('links the transcripts by relative path and never as a javascript: URL', () => {
    const html = report();
    expect(html).toContain('<a href="runs/html/transcripts/ctl-01.cast">ctl-01</a>');
    expect(html).toContain('<a href="#">evil</a>');
    expect(html).not.toContain('href="javascript');
  });

  it('says loudly when the journal failed verification, and when it was not verified', () => {
    const file = store.journalFile('html');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[3] = lines[3].replace('line &', 'line +');
    fs.writeFileSync(file, lines.join('\n'));
    const tampered = exportRun(store.records('html'), 'html', { verification: verifyJournal(file) });
    expect(tampered).toContain('data-verification="failed"');
    expect(tampered).toContain('line 4: content changed (hash mismatch)');
    expect(exportRun(store.records('html'), 'html')).toContain('data-verification="not-verified"');
  });
});
