import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent, StepAwaitingEvent, StepFinishedEvent } from '../audit/events';
import { Masker } from '../audit/mask';
import type { Environment } from '../inventory/model';
import type { Runbook } from '../runbook/model';
import { parseRunbook } from '../runbook/parse';
import { resolveParams } from './params';
import { Runner, type FailurePolicy, type ResumeState } from './runner';
import { LocalShellConnector } from './testing/local-shell';

const environment: Environment = {
  name: 'unit',
  lab: true,
  profile: { id: 'systemd', title: 'systemd', description: '', words: { service_restart: 'echo restarting' } },
  hosts: [
    { name: 'ctl', address: '127.0.0.1', port: 22, user: 'u', roles: ['controller'] },
    { name: 'cmp1', address: '127.0.0.1', port: 22, user: 'u', roles: ['compute'] },
    { name: 'cmp2', address: '127.0.0.1', port: 22, user: 'u', roles: ['compute'] },
  ],
  vars: { region: 'RegionOne' },
  databases: {},
  secrets: {},
  knownHostsFile: '/dev/null',
  file: 'unit.yaml',
};

let work: string;
beforeEach(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-runner-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function runbookOf(yaml: string): Runbook {
  const result = parseRunbook(yaml, 'test.yaml');
  if (!result.runbook) throw new Error(result.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('\n'));
  return result.runbook;
}

interface Harness {
  runner: Runner;
  events: RunEvent[];
  ssh: LocalShellConnector;
  finished(step: string): StepFinishedEvent | undefined;
  awaiting(step: string): Promise<StepAwaitingEvent>;
}

function harness(
  yaml: string,
  options: { params?: Record<string, unknown>; onFailure?: FailurePolicy; library?: Runbook[]; resume?: ResumeState; recorder?: (event: RunEvent) => void } = {},
): Harness {
  const runbook = runbookOf(yaml);
  const params = resolveParams(runbook, options.params ?? {}, environment);
  const secrets = runbook.params.filter((spec) => spec.secret).map((spec) => String(params[spec.name]));
  const events: RunEvent[] = [];
  const ssh = new LocalShellConnector();
  const runner = new Runner({
    runId: 'run-1',
    runbook,
    library: { get: (id) => options.library?.find((candidate) => candidate.id === id) },
    environment,
    params,
    ssh,
    operator: 'alice',
    masker: new Masker(secrets),
    recorder: { append: (event) => (options.recorder ?? ((e) => events.push(e)))(event) },
    onFailure: options.onFailure ?? 'stop',
    resume: options.resume,
  });
  if (options.recorder) runner.onEvent((event) => events.push(event));
  return {
    runner,
    events,
    ssh,
    finished: (step) => events.find((event): event is StepFinishedEvent => event.type === 'step.finished' && event.step === step),
    awaiting: (step) =>
      new Promise((resolve) => {
        const found = events.find((event): event is StepAwaitingEvent => event.type === 'step.awaiting' && event.step === step);
        if (found) return resolve(found);
        const off = runner.onEvent((event) => {
          if (event.type === 'step.awaiting' && event.step === step) {
            off();
            resolve(event);
          }
        });
      }),
  };
}

const header = (steps: string, extra = '') => `id: t\ntitle: T\nversion: "1"\ndescription: test\n${extra}\nsteps:\n${steps}`;

describe('Runner', () => {
  it('runs steps in order and records command, output and result', async () => {
    const h = harness(
      header(`
  - id: one
    title: One
    on: ctl
    run: echo first
  - id: two
    title: Two
    on: ctl
    run: echo second; exit 3
    expect: { exit: [3] }
`),
    );
    expect(await h.runner.start()).toBe('succeeded');
    const types = h.events.map((event) => event.type);
    expect(types[0]).toBe('run.started');
    expect(types.at(-1)).toBe('run.finished');
    expect(h.ssh.commands.map((c) => c.command)).toEqual(['echo first', 'echo second; exit 3']);
    const output = h.events
      .filter((e) => e.type === 'step.output' && e.step === 'one')
      .map((e) => (e as { data: string }).data)
      .join('');
    expect(output).toBe('first\n');
    expect(h.finished('two')?.exitCode).toBe(3);
    expect(h.finished('two')?.status).toBe('succeeded');
  });

  it('fans out over a role with captures from every host', async () => {
    const h = harness(
      header(`
  - id: fan
    title: Fan
    on: compute
    parallel: true
    run: echo "$OPSDECK_HOST"
    capture:
      names: { from: stdout }
`),
    );
    expect(await h.runner.start()).toBe('succeeded');
    expect(h.ssh.commands.map((c) => c.host).sort()).toEqual(['cmp1', 'cmp2']);
    expect(h.finished('fan')?.captures.names).toEqual(['cmp1', 'cmp2']);
    expect(h.finished('fan')?.hosts?.map((host) => host.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('never lets a captured value become shell syntax in a later command', async () => {
    const marker = path.join(work, 'pwned');
    const evil = [`a; touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``, `it's "quoted"\nnew line`, 'ünï ☃'];
    writeFileSync(path.join(work, 'list.json'), JSON.stringify(evil.map((name) => ({ Name: name }))));
    const h = harness(
      header(`
  - id: list
    title: List
    on: ctl
    run: cat ${path.join(work, 'list.json')}
    capture:
      servers: { json: "[*]" }
  - id: each
    title: Each
    foreach: { items: "{{ captures.servers }}", as: server, concurrency: 2 }
    steps:
      - id: show
        title: Show
        on: ctl
        run: printf '%s' {{ server.Name }}
        capture:
          echoed: { from: stdout }
`),
    );
    expect(await h.runner.start()).toBe('succeeded');
    expect(existsSync(marker)).toBe(false);
    for (let index = 0; index < evil.length; index++) {
      const output = h.events
        .filter((e) => e.type === 'step.output' && e.step === `each[${index}]/show`)
        .map((e) => (e as { data: string }).data)
        .join('');
      expect(output).toBe(evil[index]);
    }
  });

  it('retries with a delay and succeeds when a later attempt passes', async () => {
    const counter = path.join(work, 'count');
    const command = `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -ge 3 ]`;
    const h = harness(
      header(`
  - id: flaky
    title: Flaky
    on: ctl
    run: "${command}"
    retry: { times: 2, delay: 10ms }
`),
    );
    expect(await h.runner.start()).toBe('succeeded');
    expect(readFileSync(counter, 'utf8').trim()).toBe('3');
    expect(h.events.filter((e) => e.type === 'step.command')).toHaveLength(3);
  });

  it('fails when the retries run out, and stops the run there', async () => {
    const h = harness(
      header(`
  - id: never
    title: Never
    on: ctl
    run: "false"
    retry: { times: 1, delay: 1ms }
  - id: after
    title: After
    on: ctl
    run: echo after
`),
    );
    expect(await h.runner.start()).toBe('failed');
    expect(h.finished('never')?.status).toBe('failed');
    expect(h.finished('never')?.checks[0]).toMatchObject({ ok: false });
    expect(h.ssh.commands.some((c) => c.command === 'echo after')).toBe(false);
  });

  it('kills a command that outlives its timeout and fails the step', async () => {
    const marker = path.join(work, 'late');
    const h = harness(
      header(`
  - id: slow
    title: Slow
    on: ctl
    run: sleep 3; touch ${marker}
    timeout: 200ms
`),
    );
    expect(await h.runner.start()).toBe('failed');
    expect(h.finished('slow')?.checks[0].name).toBe('finished in time');
    await new Promise((resolve) => setTimeout(resolve, 3200));
    expect(existsSync(marker)).toBe(false);
  }, 10_000);

  it('waits for the typed confirmation before a destructive step, and records what was typed', async () => {
    const h = harness(
      header(`
  - id: wipe
    title: Wipe
    on: cmp1
    destructive: { warning: "This wipes {{ env.region }} on cmp1." }
    run: echo wiped
`),
    );
    const done = h.runner.start();
    const prompt = await h.awaiting('wipe');
    expect(prompt.need).toBe('confirm');
    expect(prompt.expected).toBe('cmp1');
    expect(prompt.prompt).toContain('This wipes RegionOne on cmp1.');
    expect(h.runner.confirm('wipe', 'cmp2')).toBe(false);
    expect(h.ssh.commands).toHaveLength(0);
    expect(h.runner.confirm('wipe', 'cmp1')).toBe(true);
    expect(await done).toBe('succeeded');
    const typed = h.events.filter((e) => e.type === 'operator.action' && e.action === 'confirm').map((e) => (e as { text?: string }).text);
    expect(typed).toEqual(['cmp2', 'cmp1']);
  });

  it('follows a decision forward and skips the steps in between', async () => {
    const h = harness(
      header(`
  - id: ask
    title: Ask
    decision:
      question: Which way?
      choices:
        - { id: long, label: The long way }
        - { id: short, label: The short way, next: last }
  - id: middle
    title: Middle
    on: ctl
    run: echo middle
  - id: last
    title: Last
    on: ctl
    run: echo "chose {{ captures.ask }}"
`),
    );
    const done = h.runner.start();
    await h.awaiting('ask');
    expect(() => h.runner.decide('ask', 'sideways')).toThrow(/not a choice/);
    h.runner.decide('ask', 'short');
    expect(await done).toBe('succeeded');
    expect(h.finished('middle')?.status).toBe('skipped');
    expect(h.ssh.commands.map((c) => c.command)).toEqual(['echo "chose short"']);
  });

  it('ends or aborts the run from a decision', async () => {
    const yaml = header(`
  - id: ask
    title: Ask
    decision:
      question: Go on?
      choices:
        - { id: stop, label: Stop, next: end }
        - { id: panic, label: Panic, next: abort }
  - id: later
    title: Later
    on: ctl
    run: echo later
`);
    const ended = harness(yaml);
    const endRun = ended.runner.start();
    await ended.awaiting('ask');
    ended.runner.decide('ask', 'stop');
    expect(await endRun).toBe('succeeded');
    expect(ended.finished('later')?.status).toBe('skipped');

    const aborted = harness(yaml);
    const abortRun = aborted.runner.start();
    await aborted.awaiting('ask');
    aborted.runner.decide('ask', 'panic');
    expect(await abortRun).toBe('aborted');
    expect(aborted.ssh.commands).toHaveLength(0);
  });

  it('waits for a manual step to be marked, and fails the run when it is marked failed', async () => {
    const h = harness(
      header(
        `
  - id: hands
    title: Hands
    manual: Replace the disk in {{ params.host }}.
`,
        'params:\n  host: { type: host, required: true }\n',
      ),
      { params: { host: 'cmp1' } },
    );
    const done = h.runner.start();
    const prompt = await h.awaiting('hands');
    expect(prompt.prompt).toBe('Replace the disk in cmp1.');
    h.runner.completeManual('hands', 'failed', 'no spare disk');
    expect(await done).toBe('failed');
    expect(h.finished('hands')?.reason).toContain('no spare disk');
  });

  it("rolls back in reverse order what ran when a step fails, the failed step's own undo first (it may have done part of its work)", async () => {
    const h = harness(
      header(`
  - id: a
    title: A
    on: ctl
    run: echo do-a
  - id: b
    title: B
    on: ctl
    run: echo do-b
  - id: c
    title: C
    on: ctl
    run: exit 1
rollback:
  - { undoes: a, id: undo-a, title: Undo A, on: ctl, run: echo undo-a }
  - { undoes: b, id: undo-b, title: Undo B, on: ctl, run: echo undo-b }
  - { undoes: c, id: undo-c, title: Undo C, on: ctl, run: echo undo-c }
  - { id: always, title: Always, on: ctl, run: echo always }
`),
      { onFailure: 'rollback' },
    );
    expect(await h.runner.start()).toBe('rolled-back');
    expect(h.ssh.commands.map((c) => c.command)).toEqual(['echo do-a', 'echo do-b', 'exit 1', 'echo undo-c', 'echo undo-b', 'echo undo-a', 'echo always']);
    expect(h.finished('rollback/undo-b')?.status).toBe('succeeded');
  });

  it('asks the operator at a failure: retry, then skip with a reason', async () => {
    const flag = path.join(work, 'fixed');
    const h = harness(
      header(`
  - id: needs-fix
    title: Needs fix
    on: ctl
    run: test -e ${flag}
  - id: always-fails
    title: Always fails
    on: ctl
    run: "false"
  - id: finish
    title: Finish
    on: ctl
    run: echo finish
`),
      { onFailure: 'ask' },
    );
    const done = h.runner.start();
    await h.awaiting('needs-fix');
    writeFileSync(flag, '');
    h.runner.resolveFailure('needs-fix', 'retry');
    await h.awaiting('always-fails');
    expect(() => h.runner.resolveFailure('always-fails', 'skip', '  ')).toThrow(/reason/);
    h.runner.resolveFailure('always-fails', 'skip', 'known broken, ticket OPS-12');
    expect(await done).toBe('succeeded');
    expect(h.finished('always-fails')?.status).toBe('failed');
    const skipped = h.events.filter((e): e is StepFinishedEvent => e.type === 'step.finished' && e.step === 'always-fails').at(-1);
    expect(skipped?.status).toBe('skipped');
    expect(skipped?.reason).toContain('OPS-12');
  });

  it('retries a failed fan-out step on its failed hosts only, when the operator asks', async () => {
    const flag = path.join(work, 'cmp2-fixed');
    const h = harness(
      header(`
  - id: fan
    title: Fan out
    on: compute
    run: echo "on {{ host }}"; test {{ host }} != cmp2 || test -e ${flag}
  - id: one-host
    title: One host
    on: ctl
    run: "false"
`),
      { onFailure: 'ask' },
    );
    const done = h.runner.start();
    const prompt = await h.awaiting('fan');
    expect(prompt.choices?.map((choice) => choice.id)).toContain('retry-failed');
    expect(prompt.choices?.find((choice) => choice.id === 'retry-failed')?.label).toBe('Retry only the failed hosts (cmp2)');
    writeFileSync(flag, '');
    const before = h.ssh.commands.length;
    h.runner.resolveFailure('fan', 'retry-failed');
    const onlyOne = await h.awaiting('one-host');
    // The retry ran on cmp2 alone; cmp1, which had succeeded, was not run again.
    expect(h.ssh.commands.slice(before, -1).map((c) => c.command)).toEqual([expect.stringContaining('on cmp2')]);
    const fan = h.events.filter((e): e is StepFinishedEvent => e.type === 'step.finished' && e.step === 'fan').at(-1);
    expect(fan?.status).toBe('succeeded');
    expect(h.events.some((e) => e.type === 'operator.action' && e.action === 'retry' && e.note === 'only the failed hosts: cmp2')).toBe(true);
    // A step on one host has nothing to retry partly: the choice is not offered, and refused if sent.
    expect(onlyOne.choices?.map((choice) => choice.id)).not.toContain('retry-failed');
    expect(() => h.runner.resolveFailure('one-host', 'retry-failed')).toThrow(/retry the whole step/);
    h.runner.abort('done');
    await done;
  });

  it('abort kills the running command, rolls back on request and always runs finally', async () => {
    const marker = path.join(work, 'late');
    const h = harness(
      header(`
  - id: start-trace
    title: Start trace
    on: ctl
    run: echo trace_on
  - id: long
    title: Long
    on: ctl
    run: sleep 3; touch ${marker}
rollback:
  - { undoes: start-trace, id: undo, title: Undo, on: ctl, run: echo undo }
finally:
  - { id: trace-off, title: Trace off, on: ctl, run: echo trace_off }
`),
    );
    const done = h.runner.start();
    await new Promise<void>((resolve) => {
      const off = h.runner.onEvent((event) => {
        if (event.type === 'step.command' && event.step === 'long') {
          off();
          resolve();
        }
      });
    });
    h.runner.abort('change window closed', { rollback: true });
    expect(await done).toBe('rolled-back');
    expect(h.finished('long')?.status).toBe('failed');
    expect(h.finished('long')?.reason).toContain('change window closed');
    expect(h.ssh.commands.map((c) => c.command).slice(-2)).toEqual(['echo undo', 'echo trace_off']);
    await new Promise((resolve) => setTimeout(resolve, 3200));
    expect(existsSync(marker)).toBe(false);
  }, 10_000);

  it('runs phases in order, their steps in parallel, and stops when a phase check fails', async () => {
    const h = harness(
      header(`
  - id: p1
    title: Network
    phase: { priority: 1 }
    steps:
      - { id: net-a, title: A, on: ctl, run: echo a }
      - { id: net-b, title: B, on: ctl, run: echo b }
    check:
      - { id: net-ok, title: Net OK, on: ctl, run: "true" }
  - id: p10
    title: Database
    phase: { priority: 10 }
    steps:
      - { id: db-start, title: Start DB, on: ctl, run: echo db }
    check:
      - { id: db-ok, title: DB OK, on: ctl, run: "false" }
  - id: p15
    title: Keystone
    phase: { priority: 15 }
    steps:
      - { id: ks, title: Keystone, on: ctl, run: echo keystone }
`),
    );
    expect(await h.runner.start()).toBe('failed');
    expect(h.finished('p1')?.status).toBe('succeeded');
    expect(h.finished('p10')?.status).toBe('failed');
    expect(h.finished('p10')?.reason).toMatch(/Priority 10.*checks failed/);
    expect(h.finished('p10/check/db-ok')?.status).toBe('failed');
    expect(h.ssh.commands.some((c) => c.command === 'echo keystone')).toBe(false);
  });

  it('polls a wait step until its condition holds', async () => {
    const flag = path.join(work, 'ready');
    setTimeout(() => writeFileSync(flag, 'yes'), 300);
    const h = harness(
      header(`
  - id: until-ready
    title: Until ready
    on: ctl
    wait:
      run: cat ${flag} 2>/dev/null || true
      until: { stdout: [{ contains: "yes" }] }
      interval: 50ms
      deadline: 5s
`),
    );
    expect(await h.runner.start()).toBe('succeeded');
    expect(h.events.filter((e) => e.type === 'step.command').length).toBeGreaterThan(1);
  });

  it('fails a wait step at its deadline and says what was still found', async () => {
    const h = harness(
      header(`
  - id: drain
    title: Drain
    on: ctl
    wait:
      run: echo "vm-1 vm-2"
      until: { stdout: [{ empty: true }] }
      interval: 50ms
      deadline: 200ms
`),
    );
    expect(await h.runner.start()).toBe('failed');
    expect(h.finished('drain')?.reason).toMatch(/deadline.*vm-1 vm-2/s);
  });

  it('marks a step interrupted, never succeeded, when the connection drops', async () => {
    const h = harness(
      header(`
  - id: drop
    title: Drop
    on: ctl
    run: echo hi
  - id: next
    title: Next
    on: ctl
    run: echo next
`),
    );
    h.ssh.dropNext.add('ctl');
    expect(await h.runner.start()).toBe('interrupted');
    expect(h.finished('drop')?.status).toBe('interrupted');
    expect(h.finished('drop')?.reason).toMatch(/outcome on the host is unknown|unknown/);
    expect(h.finished('next')).toBeUndefined();
  });

  it('takes concurrency and a wait deadline from parameters when the step starts', async () => {
    const yaml = header(
      `
  - id: fan
    title: Fan
    on: compute
    concurrency: "{{ params.at_once }}"
    run: echo "$OPSDECK_HOST start"; sleep 0.3; echo "$OPSDECK_HOST end"
  - id: drain
    title: Drain
    on: ctl
    wait:
      run: echo still-here
      until: { stdout: [{ empty: true }] }
      interval: 20ms
      deadline: "{{ params.patience }}"
`,
      'params:\n  at_once: { type: int, default: 1 }\n  patience: { type: string, default: 150ms }\n',
    );
    const serial = harness(yaml);
    expect(await serial.runner.start()).toBe('failed');
    const serialOutput = serial.events
      .filter((e) => e.type === 'step.output' && e.step === 'fan')
      .map((e) => (e as { data: string }).data)
      .join('');
    expect(serialOutput).toMatch(/^cmp1 start\ncmp1 end\ncmp2 start\ncmp2 end\n$/);
    expect(serial.finished('drain')?.reason).toMatch(/deadline of 150ms/);

    const parallel = harness(yaml, { params: { at_once: 2, patience: '1s' } });
    expect(await parallel.runner.start()).toBe('failed');
    const parallelOutput = parallel.events
      .filter((e) => e.type === 'step.output' && e.step === 'fan')
      .map((e) => (e as { data: string }).data)
      .join('');
    expect(parallelOutput.indexOf('cmp2 start')).toBeLessThan(parallelOutput.indexOf('cmp1 end'));
    expect(parallel.finished('drain')?.reason).toMatch(/deadline of 1s/);

    const broken = harness(yaml, { params: { patience: 'soon' } });
    expect(await broken.runner.start()).toBe('failed');
    expect(broken.finished('drain')?.reason).toBe('Step drain: deadline {{ params.patience }} gave "soon", which is not a duration (like 30s, 5m or 1h).');
  });

  it('counts the schemas a capture names, refuses names that are not identifiers, and renders titles', async () => {
    const yaml = header(
      `
  - id: which
    title: Which schemas
    on: ctl
    run: printf '%s' {{ params.schemas }}
    capture: { schemas: { json: "[*]" } }
  - id: counts
    title: Row counts of {{ captures.schemas | join(", ") }}
    sql: { database: openstack, row_counts: "{{ captures.schemas }}" }
`,
      'params:\n  schemas: { type: string, default: \'["nova", "nova_api"]\' }\n',
    );
    const counted: string[][] = [];
    const sql = {
      query: async () => [],
      rowCounts: async (_db: unknown, schemas: string[]) => {
        counted.push(schemas);
        return schemas.map((schema) => ({ schema, table: 't', rows: 1 }));
      },
      close: async () => undefined,
    };
    const withDatabase = { ...environment, databases: { openstack: { name: 'openstack', address: '127.0.0.1', port: 3306, user: 'root' } } };
    const run = (params: Record<string, unknown>) => {
      const runbook = runbookOf(yaml);
      const events: RunEvent[] = [];
      const runner = new Runner({
        runId: 'r',
        runbook,
        environment: withDatabase,
        params: resolveParams(runbook, params, withDatabase),
        ssh: new LocalShellConnector(),
        sql,
        operator: 'alice',
        masker: new Masker([]),
        recorder: { append: (event) => events.push(event) },
        onFailure: 'stop',
      });
      return runner.start().then((status) => ({ status, events }));
    };
    const good = await run({});
    expect(good.status).toBe('succeeded');
    expect(counted).toEqual([['nova', 'nova_api']]);
    expect(good.events.find((e) => e.type === 'step.started' && e.step === 'counts')).toMatchObject({ title: 'Row counts of nova, nova_api' });

    const evil = await run({ schemas: '["nova; DROP DATABASE nova"]' });
    expect(evil.status).toBe('failed');
    expect(counted).toHaveLength(1);
    const finished = evil.events.find((e): e is StepFinishedEvent => e.type === 'step.finished' && e.step === 'counts');
    expect(finished?.reason).toContain('row_counts needs schema names');
  });

  it('says at the failure prompt whether an interrupted command still runs on its host', async () => {
    const h = harness(
      header(`
  - { id: drop, title: Drop, on: ctl, run: echo hi }
`),
      { onFailure: 'ask' },
    );
    h.ssh.dropNext.add('ctl');
    h.ssh.stillRunning = true;
    const done = h.runner.start();
    const prompt = await h.awaiting('drop');
    expect(prompt.need).toBe('failure');
    expect(prompt.prompt).toContain('ctl: the command is STILL RUNNING there (process 4242); retrying now would run it twice');
    expect(h.finished('drop')?.hosts?.[0]).toMatchObject({ status: 'interrupted', pid: 4242 });
    expect(h.events.some((e) => e.type === 'step.remote' && e.pid === 4242)).toBe(true);
    h.ssh.stillRunning = false;
    h.runner.resolveFailure('drop', 'retry');
    expect(await done).toBe('succeeded');
  });

  it('skips a step whose condition is false', async () => {
    const h = harness(
      header(
        `
  - id: maybe
    title: Maybe
    when: "{{ params.shared }}"
    on: ctl
    run: echo shared
`,
        'params:\n  shared: { type: bool, default: false }\n',
      ),
    );
    expect(await h.runner.start()).toBe('succeeded');
    expect(h.finished('maybe')?.status).toBe('skipped');
    expect(h.ssh.commands).toHaveLength(0);
  });

  it('runs an included runbook with its own parameters and keeps its captures under the step id', async () => {
    const child = runbookOf(
      `id: child\ntitle: Child\nversion: "1"\ndescription: c\nparams:\n  who: { type: string, required: true }\nsteps:\n  - { id: greet, title: Greet, on: ctl, run: "echo hello {{ params.who }}", capture: { greeting: { from: stdout } } }\n`,
    );
    const h = harness(
      header(
        `
  - id: inc
    title: Include
    include: child
    with: { who: "{{ params.name }}" }
  - id: use
    title: Use
    on: ctl
    run: echo {{ captures.inc.greeting }}
`,
        'params:\n  name: { type: string, default: world }\n',
      ),
      { library: [child] },
    );
    expect(await h.runner.start()).toBe('succeeded');
    expect(h.ssh.commands.map((c) => c.command)).toEqual(["echo hello 'world'", "echo 'hello world'"]);
  });

  it('stops an include loop at the first repeat instead of recursing forever', async () => {
    const a = runbookOf(`id: loop-a\ntitle: A\ndescription: a\nsteps:\n  - { id: into-b, include: loop-b }\n`);
    const b = runbookOf(`id: loop-b\ntitle: B\ndescription: b\nsteps:\n  - { id: hello, on: ctl, run: echo b }\n  - { id: into-a, include: loop-a }\n`);
    const h = harness(`id: top\ntitle: T\ndescription: t\nsteps:\n  - { id: start, include: loop-a }\n`, { library: [a, b] });
    expect(await h.runner.start()).toBe('failed');
    expect(h.ssh.commands).toHaveLength(1);
    expect(h.finished('start/into-b/into-a')?.reason).toBe(
      'Step start/into-b/into-a includes runbook "loop-a", which is already running around it (top -> loop-a -> loop-b -> loop-a); that would never end.',
    );
  });

  it('masks secret parameters in commands and output', async () => {
    const h = harness(
      header(
        `
  - id: leak
    title: Leak
    on: ctl
    run: echo "password is {{ params.db_password }}"
`,
        'params:\n  db_password: { type: string, secret: true, required: true }\n',
      ),
      { params: { db_password: 'hunter2-Sup3r' } },
    );
    expect(await h.runner.start()).toBe('succeeded');
    const written = JSON.stringify(h.events);
    expect(written).not.toContain('hunter2-Sup3r');
    expect(written).toContain('password is ********');
  });

  it('pauses before the next step until resumed', async () => {
    const h = harness(
      header(`
  - { id: one, title: One, on: ctl, run: echo one }
  - { id: two, title: Two, on: ctl, run: echo two }
`),
    );
    h.runner.onEvent((event) => {
      if (event.type === 'step.finished' && event.step === 'one') h.runner.pause();
    });
    const done = h.runner.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.runner.runStatus).toBe('paused');
    expect(h.ssh.commands).toHaveLength(1);
    h.runner.resume();
    expect(await done).toBe('succeeded');
    expect(h.ssh.commands).toHaveLength(2);
  });

  it('resumes after the steps a journal shows as done, with their captures', async () => {
    const h = harness(
      header(`
  - { id: one, title: One, on: ctl, run: echo one, capture: { first: { from: stdout } } }
  - { id: two, title: Two, on: ctl, run: "echo {{ captures.first }} two" }
`),
      { resume: { statuses: { one: 'succeeded' }, captures: { first: 'one' }, completedOrder: ['one'] } },
    );
    expect(await h.runner.start()).toBe('succeeded');
    expect(h.ssh.commands.map((c) => c.command)).toEqual(["echo 'one' two"]);
    expect(h.events[0].type).not.toBe('run.started');
  });

  it('pauses the run when the journal cannot be written, so nothing happens unrecorded', async () => {
    let broken = false;
    let brokeOnce = false;
    const h = harness(
      header(`
  - { id: one, title: One, on: ctl, run: echo one }
  - { id: two, title: Two, on: ctl, run: echo two }
`),
      {
        recorder: (event) => {
          if (broken) throw new Error('ENOSPC: no space left on device');
          if (event.type === 'step.finished' && !brokeOnce) broken = brokeOnce = true;
        },
      },
    );
    const done = h.runner.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.runner.runStatus).toBe('paused');
    expect(h.ssh.commands).toHaveLength(1);
    broken = false;
    h.runner.resume();
    expect(await done).toBe('succeeded');
  });
});
