/**
 * The CLI findings of the outside security review (issue 11, items 2, 6, 8 and 11), against the real
 * sshd lab and the real `opsdeck` bin:
 *  - a reader that stops early (`| head`) must not end a run: it goes on to its end, finally steps
 *    included, and exits with the run's code; `hosts check | head` keeps the check's code;
 *  - `opsdeck resume` asks again for secret parameters (never runs with the masked `********`), takes
 *    them from a variable or a file, and refuses a capture the journal could only keep masked;
 *  - secrets are masked in what the live log shows (titles, questions, instructions, confirmations);
 *  - escape sequences that came from a host (through captures) are shown, never obeyed.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleService } from '../../electron/app/service';
import { BUNDLED_RUNBOOKS_DIR } from '../../electron/core/inventory/environment';
import type { SshLab } from '../lab/sshd-lab';
import { header, journal, journalText, opsdeck, ROOT, runIdOf, runIdsIn, startFaultLab, waitFor, workDir, writeRunbook } from '../faults/helpers';

let lab: SshLab;
let work: string;
let auditDir: string;
const marker = (name: string) => `/tmp/opsdeck-review-${process.pid}-${name}`;
const markers: string[] = [];

beforeAll(async () => {
  lab = await startFaultLab();
  work = workDir('review-cli');
  auditDir = path.join(work, 'audit');
});

afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
  for (const file of markers) rmSync(file, { force: true });
});

function markerFile(name: string): string {
  const file = marker(name);
  rmSync(file, { force: true });
  markers.push(file);
  return file;
}

/**
 * The bin as a child process whose stdout (and stderr, with `closeStderr`) is closed by the reader after
 * `afterBytes` bytes, as `| head` does; resolves with the exit code and what was read before.
 */
function runClosingEarly(args: string[], afterBytes: number, closeStderr = false): Promise<{ code: number | null; signal: string | null; read: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/opsdeck.mjs'), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let read = '';
    let err = '';
    const close = () => {
      child.stdout.destroy();
      if (closeStderr) child.stderr.destroy();
    };
    if (afterBytes === 0) close();
    else {
      child.stdout.on('data', (chunk: Buffer) => {
        read += chunk.toString();
        if (read.length >= afterBytes) close();
      });
    }
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, read, err }));
  });
}

describe('review item 8: a reader that stops early does not stop the run', () => {
  it("run | head: the run goes on to its end, finally steps included, and exits with the run's code", async () => {
    const slow = markerFile('epipe-slow');
    const cleanup = markerFile('epipe-finally');
    const file = writeRunbook(
      work,
      'epipe',
      `${header('epipe')}steps:
  - { id: chatty, title: Chatty, on: controller01, run: "for i in $(seq 1 300); do echo line $i; done" }
  - { id: slow, title: Slow, on: compute01, run: "sleep 1; echo slow-done > ${slow}" }
  - { id: fails, title: Fails, on: controller01, run: "echo failing; exit 3" }
finally:
  - { id: cleanup, title: Clean up, on: compute01, run: "echo finally-ran > ${cleanup}" }
`,
    );
    const before = new Set(runIdsIn(auditDir));
    const result = await runClosingEarly(['run', file, '--env', lab.envFile, '--audit-dir', auditDir], 1);
    expect(result.read.length).toBeGreaterThan(0);
    const runs = runIdsIn(auditDir).filter((id) => !before.has(id));
    expect(runs).toHaveLength(1);
    const records = journal(auditDir, runs[0]);
    // The run went on after the reader left: the slow step ran, the failing step failed, finally ran.
    expect(existsSync(slow)).toBe(true);
    expect(existsSync(cleanup)).toBe(true);
    expect(records.at(-1)).toMatchObject({ type: 'run.finished', status: 'failed' });
    expect(result.err).not.toMatch(/EPIPE|internal error/);
    // A failed run exits 1, as it would without the pipe.
    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
  }, 60_000);
});

describe('review item 2: resume never runs with a masked secret', () => {
  const SECRET = 'N3w-Pa55word-for-review';

  function rotateRunbook(gate: string, set: string): string {
    return writeRunbook(
      work,
      'rotate-password',
      `${header('rotate-password')}params:
  new_password: { type: string, secret: true, required: true }
  target: { type: host, default: controller01 }
steps:
  - { id: before, title: Before, on: "{{ params.target }}", run: echo before }
  - { id: gate, title: Gate, on: "{{ params.target }}", run: "test -e ${gate}" }
  - id: set
    title: "Set the password to {{ params.new_password }}"
    on: "{{ params.target }}"
    run: "printf '%s' {{ params.new_password }} > ${set}"
`,
    );
  }

  it('asks for secret parameters again, refuses without them, and takes them from a file or a variable', async () => {
    const gate = markerFile('rotate-gate');
    const set = markerFile('rotate-set');
    const file = rotateRunbook(gate, set);
    process.env.OPSDECK_REVIEW_PW = SECRET;
    let runId: string;
    try {
      // From a variable: the secret is not on the command line.
      const first = await opsdeck('run', file, '--env', lab.envFile, '--audit-dir', auditDir, '--param-env', 'new_password=OPSDECK_REVIEW_PW');
      expect(first.code, first.out + first.err).toBe(1);
      expect(first.err).not.toContain('warning');
      runId = runIdOf(first.out);
      expect(journal(auditDir, runId)[0]).toMatchObject({ type: 'run.started', params: { new_password: '********', target: 'controller01' } });
    } finally {
      delete process.env.OPSDECK_REVIEW_PW;
    }
    writeFileSync(gate, '');
    chmodSync(gate, 0o644);

    // Without a terminal and without the secret: refused, nothing runs, and the sentence says how.
    const refused = await opsdeck('resume', runId, '--env', lab.envFile, '--audit-dir', auditDir);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(`Run ${runId} needs its secret parameter new_password again`);
    expect(refused.err).toContain('--param-env new_password=VARIABLE');
    expect(existsSync(set)).toBe(false);

    // A parameter that is not secret keeps the value the run started with.
    const changed = await opsdeck('resume', runId, '--env', lab.envFile, '--audit-dir', auditDir, '-p', 'target=compute01', '-p', `new_password=${SECRET}`);
    expect(changed.code).toBe(2);
    expect(changed.err).toContain('target: the run started with "controller01" and keeps it');
    expect(existsSync(set)).toBe(false);

    // From a file (its last newline is not part of the value).
    const secretFile = path.join(work, 'new-password');
    writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
    const resumed = await opsdeck('resume', runId, '--env', lab.envFile, '--audit-dir', auditDir, '--param-file', `new_password=${secretFile}`, '-p', 'target=controller01');
    expect(resumed.code, resumed.out + resumed.err).toBe(0);
    expect(readFileSync(set, 'utf8')).toBe(SECRET);

    // Shown and journalled masked (item 6), and the journal says it was given again, not what it is.
    expect(resumed.out).toContain('Set the password to ********');
    expect(resumed.out + resumed.err + changed.err + refused.err).not.toContain(SECRET);
    const text = journalText(auditDir, runId);
    expect(text).not.toContain(SECRET);
    expect(text).toContain(`the secret parameters were given again (their values are not recorded): new_password (--param-file ${secretFile})`);
    expect((await opsdeck('audit', 'verify', runId, '--audit-dir', auditDir)).code).toBe(0);
  }, 90_000);

  it('on a terminal, asks for the secret without echoing it', async () => {
    const gate = markerFile('rotate-gate-tty');
    const set = markerFile('rotate-set-tty');
    const file = rotateRunbook(gate, set);
    const secretFile = path.join(work, 'new-password-tty');
    writeFileSync(secretFile, SECRET, { mode: 0o600 });
    const first = await opsdeck('run', file, '--env', lab.envFile, '--audit-dir', auditDir, '--param-file', `new_password=${secretFile}`);
    expect(first.code).toBe(1);
    const runId = runIdOf(first.out);
    writeFileSync(gate, '');
    // util-linux `script` gives the bin a real terminal; what it prints comes back on its stdout.
    const command = [process.execPath, path.join(ROOT, 'bin/opsdeck.mjs'), 'resume', runId, '--env', lab.envFile, '--audit-dir', auditDir, '--on-failure', 'stop']
      .map((word) => `'${word}'`)
      .join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let shown = '';
    let typed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      shown += chunk.toString();
      if (!typed && shown.includes('typed without echo): ')) {
        typed = true;
        child.stdin.write(`${SECRET}\r`);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(shown).toContain(`Secret parameter new_password of run ${runId}`);
    expect(code, shown).toBe(0);
    expect(shown).not.toContain(SECRET);
    expect(readFileSync(set, 'utf8')).toBe(SECRET);
    expect(journalText(auditDir, runId)).toContain('new_password (typed at the prompt)');
  }, 90_000);

  it('warns when a secret is given with -p, where ps shows it', async () => {
    const gate = markerFile('rotate-gate-argv');
    writeFileSync(gate, '');
    const result = await opsdeck('run', rotateRunbook(gate, markerFile('rotate-set-argv')), '--env', lab.envFile, '--audit-dir', auditDir, '-p', `new_password=${SECRET}`);
    expect(result.code).toBe(0);
    expect(result.err).toContain('warning: the secret new_password was given with -p, on the command line');
    expect(result.out + result.err).not.toContain(SECRET);
  }, 60_000);

  it('refuses a capture the journal kept masked, naming the step to run again; --rerun runs it again', async () => {
    const gate = markerFile('capture-gate');
    const applied = markerFile('capture-applied');
    const file = writeRunbook(
      work,
      'generated-password',
      `${header('generated-password')}steps:
  - { id: generate, title: Generate, on: controller01, run: "head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \\\\n'", capture: { new_password: stdout } }
  - { id: gate, title: Gate, on: controller01, run: "test -e ${gate}" }
  - { id: apply, title: Apply, on: controller01, run: "printf '%s' {{ captures.new_password }} > ${applied}" }
`,
    );
    const first = await opsdeck('run', file, '--env', lab.envFile, '--audit-dir', auditDir);
    expect(first.code, first.out + first.err).toBe(1);
    const runId = runIdOf(first.out);
    expect(JSON.stringify(journal(auditDir, runId))).toContain('"new_password":"********"');
    writeFileSync(gate, '');

    const refused = await opsdeck('resume', runId, '--env', lab.envFile, '--audit-dir', auditDir);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('the capture "new_password" of step generate held a secret, so the journal keeps it masked and its value is lost; apply still reads it.');
    expect(refused.err).toContain('Resume with --rerun generate');
    expect(existsSync(applied)).toBe(false);

    const resumed = await opsdeck('resume', runId, '--env', lab.envFile, '--audit-dir', auditDir, '--rerun', 'generate');
    expect(resumed.code, resumed.out + resumed.err).toBe(0);
    expect(readFileSync(applied, 'utf8')).toMatch(/^[0-9a-f]{16}$/);
    const records = journal(auditDir, runId);
    expect(records.filter((record) => record.type === 'step.finished' && record.step === 'generate' && record.status === 'succeeded')).toHaveLength(2);
    expect(journalText(auditDir, runId)).toContain('with --rerun: generate runs again although done');
  }, 90_000);
});

describe('review item 6: the console gets the events masked too', () => {
  it('run events and the run-output terminal show no secret; the host name confirms the destructive step', async () => {
    const SECRET = 'C0nsole-Secret-for-review';
    const runbooks = path.join(work, 'console-runbooks');
    mkdirSync(runbooks, { recursive: true });
    writeFileSync(
      path.join(runbooks, 'console-rotate.yaml'),
      `${header('console-rotate')}params:
  db_password: { type: string, secret: true, required: true }
steps:
  - id: set
    title: "Set the password to {{ params.db_password }}"
    on: controller01
    destructive: { warning: "The services use {{ params.db_password }} from now on." }
    run: "echo set > /dev/null"
  - { id: vault, title: "Vault {{ params.db_password }}", manual: "Store {{ params.db_password }} in the vault." }
`,
    );
    const service = new ConsoleService({
      auditDir,
      bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
      userRunbooksDir: runbooks,
      environmentsDir: path.join(work, 'no-environments'),
      environmentFiles: [lab.envFile],
      operator: 'carol-console',
      lab: { availability: () => ({ available: false, reason: 'review suite' }), start: () => Promise.reject(new Error('no lab')) },
    });
    const seen: unknown[] = [];
    try {
      service.onEvent((event) => {
        seen.push(event);
        if (event.name !== 'run:event') return;
        const { runId, event: run } = event.payload;
        if (run.type !== 'step.awaiting') return;
        setTimeout(() => {
          if (run.need === 'confirm') void service.dispatch('run:confirm', { runId, step: run.step, text: 'controller01' });
          if (run.need === 'manual') void service.dispatch('run:completeManual', { runId, step: run.step, outcome: 'done' });
        }, 0);
      });
      const reply = await service.dispatch('run:start', { runbookId: 'console-rotate', environmentId: lab.envFile, params: { db_password: SECRET }, onFailure: 'stop' });
      expect(reply.ok, JSON.stringify(reply)).toBe(true);
      const runId = (reply as { value: { runId: string } }).value.runId;
      await waitFor(
        () => existsSync(path.join(auditDir, 'runs', runId, 'journal.jsonl')) && /"type":"run.finished"/.test(journalText(auditDir, runId)),
        30_000,
        'console run finished',
      );
      expect(journal(auditDir, runId).at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded' });
      const shown = JSON.stringify(seen);
      expect(shown).toContain('Set the password to ********');
      expect(shown).toContain('Store ******** in the vault.');
      expect(shown).not.toContain(SECRET);
    } finally {
      await service.close();
    }
  }, 60_000);
});

describe('review item 11: escape sequences from a host are shown, never obeyed', () => {
  const evilRunbook = () =>
    writeRunbook(
      work,
      'evil-capture',
      `${header('evil-capture')}steps:
  - { id: grab, title: Grab, on: controller01, run: "printf 'web\\\\033]0;pwned\\\\007\\\\033]52;c;ZWNobyBoaQ==\\\\007\\\\033[2J01'", capture: { name: stdout } }
  - id: use
    title: "Restart {{ captures.name }}"
    on: controller01
    destructive: { confirm: "{{ captures.name }}", warning: "Restarts {{ captures.name }}." }
    run: "echo restarting {{ captures.name }} > /dev/null"
`,
    );
  const control = /[\x00-\x08\x0b-\x1f\x7f]/;

  it('in step titles, command echo lines and the destructive prompt of the live log', async () => {
    const result = await opsdeck('run', evilRunbook(), '--env', lab.envFile, '--audit-dir', auditDir, '--yes-destructive');
    expect(result.code, result.out + result.err).toBe(0);
    const shown = result.out + result.err;
    expect(shown).toContain('==> Restart web^[]0;pwned^G^[]52;c;ZWNobyBoaQ==^G^[[2J01 [use]');
    expect(shown).toContain("$ echo restarting 'web^[]0;pwned^G");
    expect(shown).not.toMatch(control);
  }, 60_000);

  it('in the sentence refusing a confirmation that does not match', async () => {
    const result = await opsdeck('run', evilRunbook(), '--env', lab.envFile, '--audit-dir', auditDir, '--confirm', 'use=web01');
    expect(result.code).toBe(3);
    const shown = result.out + result.err;
    expect(shown).toContain('does not match "web^[]0;pwned^G');
    expect(shown).not.toMatch(control);
  }, 60_000);
});

// Last: the hosts keep their new keys, so no run can reach them afterwards.
describe('review item 8: hosts check whose reader stops early', () => {
  it('hosts check 2>&1 | true: changed host keys still exit 8', async () => {
    await lab.rotateHostKey('controller01');
    await lab.rotateHostKey('compute02');
    // Both streams closed before the first write: the second refusal is written to a closed pipe.
    const result = await runClosingEarly(['hosts', 'check', '--env', lab.envFile], 0, true);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(8);
  }, 60_000);
});
