/**
 * FAULT SUITE — malformed runbooks through the real CLI: `opsdeck validate` AND `opsdeck run`.
 * Every variant must give `file:line:column: sentence` naming that file, `validate` must exit 1, and
 * `run` must refuse (exit 2) before anything executes: no journal is created and the variant's first
 * step (which would touch a marker file on the host) never runs. 50+ variants: syntax, types,
 * unknown fields, dangling references, cycles in decisions, includes that loop, huge and deeply nested
 * files, alias bombs, binary data, invalid UTF-8.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshLab } from '../lab/sshd-lab';
import { opsdeck, runIdsIn, sleep, spawnCli, startFaultLab, workDir } from '../faults/helpers';

let lab: SshLab;
let work: string;
let auditDir: string;
const marker = `/tmp/opsdeck-malformed-${process.pid}`;
const TOUCH = `  - id: touch\n    title: Touch\n    on: controller01\n    run: touch ${marker}\n`;
const HEAD = (id: string) => `id: ${id}\ntitle: Malformed ${id}\nversion: "1"\ndescription: fault suite\n`;

/** [name, file content (string or bytes), extra files in the same directory, expected line (optional)] */
type Variant = {
  name: string;
  content: string | Buffer;
  extra?: Record<string, string>;
  line?: number;
  phrase?: RegExp;
  /** A known bug: the case runs under it.fails (see the report). */
  bug?: string;
  /** Run the CLI as a child process bounded by this many ms (a case that may never end in-process). */
  childRunMs?: number;
};

const nested = (depth: number) => {
  let value = 'x';
  for (let i = 0; i < depth; i++) value = `{ a: ${value} }`;
  return value;
};

const VARIANTS: Variant[] = [
  { name: 'yaml-unclosed-flow', content: `${HEAD('m1')}steps:\n${TOUCH}  - { id: b, run: x, on: all\n` },
  { name: 'yaml-bad-indent', content: `${HEAD('m2')}steps:\n${TOUCH}   - id: b\n  manual: x\n` },
  { name: 'yaml-tab-indent', content: `${HEAD('m3')}steps:\n${TOUCH}\t- id: b\n\t  manual: x\n` },
  { name: 'yaml-duplicate-key', content: `${HEAD('m4')}title: again\nsteps:\n${TOUCH}`, line: 5 },
  { name: 'yaml-unterminated-string', content: `${HEAD('m5')}steps:\n${TOUCH}  - id: b\n    manual: "never closed\n` },
  { name: 'top-level-list', content: `- id: m6\n- title: x\n` },
  { name: 'top-level-scalar', content: `just a sentence\n` },
  { name: 'empty-file', content: `` },
  { name: 'two-documents', content: `${HEAD('m9')}steps:\n${TOUCH}---\n${HEAD('m9b')}steps:\n${TOUCH}` },
  { name: 'missing-id', content: `title: T\nversion: "1"\nsteps:\n${TOUCH}`, phrase: /id/ },
  { name: 'id-not-kebab', content: `${HEAD('Compute_Maint')}steps:\n${TOUCH}`, line: 1 },
  { name: 'title-is-map', content: `id: m12\ntitle: { a: b }\nsteps:\n${TOUCH}`, line: 2 },
  { name: 'steps-empty', content: `${HEAD('m13')}steps: []\n`, line: 5 },
  { name: 'steps-is-string', content: `${HEAD('m14')}steps: touch ${marker}\n`, line: 5 },
  { name: 'unknown-top-field', content: `${HEAD('m15')}stepz: []\nsteps:\n${TOUCH}`, line: 5, phrase: /stepz/ },
  { name: 'unknown-step-field', content: `${HEAD('m16')}steps:\n${TOUCH}    tiemout: 5m\n`, line: 10, phrase: /timeout/ },
  { name: 'step-without-kind', content: `${HEAD('m17')}steps:\n${TOUCH}  - id: b\n    title: nothing\n`, line: 10 },
  { name: 'step-two-kinds', content: `${HEAD('m18')}steps:\n${TOUCH}  - id: b\n    run: x\n    on: all\n    manual: y\n` },
  { name: 'bad-duration', content: `${HEAD('m19')}steps:\n${TOUCH}    timeout: 5 minuts\n`, line: 10 },
  { name: 'retry-negative', content: `${HEAD('m20')}steps:\n${TOUCH}    retry: { times: -1 }\n`, line: 10 },
  { name: 'retry-wrong-type', content: `${HEAD('m21')}steps:\n${TOUCH}    retry: { times: two }\n`, line: 10 },
  { name: 'duplicate-step-id', content: `${HEAD('m22')}steps:\n${TOUCH}${TOUCH}`, line: 10 },
  { name: 'reserved-step-id', content: `${HEAD('m23')}steps:\n${TOUCH}  - id: end\n    manual: x\n`, line: 10 },
  { name: 'step-id-with-space', content: `${HEAD('m24')}steps:\n${TOUCH}  - id: two words\n    manual: x\n`, line: 10 },
  {
    name: 'decision-cycle',
    content: `${HEAD('m25')}steps:\n${TOUCH}  - id: d\n    decision:\n      question: Again?\n      choices:\n        - { id: again, label: Again, next: touch }\n        - { id: no, label: No }\n`,
    line: 14,
    phrase: /forward|loop/,
  },
  {
    name: 'decision-dangling',
    content: `${HEAD('m26')}steps:\n${TOUCH}  - id: d\n    decision:\n      question: Q\n      choices:\n        - { id: y, label: Y, next: nowhere }\n        - { id: n, label: N }\n`,
    line: 14,
  },
  { name: 'decision-one-choice', content: `${HEAD('m27')}steps:\n${TOUCH}  - id: d\n    decision:\n      question: Q\n      choices:\n        - { id: y, label: Y }\n` },
  { name: 'capture-unknown', content: `${HEAD('m28')}steps:\n${TOUCH}  - id: b\n    on: all\n    run: echo {{ captures.nope }}\n`, line: 12 },
  {
    name: 'capture-used-before',
    content: `${HEAD('m29')}steps:\n${TOUCH}  - id: b\n    on: all\n    run: echo {{ captures.later }}\n  - id: c\n    on: all\n    run: ls\n    capture: { later: stdout }\n`,
    line: 12,
  },
  { name: 'param-undeclared', content: `${HEAD('m30')}steps:\n${TOUCH}  - id: b\n    on: all\n    run: echo {{ params.ghost }}\n`, line: 12 },
  { name: 'template-unclosed', content: `${HEAD('m31')}params:\n  x: { type: string, default: a }\nsteps:\n${TOUCH}  - id: b\n    on: all\n    run: echo {{ params.x\n`, line: 14 },
  {
    name: 'template-unknown-filter',
    content: `${HEAD('m32')}params:\n  x: { type: string, default: a }\nsteps:\n${TOUCH}  - id: b\n    on: all\n    run: echo {{ params.x | shout }}\n`,
    line: 14,
  },
  { name: 'param-unknown-type', content: `${HEAD('m33')}params:\n  x: { type: float, default: 1.5 }\nsteps:\n${TOUCH}`, line: 6 },
  { name: 'param-default-wrong-type', content: `${HEAD('m34')}params:\n  n: { type: int, default: many }\nsteps:\n${TOUCH}`, line: 6 },
  { name: 'enum-without-values', content: `${HEAD('m35')}params:\n  mode: { type: enum }\nsteps:\n${TOUCH}`, line: 6 },
  { name: 'min-on-string', content: `${HEAD('m36')}params:\n  s: { type: string, min: 3, default: abcd }\nsteps:\n${TOUCH}`, line: 6 },
  { name: 'pattern-invalid-regex', content: `${HEAD('m37')}params:\n  s: { type: string, pattern: "([", default: a }\nsteps:\n${TOUCH}`, line: 6 },
  { name: 'include-missing', content: `${HEAD('m38')}steps:\n${TOUCH}  - id: inc\n    include: no-such-runbook\n`, line: 10 },
  {
    name: 'include-loop',
    content: `${HEAD('loop-a')}steps:\n${TOUCH}  - id: inc\n    include: loop-b\n`,
    extra: { 'loop-b.yaml': `${HEAD('loop-b')}steps:\n  - id: inc-back\n    include: loop-a\n` },
    phrase: /loop/,
    // Bounded in a child process: before dd41648 this run recursed forever (inc/back/inc/...) and died of heap exhaustion.
    childRunMs: 8_000,
  },
  { name: 'include-self', content: `${HEAD('self-inc')}steps:\n${TOUCH}  - id: inc\n    include: self-inc\n`, phrase: /loop|itself|include/ },
  {
    name: 'include-unknown-param',
    content: `${HEAD('m41')}steps:\n${TOUCH}  - id: inc\n    include: child-41\n    with: { nope: 1 }\n`,
    extra: { 'child-41.yaml': `${HEAD('child-41')}steps:\n  - id: c\n    manual: x\n` },
    line: 10,
  },
  { name: 'foreach-without-items', content: `${HEAD('m42')}steps:\n${TOUCH}  - id: loop\n    foreach: { as: x }\n    steps:\n      - id: inner\n        manual: x\n`, line: 11 },
  {
    name: 'foreach-as-namespace',
    content: `${HEAD('m43')}params:\n  hs: { type: hosts, default: "a,b" }\nsteps:\n${TOUCH}  - id: loop\n    foreach: { items: "{{ params.hs }}", as: params }\n    steps:\n      - id: inner\n        manual: x\n`,
  },
  { name: 'json-path-invalid', content: `${HEAD('m44')}steps:\n${TOUCH}    expect:\n      json:\n        - { path: "[[", equals: 1 }\n`, line: 12 },
  { name: 'matches-invalid-regex', content: `${HEAD('m45')}steps:\n${TOUCH}    expect:\n      stdout:\n        - matches: "(unclosed"\n`, line: 12 },
  { name: 'rollback-undoes-nothing', content: `${HEAD('m46')}steps:\n${TOUCH}rollback:\n  - undoes: ghost\n    id: r\n    manual: y\n`, line: 11 },
  {
    name: 'phase-priority-descending',
    content: `${HEAD('m47')}steps:\n${TOUCH}  - id: p2\n    phase: { priority: 2 }\n    steps: [ { id: a2, manual: x } ]\n  - id: p1\n    phase: { priority: 1 }\n    steps: [ { id: a1, manual: x } ]\n`,
  },
  { name: 'concurrency-zero', content: `${HEAD('m48')}steps:\n${TOUCH}    concurrency: 0\n`, line: 10 },
  { name: 'destructive-wrong-type', content: `${HEAD('m49')}steps:\n${TOUCH}    destructive: 42\n`, line: 10 },
  { name: 'when-unknown-key', content: `${HEAD('m50')}steps:\n${TOUCH}    when: { value: x, equalz: y }\n`, line: 10 },
  { name: 'sql-query-and-row-counts', content: `${HEAD('m51')}steps:\n${TOUCH}  - id: q\n    sql: { database: openstack, query: "SELECT 1", row_counts: [nova] }\n`, line: 11 },
  { name: 'huge-file', content: `${HEAD('m52')}description: "${'x'.repeat(2.2 * 1024 * 1024)}"\nsteps:\n${TOUCH}`, phrase: /MiB|large|big/i },
  { name: 'deeply-nested', content: `${HEAD('m53')}tags: ${nested(200)}\nsteps:\n${TOUCH}`, phrase: /deep|nest/i },
  {
    name: 'alias-bomb',
    content: `${HEAD('m54')}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nsteps:\n${TOUCH}`,
    phrase: /alias/i,
  },
  {
    name: 'binary-data',
    content: Buffer.concat([Buffer.from(`${HEAD('m55')}steps:\n${TOUCH}`), Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0x89, 0x50, 0x4e, 0x47])]),
    phrase: /binary/i,
  },
  { name: 'png-bytes', content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]), phrase: /binary/i },
  {
    name: 'invalid-utf8',
    content: Buffer.concat([Buffer.from(`${HEAD('m57')}steps:\n${TOUCH}  - id: b\n    manual: "caf`), Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), Buffer.from(`"\n`)]),
  },
  { name: 'null-step', content: `${HEAD('m58')}steps:\n${TOUCH}  -\n`, line: 10 },
  { name: 'on-wrong-type', content: `${HEAD('m59')}steps:\n${TOUCH}  - id: b\n    run: x\n    on: { host: a }\n`, line: 12 },
];

beforeAll(async () => {
  lab = await startFaultLab();
  work = workDir('runbooks');
  auditDir = path.join(work, 'audit');
});

afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(marker, { force: true });
});

interface Result {
  name: string;
  ok: boolean;
  detail: string;
}
const results: Result[] = [];

describe(`fault: ${VARIANTS.length} malformed runbooks through opsdeck validate and opsdeck run`, () => {
  for (const variant of VARIANTS) {
    // BUG (when variant.bug is set): see the variant's bug text.
    (variant.bug ? it.fails : it)(variant.bug ? `${variant.name} — BUG: ${variant.bug}` : variant.name, async () => {
      const dir = path.join(work, variant.name);
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${variant.name}.yaml`);
      writeFileSync(file, variant.content);
      for (const [name, text] of Object.entries(variant.extra ?? {})) writeFileSync(path.join(dir, name), text);
      const lineCount = Buffer.isBuffer(variant.content) ? variant.content.toString('latin1').split('\n').length : variant.content.split('\n').length;
      // A problem in an include loop may be reported on the sibling file: any file of the variant's directory counts.
      const named = variant.extra ? `${dir}/[^:]+\\.yaml` : file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const here = new RegExp(`^${named}:(\\d+):(\\d+): (.+)$`, 'm');

      const started = Date.now();
      // With sibling files (includes), validate the directory, as an operator validates a runbooks dir.
      const validate = await opsdeck('validate', variant.extra ? dir : file);
      const validateMs = Date.now() - started;
      const v = here.exec(validate.out);
      const before = runIdsIn(auditDir).length;
      const known = new Set(runIdsIn(auditDir));
      let run: { code: number | null; out: string; err: string };
      if (variant.childRunMs) {
        const cli = spawnCli(['run', file, '--env', lab.envFile, '--audit-dir', auditDir]);
        const exit = await Promise.race([cli.exited, sleep(variant.childRunMs).then(() => undefined)]);
        if (!exit) {
          cli.child.kill('SIGKILL');
          await cli.exited;
        }
        run = {
          code: exit ? exit.code : null,
          out: cli.out().slice(0, 2000),
          err: cli.err().slice(0, 2000) + (exit ? '' : `[still running after ${variant.childRunMs} ms; killed]`),
        };
      } else {
        run = await opsdeck('run', file, '--env', lab.envFile, '--audit-dir', auditDir);
      }
      const r = here.exec(run.err);
      const problems: string[] = [];
      if (validate.code !== 1) problems.push(`validate exit ${validate.code}`);
      if (!v) problems.push(`validate printed no "${path.basename(file)}:line:column: sentence": ${validate.out.slice(0, 300)}`);
      if (v && (Number(v[1]) < 1 || Number(v[1]) > lineCount + 1 || Number(v[2]) < 1)) problems.push(`position ${v[1]}:${v[2]} outside the file (${lineCount} lines)`);
      if (v && variant.line !== undefined && Number(v[1]) !== variant.line) problems.push(`first problem at line ${v[1]}, expected ${variant.line}: ${v[3]}`);
      if (v && v[3].trim().split(/\s+/).length < 4) problems.push(`message is not a sentence: "${v[3]}"`);
      if (variant.phrase && !variant.phrase.test(validate.out)) problems.push(`message does not say ${variant.phrase}: ${validate.out.slice(0, 300)}`);
      if (validateMs > 10_000) problems.push(`validate took ${validateMs} ms`);
      if (run.code !== 2) problems.push(`run exit ${run.code}: ${(run.err + run.out).slice(0, 300)}`);
      if (!r) problems.push(`run printed no file:line:column: ${run.err.slice(0, 300)}`);
      if (runIdsIn(auditDir).length !== before) problems.push('run created a journal');
      if (existsSync(marker)) problems.push('a step ran');
      rmSync(marker, { force: true });
      for (const id of runIdsIn(auditDir)) if (!known.has(id)) rmSync(path.join(auditDir, 'runs', id), { recursive: true, force: true });
      results.push({ name: variant.name, ok: problems.length === 0, detail: problems.length ? problems.join('; ') : `${v![1]}:${v![2]}: ${v![3].slice(0, 110)}` });
      expect(problems).toEqual([]);
    });
  }

  it('summary', () => {
    const bugs = VARIANTS.filter((variant) => variant.bug).map((variant) => variant.name);
    console.log(`[faults-runbooks] known bugs (it.fails): ${bugs.join(', ')}`);
    console.log(`[faults-runbooks]\n${results.map((result) => `  ${result.ok ? 'ok  ' : 'FAIL'} ${result.name.padEnd(28)} ${result.detail}`).join('\n')}`);
    console.log(`[faults-runbooks] ${results.filter((result) => result.ok).length}/${results.length} malformed runbooks refused with file:line:column and nothing run`);
    void readFileSync;
  });
});
