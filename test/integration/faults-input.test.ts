/**
 * FAULT SUITE — bad input that is not a runbook: parameters, environment files, and captured output
 * reused in later steps. Shell metacharacters must never become shell syntax on the real hosts
 * (proved with marker files the payloads would create), values must arrive byte for byte, and every
 * refused input must name the problem and where it is, before a journal exists.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshLab } from '../lab/sshd-lab';
import { finishedSteps, header, journal, opsdeck, runIdOf, runIdsIn, startFaultLab, workDir, writeRunbook } from '../faults/helpers';

let lab: SshLab;
let work: string;
let auditDir: string;
const pwn = `/tmp/opsdeck-pwned-${process.pid}`;
const out = `/tmp/opsdeck-input-${process.pid}`;

beforeAll(async () => {
  lab = await startFaultLab();
  work = workDir('input');
  auditDir = path.join(work, 'audit');
});

afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
  for (let i = 0; i < 20; i++) rmSync(`${pwn}-${i}`, { force: true });
  for (const suffix of ['param', 'cap1', 'cap2', 'cap3', 'loop']) rmSync(`${out}-${suffix}`, { force: true });
  for (const suffix of ['json', 'txt']) rmSync(`/tmp/opsdeck-payload-${process.pid}.${suffix}`, { force: true });
  rmSync(`${pwn}-env`, { force: true });
});

const PAYLOADS = (i: number) => [
  `a; touch ${pwn}-${i}a`,
  `$(touch ${pwn}-${i}b)`,
  `\`touch ${pwn}-${i}c\``,
  `x' ; touch ${pwn}-${i}d ; echo '`,
  `x" ; touch ${pwn}-${i}e ; echo "`,
  `line1\ntouch ${pwn}-${i}f`,
  `| touch ${pwn}-${i}g && >${pwn}-${i}h`,
];

describe('fault: parameter values with shell metacharacters, quotes, newlines, huge lengths, unicode', () => {
  const values: Array<[string, string]> = [
    ['semicolon', PAYLOADS(0)[0]],
    ['command substitution', PAYLOADS(0)[1]],
    ['backticks', PAYLOADS(0)[2]],
    ['single quotes', PAYLOADS(0)[3]],
    ['double quotes', PAYLOADS(0)[4]],
    ['newline', PAYLOADS(0)[5]],
    ['pipe and redirect', PAYLOADS(0)[6]],
    ['glob and dash', '-rf *'],
    ['unicode', 'héllo ☃ 𝄞 \u202egnp.exe 日本語'],
    ['long (4000 characters)', 'Ab;$(x)'.repeat(571).slice(0, 4000)],
  ];
  for (const [name, value] of values) {
    it(`param: ${name} arrives byte for byte and runs nothing`, async () => {
      const file = writeRunbook(
        work,
        'param-echo',
        `${header('param-echo')}params:\n  v: { type: string }\nsteps:\n  - { id: write, title: Write, on: compute01, run: "printf '%s' {{ params.v }} > ${out}-param" }\n`,
      );
      rmSync(`${out}-param`, { force: true });
      const run = await opsdeck('run', file, '--env', lab.envFile, '--audit-dir', auditDir, '-p', `v=${value}`);
      if (run.code !== 0) console.log(`[faults-input] param ${name}: exit ${run.code}: ${(run.err + run.out).slice(0, 400)}`);
      expect(run.code).toBe(0);
      expect(readFileSync(`${out}-param`, 'utf8')).toBe(value);
      for (const letter of 'abcdefgh') expect(existsSync(`${pwn}-0${letter}`), `payload ${letter} executed`).toBe(false);
    });
  }
});

describe('fault: a 100 KiB parameter value', () => {
  it('is refused before a journal exists, with the limit named', async () => {
    const file = writeRunbook(
      work,
      'param-echo',
      `${header('param-echo')}params:\n  v: { type: string }\nsteps:\n  - { id: write, title: Write, on: compute01, run: "printf '%s' {{ params.v }} > ${out}-param" }\n`,
    );
    const before = runIdsIn(auditDir).length;
    const run = await opsdeck('run', file, '--env', lab.envFile, '--audit-dir', auditDir, '-p', `v=${'A'.repeat(100 * 1024)}`);
    console.log(`[faults-input] 100 KiB param: exit ${run.code}: ${run.err.trim().split('\n').join(' | ')}`);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/v: .*limit/);
    expect(runIdsIn(auditDir).length).toBe(before);
  });
});

describe('fault: wrong parameters are refused before a journal exists, naming the parameter', () => {
  const file = () =>
    writeRunbook(
      work,
      'typed',
      `${header('typed')}params:\n  n: { type: int, min: 1, max: 5 }\n  b: { type: bool, default: false }\n  mode: { type: enum, values: [fast, safe], default: safe }\n  h: { type: host, role: compute, default: compute01 }\n  t: { type: string, pattern: "CHG[0-9]+", default: CHG1 }\nsteps:\n  - { id: touch, title: T, on: "{{ params.h }}", run: "touch ${pwn}-typed" }\n`,
    );
  const cases: Array<[string, string[], RegExp]> = [
    ['int not a number', ['n=abc'], /\bn\b/],
    ['int out of range', ['n=99'], /\bn\b/],
    ['bool not a bool', ['n=1', 'b=maybe'], /\bb\b/],
    ['enum not a value', ['n=1', 'mode=fastest'], /mode/],
    ['host unknown', ['n=1', 'h=compute99'], /compute99/],
    ['host without the role', ['n=1', 'h=controller01'], /controller01/],
    ['pattern not matched', ['n=1', 't=ticket-1'], /\bt\b|pattern/],
    ['unknown parameter', ['n=1', 'nope=1'], /nope/],
    ['missing required', [], /\bn\b/],
    ['not NAME=VALUE', ['n'], /NAME=VALUE|n/],
  ];
  for (const [name, params, names] of cases) {
    it(name, async () => {
      const before = runIdsIn(auditDir).length;
      const run = await opsdeck('run', file(), '--env', lab.envFile, '--audit-dir', auditDir, ...params.flatMap((p) => ['-p', p]));
      console.log(`[faults-input] param ${name}: exit ${run.code}: ${run.err.trim().split('\n').join(' | ').slice(0, 240)}`);
      expect(run.code).toBe(2);
      expect(run.err).toMatch(names);
      expect(runIdsIn(auditDir).length).toBe(before);
      expect(existsSync(`${pwn}-typed`)).toBe(false);
    });
  }
});

describe('fault: malformed environment files are refused with file:line:column, before a journal exists', () => {
  const base = () => readFileSync(lab.envFile, 'utf8');
  const cases: Array<[string, () => string, RegExp | undefined]> = [
    ['YAML syntax error', () => base() + 'hosts: [unclosed\n', undefined],
    ['port is text', () => base().replace(/port: (\d+)/, 'port: twenty-two'), /port/],
    ['unknown field', () => base().replace('lab: true', 'lab: true\nhostz: {}'), /hostz/],
    ['literal secret', () => base() + 'secrets:\n  db: hunter2hunter2\n', /secret/],
    ['secret from an unset variable', () => base() + 'secrets:\n  db: { env: OPSDECK_FAULT_UNSET_VAR }\n', /OPSDECK_FAULT_UNSET_VAR/],
    ['host without address', () => base().replace(/address: 127\.0\.0\.\d+, /, ''), /address/],
    ['jump to an unknown host', () => base().replace('roles: [compute] }', 'roles: [compute], jump: bastion9 }'), /bastion9/],
    ['unknown profile', () => base().replace('profile: systemd', 'profile: openshift'), /openshift/],
    ['roles not a list', () => base().replace(/roles: \[controller, db, mq\]/, 'roles: 42'), /roles/],
    ['binary file', () => '\u0000\u0001\u0002', /binary/i],
  ];
  for (const [name, content, names] of cases) {
    it(name, async () => {
      const envFile = path.join(work, `env-${name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(envFile, content());
      const file = writeRunbook(work, 'env-touch', `${header('env-touch')}steps:\n  - { id: touch, title: T, on: controller01, run: "touch ${pwn}-env" }\n`);
      const before = runIdsIn(auditDir).length;
      const run = await opsdeck('run', file, '--env', envFile, '--audit-dir', auditDir);
      console.log(`[faults-input] env ${name}: exit ${run.code}: ${run.err.trim().split('\n')[0].slice(0, 220)}`);
      expect(run.code).toBe(2);
      expect(run.err).toMatch(new RegExp(`${envFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
      if (names) expect(run.err).toMatch(names);
      expect(runIdsIn(auditDir).length).toBe(before);
      expect(existsSync(`${pwn}-env`)).toBe(false);
    });
  }

  it('a runbook step on a host the environment does not have', async () => {
    const file = writeRunbook(
      work,
      'ghost-host',
      `${header('ghost-host')}steps:\n  - { id: touch, title: T, on: controller01, run: "touch ${pwn}-env" }\n  - { id: ghost, title: G, on: compute99, run: "true" }\n`,
    );
    const before = runIdsIn(auditDir).length;
    const run = await opsdeck('run', file, '--env', lab.envFile, '--audit-dir', auditDir);
    console.log(`[faults-input] unknown host in on: exit ${run.code}: ${(run.err + run.out).trim().split('\n').slice(-2).join(' | ').slice(0, 300)}`);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/compute99/);
    expect(runIdsIn(auditDir).length).toBe(before);
    expect(existsSync(`${pwn}-env`)).toBe(false);
  });
});

describe('fault: captured output with ;, $(...), backticks and newlines is never executed in later steps', () => {
  it('stdout, lines, regex and json captures, and a foreach over them', async () => {
    const payloads = PAYLOADS(1);
    const json = JSON.stringify(payloads.map((name) => ({ Name: name })));
    // The hosts share this machine's filesystem (the lab user must be able to read the planted files).
    const planted = `/tmp/opsdeck-payload-${process.pid}`;
    writeFileSync(`${planted}.json`, json, { mode: 0o644 });
    writeFileSync(`${planted}.txt`, payloads.join('\n') + '\n', { mode: 0o644 });
    // The hosts share this machine's filesystem: the "remote command" prints the planted output.
    const file = writeRunbook(
      work,
      'captures',
      `${header('captures')}steps:
  - id: produce
    title: Produce hostile output
    on: compute01
    run: "cat ${planted}.txt"
    capture:
      all: stdout
      each: { lines: true }
      first: { regex: "^(a;[^\\\\n]*)" }
  - id: produce-json
    title: Produce hostile JSON
    on: compute01
    run: "cat ${planted}.json"
    capture:
      names: { json: "[*].Name" }
  - { id: use-all, title: Use all, on: compute02, run: "printf '%s' {{ captures.all }} > ${out}-cap1" }
  - { id: use-lines, title: Use lines, on: compute02, run: "printf '%s\\\\n' {{ captures.each }} > ${out}-cap2" }
  - { id: use-regex, title: Use regex, on: compute02, run: "echo {{ captures.first }} > ${out}-cap3" }
  - id: loop
    foreach: { items: "{{ captures.names }}", as: name }
    steps:
      - { id: each, title: "Each {{ name }}", on: compute02, run: "printf '%s\\\\n' {{ name }} >> ${out}-loop" }
`,
    );
    rmSync(`${out}-loop`, { force: true });
    const run = await opsdeck('run', file, '--env', lab.envFile, '--audit-dir', auditDir);
    if (run.code !== 0) console.log(run.out + run.err);
    expect(run.code).toBe(0);
    for (const letter of 'abcdefgh') expect(existsSync(`${pwn}-1${letter}`), `payload ${letter} executed`).toBe(false);
    expect(readFileSync(`${out}-cap1`, 'utf8')).toBe(payloads.join('\n'));
    expect(readFileSync(`${out}-cap2`, 'utf8').split('\n').filter(Boolean)).toEqual(payloads.flatMap((p) => p.split('\n')));
    expect(readFileSync(`${out}-cap3`, 'utf8')).toBe(`${payloads[0]}\n`);
    expect(readFileSync(`${out}-loop`, 'utf8')).toBe(payloads.map((p) => `${p}\n`).join(''));
    const records = journal(auditDir, runIdOf(run.out));
    expect(finishedSteps(records).every((record) => record.status === 'succeeded')).toBe(true);
  });
});
