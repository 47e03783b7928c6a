/**
 * ConsoleService without SSH: every request validated, errors as replies a person reads, parameter
 * problems per field, and the plan preview resolving every command for its hosts before a run.
 */
import { existsSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditExport, AuditRunDetail, LeaseBreak, LocksListing, RunComparison, RunPlan } from '../api/contract';
import type { RunEvent } from '../core/audit/events';
import { Journal } from '../core/audit/journal';
import { LocalLeaseBackend } from '../core/leases/local';
import { RunLeases } from '../core/leases/run-leases';
import { Masker } from '../core/audit/mask';
import { runStarted } from '../core/audit/testing';
import { BUNDLED_RUNBOOKS_DIR } from '../core/inventory/environment';
import { ConsoleService } from './service';

let work: string;
let service: ConsoleService;
let environmentId: string;

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-service-'));
  mkdirSync(path.join(work, 'environments'));
  mkdirSync(path.join(work, 'runbooks'));
  writeFileSync(path.join(work, 'known_hosts'), '');
  environmentId = path.join(work, 'environments', 'test.yaml');
  writeFileSync(
    environmentId,
    [
      'name: test-cloud',
      'lab: true',
      'profile: systemd',
      `known_hosts: ${path.join(work, 'known_hosts')}`,
      'defaults: { user: ops }',
      'hosts:',
      '  controller01: { address: 192.0.2.10, roles: [controller, db, mq] }',
      '  compute01: { address: 192.0.2.11, roles: [compute] }',
      '  compute02: { address: 192.0.2.12, roles: [compute] }',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(work, 'runbooks', 'broken.yaml'), 'id: broken\ntitle: Broken\nversion: "1"\nsteps: 12\n');
  service = new ConsoleService({
    auditDir: path.join(work, 'audit'),
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: path.join(work, 'runbooks'),
    environmentsDir: path.join(work, 'environments'),
    operator: 'tester',
    lab: { availability: () => ({ available: false, reason: 'no lab in unit tests' }), start: () => Promise.reject(new Error('no')) },
  });
});

afterAll(async () => {
  await service.close();
  rmSync(work, { recursive: true, force: true });
});

describe('ConsoleService.dispatch', () => {
  it('refuses unknown commands and payloads that fail the schema, without throwing', async () => {
    expect(await service.dispatch('fs:read', { file: '/etc/shadow' })).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    expect(await service.dispatch('terminal:write', { terminalId: 'x', data: 'a'.repeat(70_000) })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await service.dispatch('library:list', { extra: true })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await service.dispatch(42, {})).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
  });

  it('lists bundled and user runbooks with the problems of files that could not be loaded', async () => {
    const result = await service.dispatch('library:list', {});
    if (!result.ok) throw new Error(result.error.userMessage);
    const listing = result.value as { runbooks: Array<{ id: string; origin: string }>; problems: Array<{ file: string; line: number }> };
    expect(listing.runbooks.find((runbook) => runbook.id === 'hello-lab')?.origin).toBe('bundled');
    expect(listing.problems.some((problem) => problem.file.endsWith('broken.yaml') && problem.line >= 1)).toBe(true);
  });

  it('finds environments in the environments directory, labelled lab', async () => {
    const result = await service.dispatch('environment:list', {});
    expect(result).toMatchObject({ ok: true, value: [{ environmentId, name: 'test-cloud', lab: true }] });
  });

  it('answers parameter problems per field', async () => {
    const result = await service.dispatch('run:plan', { runbookId: 'hello-lab', environmentId, params: { marker_dir: 'not a path;', nope: 'x' } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('params');
    expect(result.error.problems?.map((problem) => problem.field).sort()).toEqual(['marker_dir', 'nope']);
  });

  it('previews the plan: every command resolved for its hosts, run-time values marked, rollback included', async () => {
    const result = await service.dispatch('run:plan', { runbookId: 'hello-lab', environmentId, params: { greeting: "it's me" } });
    if (!result.ok) throw new Error(result.error.userMessage);
    const plan = result.value as RunPlan;
    const look = plan.steps.find((step) => step.key === 'look-at-computes')!;
    expect(look.commands.map((command) => command.host)).toEqual(['compute01', 'compute02']);
    const write = plan.steps.find((step) => step.key === 'write-marker')!;
    expect(write.destructive?.confirm).toBe('controller01');
    // Values are shell-quoted exactly as the runner will; the run id is known only when it starts.
    expect(write.commands[0].command).toContain(`'it'\\''s me'`);
    expect(write.commands[0].command).toContain('⟨run.id⟩');
    expect(plan.steps.find((step) => step.key === 'go-on')?.prompt).toContain('⟨captures.controller⟩');
    expect(plan.rollback.map((step) => step.key)).toEqual(['rollback/remove-marker']);
    expect(plan.hosts).toEqual(['controller01', 'compute01', 'compute02']);
    expect(plan.lab).toBe(true);
  });

  it('says why the lab cannot start here', async () => {
    expect(await service.dispatch('lab:start', {})).toMatchObject({ ok: false, error: { code: 'lab-unavailable', userMessage: 'no lab in unit tests' } });
  });

  it('refuses to trust a host key that was never presented', async () => {
    const result = await service.dispatch('hosts:acceptKey', { environmentId, host: 'compute01', fingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(result).toMatchObject({ ok: false, error: { code: 'host-key-not-presented' } });
  });
});

/** Writes a finished run whose events happen at the given second offsets (a drill when objectives are given). */
function writeRun(runId: string, timeline: Array<[number, RunEvent]>, objectives?: Record<string, number>): void {
  const start = Date.parse('2026-11-21T10:00:00.000Z');
  let clock = start;
  const journal = Journal.create(path.join(work, 'audit'), runId, new Masker(), { syncIntervalMs: 0, now: () => new Date(clock) });
  journal.append(
    runStarted(runId, {
      plan: [
        { key: 'p10', title: 'Control plane', kind: 'phase' },
        { key: 'p10/db', title: 'Start the database', kind: 'run' },
        { key: 'p20', title: 'Computes', kind: 'phase' },
        { key: 'p20/nova', title: 'Start nova-compute', kind: 'run' },
      ],
      ...(objectives ? { drill: { objectives } } : {}),
    }),
  );
  for (const [second, event] of timeline) {
    clock = start + second * 1000;
    journal.append(event);
  }
  journal.close();
}

const started = (step: string, kind = 'run'): RunEvent => ({ type: 'step.started', step, title: step, kind, hosts: ['ctl-01'], attempt: 1 });
const finished = (step: string, durationMs: number): RunEvent => ({ type: 'step.finished', step, status: 'succeeded', durationMs, checks: [], captures: {} });

/** A drill: p10 takes 10 s × scale, p20 20 s × scale. */
function writeDrill(runId: string, scale: number, extra: RunEvent[] = []): void {
  writeRun(
    runId,
    [
      [0, started('p10', 'phase')],
      [0, started('p10/db')],
      ...extra.map((event): [number, RunEvent] => [1, event]),
      [10 * scale, finished('p10/db', 10_000 * scale)],
      [10 * scale, finished('p10', 10_000 * scale)],
      [10 * scale, started('p20', 'phase')],
      [10 * scale, started('p20/nova')],
      [30 * scale, finished('p20/nova', 20_000 * scale)],
      [30 * scale, finished('p20', 20_000 * scale)],
      [30 * scale, { type: 'run.finished', status: 'succeeded', durationMs: 30_000 * scale }],
    ],
    { run: 45_000, p10: 12_000 },
  );
}

describe("host leases (the CLI's, in <auditDir>/locks)", () => {
  it('refuses run:start for a host another run holds, naming holder, run and since; takes nothing, writes nothing', async () => {
    const auditDir = path.join(work, 'audit');
    const held = await RunLeases.acquire(new LocalLeaseBackend(auditDir), {
      environment: 'test-cloud',
      hosts: ['controller01'],
      holder: { runId: 'alice-run-0001', operator: 'alice', machine: os.hostname(), pid: process.pid, runbook: 'rabbitmq-recovery' },
    });
    try {
      const runsBefore = existsSync(path.join(auditDir, 'runs')) ? readdirSync(path.join(auditDir, 'runs')).length : 0;
      const reply = await service.dispatch('run:start', { runbookId: 'hello-lab', environmentId, params: {} });
      expect(reply.ok).toBe(false);
      if (reply.ok) return;
      expect(reply.error.code).toBe('host-locked');
      const firstLine = reply.error.userMessage.split('\n')[0];
      expect(firstLine).toContain('Nothing was run');
      expect(firstLine).toContain('controller01 is locked by alice');
      expect(firstLine).toContain('alice-run-0001');
      expect(firstLine).toContain(held.leases[0].since);
      expect(firstLine).toContain('runbook rabbitmq-recovery');
      expect(existsSync(path.join(auditDir, 'runs')) ? readdirSync(path.join(auditDir, 'runs')).length : 0).toBe(runsBefore);

      // The refused run gave back what it had taken (compute01, compute02): only alice's lease is left.
      const listed = await service.dispatch('locks:list', { environmentId });
      if (!listed.ok) throw new Error(listed.error.userMessage);
      const locks = listed.value as LocksListing;
      expect(locks.backend).toBe('local');
      expect(locks.leases.filter((lease) => !lease.expired).map((lease) => [lease.host, lease.operator, lease.runId])).toEqual([['controller01', 'alice', 'alice-run-0001']]);
    } finally {
      await held.release('alice');
    }
  });

  it('breaks a lease only with a reason, and records who broke whose lease and why', async () => {
    const held = await RunLeases.acquire(new LocalLeaseBackend(path.join(work, 'audit')), {
      environment: 'test-cloud',
      hosts: ['compute02'],
      holder: { runId: 'bob-run-0002', operator: 'bob', machine: os.hostname(), pid: process.pid },
    });
    try {
      expect(await service.dispatch('locks:break', { environmentId, host: 'compute02', reason: '   ' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
      const reply = await service.dispatch('locks:break', { environmentId, host: 'compute02', reason: 'bob went home, host needed for the drill' });
      if (!reply.ok) throw new Error(reply.error.userMessage);
      const record = reply.value as LeaseBreak;
      expect(record).toMatchObject({ host: 'compute02', by: 'tester', reason: 'bob went home, host needed for the drill', lease: { operator: 'bob', runId: 'bob-run-0002' } });
      const listed = await service.dispatch('locks:list', { environmentId });
      if (!listed.ok) throw new Error(listed.error.userMessage);
      const locks = listed.value as LocksListing;
      expect(locks.leases.some((lease) => lease.host === 'compute02' && !lease.expired)).toBe(false);
      expect(locks.breaks[0]).toMatchObject({ host: 'compute02', by: 'tester', reason: 'bob went home, host needed for the drill' });
      expect(await service.dispatch('locks:break', { environmentId, host: 'compute02', reason: 'again' })).toMatchObject({ ok: false, error: { code: 'lease-not-found' } });
    } finally {
      await held.release('bob');
    }
  });

  it('refuses drill objectives that name no step of the runbook, before taking anything', async () => {
    const reply = await service.dispatch('run:start', { runbookId: 'hello-lab', environmentId, params: {}, drill: { objectives: { 'no-such-phase': 60_000 } } });
    expect(reply).toMatchObject({ ok: false, error: { code: 'drill-objectives', userMessage: expect.stringContaining('"no-such-phase" is not a step') } });
    expect(await service.dispatch('run:start', { runbookId: 'hello-lab', environmentId, params: {}, drill: { objectives: { run: -5 } } })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
  });
});

describe('audit: exports, drill reports, comparisons', () => {
  it("exports a report as self-contained HTML with the journal's text escaped, as Markdown and as JSON", async () => {
    writeDrill('20261121T100000Z-html01', 1, [{ type: 'step.output', step: 'p10/db', host: 'ctl-01', stream: 'stdout', data: '<script>alert(1)</script> & "quotes"\n' }]);
    const html = await service.dispatch('audit:export', { runId: '20261121T100000Z-html01', format: 'html' });
    if (!html.ok) throw new Error(html.error.userMessage);
    const page = html.value as AuditExport;
    expect(page.fileName).toBe('opsdeck-nova-compute-drain-20261121T100000Z-html01.html');
    expect(page.mimeType).toContain('text/html');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(page.text).not.toContain('<script');
    expect(page.text).not.toMatch(/(src|href)="?(https?:)?\/\//);
    expect(page.text).toContain("default-src 'none'");

    const markdown = await service.dispatch('audit:export', { runId: '20261121T100000Z-html01', format: 'md' });
    expect(markdown).toMatchObject({ ok: true, value: { fileName: expect.stringMatching(/\.md$/), text: expect.stringContaining('nova-compute-drain') } });
    const json = await service.dispatch('audit:export', { runId: '20261121T100000Z-html01', format: 'json' });
    if (!json.ok) throw new Error(json.error.userMessage);
    const document = JSON.parse((json.value as AuditExport).text) as { format: string; verification: { ok: boolean }; drill: { drill: boolean } };
    expect(document).toMatchObject({ format: 'opsdeck-run/1', verification: { ok: true }, drill: { drill: true } });
    expect(await service.dispatch('audit:export', { runId: '20261121T100000Z-html01', format: 'pdf' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it("shows a drill's objectives against what was achieved, per phase, and its slowest steps", async () => {
    writeDrill('20261121T110000Z-drill1', 1);
    const reply = await service.dispatch('audit:show', { runId: '20261121T110000Z-drill1' });
    if (!reply.ok) throw new Error(reply.error.userMessage);
    const detail = reply.value as AuditRunDetail;
    expect(detail.source).toBe('local');
    expect(detail.verification.ok).toBe(true);
    // No team database in this environment: nothing to say about a copy.
    expect(detail.teamVerification).toBeUndefined();
    expect(detail.drill.drill).toBe(true);
    expect(detail.drill.objectives).toEqual([
      expect.objectContaining({ key: 'run', objectiveMs: 45_000, achievedMs: 30_000, verdict: 'met' }),
      expect.objectContaining({ key: 'p10', objectiveMs: 12_000, achievedMs: 10_000, verdict: 'met' }),
    ]);
    expect(detail.drill.phases.map((phase) => [phase.key, phase.durationMs])).toEqual([
      ['p10', 10_000],
      ['p20', 20_000],
    ]);
    expect(detail.drill.slowestSteps[0]).toMatchObject({ key: 'p20/nova', durationMs: 20_000 });
  });

  it('compares two drills of one runbook side by side: totals, objectives, every step with B − A', async () => {
    writeDrill('20261121T120000Z-drillA', 1);
    writeDrill('20261121T130000Z-drillB', 2);
    const reply = await service.dispatch('audit:compare', { a: { runId: '20261121T120000Z-drillA' }, b: { runId: '20261121T130000Z-drillB' } });
    if (!reply.ok) throw new Error(reply.error.userMessage);
    const comparison = reply.value as RunComparison;
    expect(comparison.sameRunbook).toBe(true);
    expect(comparison.total).toEqual({ aMs: 30_000, bMs: 60_000, deltaMs: 30_000 });
    expect(comparison.steps.find((row) => row.key === 'p20/nova')).toMatchObject({ a: { durationMs: 20_000 }, b: { durationMs: 40_000 }, deltaMs: 20_000, deltaRatio: 1 });
    const p10 = comparison.objectives.find((objective) => objective.key === 'p10');
    expect([p10?.a?.verdict, p10?.b?.verdict]).toEqual(['met', 'missed']);
    expect(await service.dispatch('audit:compare', { a: { runId: 'nope' }, b: { runId: '20261121T130000Z-drillB' } })).toMatchObject({ ok: false });
  });

  it('says plainly that an environment without a team database has no team runs', async () => {
    expect(await service.dispatch('audit:teamList', { environmentId })).toMatchObject({
      ok: false,
      error: { code: 'team-not-configured', userMessage: expect.stringContaining('test-cloud') },
    });
  });
});
