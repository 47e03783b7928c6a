import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../errors';
import { ALL_AT_ONCE, parseDuration, parseRunbook } from './parse';

const HEAD = 'id: t\ntitle: T\n';

/** Parses and returns the errors as `line:column message`. */
function errors(text: string): string[] {
  return parseRunbook(text, 'rb.yaml')
    .problems.filter((problem) => problem.severity === 'error')
    .map((problem) => `${problem.line}:${problem.column} ${problem.message}`);
}

/** [what, yaml, expected line:column, a phrase of the message] */
const MALFORMED: Array<[string, string, string, string]> = [
  ['unknown header field', `${HEAD}tittle: x\nsteps:\n  - id: a\n    manual: x\n`, '3:1', 'unknown field "tittle" at the top of the runbook; did you mean "title"?'],
  ['unknown step field', `${HEAD}steps:\n  - id: a\n    run: x\n    on: all\n    tiemout: 5m\n`, '7:5', 'steps[0]: unknown field "tiemout"; did you mean "timeout"?'],
  [
    'bad duration',
    `${HEAD}steps:\n  - id: a\n    run: x\n    on: all\n    timeout: 5 minuts\n`,
    '7:14',
    'steps[0].timeout: "5 minuts" is not a duration; write it like 30s, 5m or 1h',
  ],
  ['step without kind', `${HEAD}steps:\n  - id: a\n    title: nothing\n`, '4:5', 'steps[0]: this step has no kind'],
  ['step with two kinds', `${HEAD}steps:\n  - id: a\n    run: x\n    manual: y\n`, '6:5', 'has run and manual'],
  [
    'duplicate id in a foreach',
    `${HEAD}steps:\n  - id: a\n    manual: x\n  - id: loop\n    foreach: { items: "{{ params.x }}" }\n    steps:\n      - id: a\n        manual: y\nparams:\n  x: { type: hosts }\n`,
    '9:13',
    'the step id "a" is already used by steps[0] (line 4)',
  ],
  [
    'decision jumping back',
    `${HEAD}steps:\n  - id: a\n    manual: x\n  - id: d\n    decision:\n      question: Q\n      choices:\n        - { id: y, label: Y, next: a }\n        - { id: n, label: N }\n`,
    '10:36',
    '"a" comes before this decision; a decision may only jump forward',
  ],
  [
    'decision to nowhere',
    `${HEAD}steps:\n  - id: d\n    decision:\n      question: Q\n      choices:\n        - { id: y, label: Y, next: fnish }\n        - { id: n, label: N }\n  - id: finish\n    manual: x\n`,
    '8:36',
    'there is no step "fnish"; did you mean "finish"?',
  ],
  [
    'decision into another list',
    `${HEAD}steps:\n  - id: d\n    decision:\n      question: Q\n      choices:\n        - { id: y, label: Y, next: inner }\n        - { id: n, label: N }\n  - id: p\n    phase: { priority: 1 }\n    steps:\n      - id: inner\n        manual: x\n`,
    '8:36',
    'the step "inner" is not in the same list as this decision',
  ],
  ['rollback undoing nothing', `${HEAD}steps:\n  - id: a\n    manual: x\nrollback:\n  - undoes: b\n    id: r\n    manual: y\n`, '7:13', 'there is no top-level step "b" to undo'],
  [
    'undeclared param',
    `${HEAD}params:\n  host: { type: host }\nsteps:\n  - id: a\n    run: ping -c1 {{ params.hots }}\n    on: all\n`,
    '7:19',
    'refers to the parameter "hots", which is not declared under params; did you mean "host"?',
  ],
  [
    'capture used before it is captured',
    `${HEAD}steps:\n  - id: a\n    run: echo {{ captures.ids }}\n    on: all\n  - id: b\n    run: ls\n    on: all\n    capture: { ids: { lines: true } }\n`,
    '5:15',
    'captured only later, by steps[1] (line 7)',
  ],
  ['capture nobody makes', `${HEAD}steps:\n  - id: a\n    run: echo {{ captures.nope }}\n    on: all\n`, '5:15', 'uses the capture "nope", but no step captures it'],
  ['loop variable outside its foreach', `${HEAD}steps:\n  - id: a\n    run: echo {{ instance.ID }}\n    on: all\n`, '5:15', 'refers to "instance", which is not known here'],
  ['host outside a command', `${HEAD}steps:\n  - id: a\n    manual: "log in to {{ host }}"\n`, '5:24', '{{ host }} can be used only in the command of a run or wait step'],
  ['unclosed template', `${HEAD}steps:\n  - id: a\n    run: echo {{ params.x\n    on: all\n`, '5:15', 'has no closing "}}"'],
  ['unknown filter', `${HEAD}params:\n  x: { type: string }\nsteps:\n  - id: a\n    run: echo {{ params.x | shout }}\n    on: all\n`, '7:15', 'unknown filter "shout"'],
  ['enum without values', `${HEAD}params:\n  mode:\n    type: enum\nsteps:\n  - id: a\n    manual: x\n`, '5:5', 'an enum parameter needs values'],
  [
    'int default that is not an int',
    `${HEAD}params:\n  count: { type: int, default: many }\nsteps:\n  - id: a\n    manual: x\n`,
    '4:32',
    'the default "many" is not a whole number',
  ],
  [
    'enum default not among values',
    `${HEAD}params:\n  mode: { type: enum, values: [fast, safe], default: sfe }\nsteps:\n  - id: a\n    manual: x\n`,
    '4:54',
    'is not one of fast, safe; did you mean "safe"?',
  ],
  ['runbook id not kebab-case', 'id: Compute_Maint\ntitle: T\nsteps:\n  - id: a\n    manual: x\n', '1:5', 'is not a valid runbook id; use kebab-case'],
  ['no steps', `${HEAD}`, '1:1', 'steps is missing'],
  ['run without on', `${HEAD}steps:\n  - id: a\n    run: hostname\n`, '4:5', 'has no on:, and the runbook has no defaults.on'],
  [
    'parallel and concurrency',
    `${HEAD}steps:\n  - id: a\n    run: hostname\n    on: compute\n    parallel: true\n    concurrency: 2\n`,
    '7:5',
    'either parallel: true (all hosts at once) or concurrency: N, not both',
  ],
  [
    'phases out of order',
    `${HEAD}steps:\n  - id: p2\n    phase: { priority: 2 }\n    steps: [{ id: a, manual: x }]\n  - id: p1\n    phase: { priority: 1 }\n    steps: [{ id: b, manual: y }]\n`,
    '8:24',
    'phase priority 1 comes after a phase with priority 2',
  ],
  ['exit code out of range', `${HEAD}steps:\n  - id: a\n    run: x\n    on: all\n    expect: { exit: [0, 300] }\n`, '7:25', 'exit codes go from 0 to 255'],
  ['invalid regex', `${HEAD}steps:\n  - id: a\n    run: x\n    on: all\n    expect:\n      stdout:\n        - matches: "up("\n`, '9:20', 'is not a valid regular expression'],
  ['invalid json path', `${HEAD}steps:\n  - id: a\n    run: x\n    on: all\n    expect:\n      json:\n        - { path: "[*", count: 0 }\n`, '9:19', 'is not a valid JSON path'],
  [
    'regex group that does not exist',
    `${HEAD}steps:\n  - id: a\n    run: x\n    on: all\n    capture:\n      v: { regex: "v=(\\\\d+)", group: 2 }\n`,
    '8:38',
    'the regex has 1 group, so there is no group 2',
  ],
  ['YAML syntax error', `${HEAD}steps:\n  - id: a\n    manual: "unclosed\n`, '6:1', 'YAML syntax'],
  ['duplicate key', `${HEAD}steps:\n  - id: a\n    manual: x\n    manual: y\n`, '6:5', 'This key is written twice'],
  ['step that is a string', `${HEAD}steps:\n  - hostname\n`, '4:5', 'expected a step (a mapping'],
  ['reserved step id', `${HEAD}steps:\n  - id: end\n    manual: x\n`, '4:9', '"end" cannot be a step id'],
  ['runbook including itself', `${HEAD}steps:\n  - id: a\n    include: t\n`, '5:14', 'the runbook includes itself'],
  ['camelCase key', `${HEAD}steps:\n  - id: a\n    manual: x\n    continueOnFailure: true\n`, '6:5', 'unknown field "continueOnFailure"; did you mean "continue_on_failure"?'],
  [
    'two checks in one stdout item',
    `${HEAD}steps:\n  - id: a\n    run: x\n    on: all\n    expect:\n      stdout:\n        - { contains: a, empty: true }\n`,
    '9:11',
    'write exactly one of contains, not_contains, matches, not_matches, empty (found contains, empty)',
  ],
  ['invalid param name', `${HEAD}params:\n  Host-Name: { type: host }\nsteps:\n  - id: a\n    manual: x\n`, '4:3', '"Host-Name" is not a valid parameter name'],
  ['wait without until', `${HEAD}steps:\n  - id: w\n    on: all\n    wait:\n      run: "true"\n`, '7:7', 'steps[0].wait.until is missing'],
  [
    'foreach variable named like a namespace',
    `${HEAD}params:\n  x: { type: hosts }\nsteps:\n  - id: l\n    foreach: { items: "{{ params.x }}", as: params }\n    steps: [{ id: a, manual: x }]\n`,
    '7:45',
    '"params" is a template namespace',
  ],
  ['empty file', '', '1:1', 'The file is empty'],
  ['file that is a list', '- a\n- b\n', '1:1', 'A runbook is a YAML mapping'],
  ['param type misspelt', `${HEAD}params:\n  h: { type: hots }\nsteps:\n  - id: a\n    manual: x\n`, '4:14', '"hots" is not a parameter type'],
  [
    'decision with one choice',
    `${HEAD}steps:\n  - id: d\n    decision:\n      question: Q\n      choices:\n        - { id: y, label: Y }\n`,
    '8:9',
    'a decision needs at least 2 choices',
  ],
];

describe('parseRunbook: malformed runbooks', () => {
  it('has at least 25 cases', () => {
    expect(MALFORMED.length).toBeGreaterThanOrEqual(25);
  });

  it.each(MALFORMED)('%s', (_what, text, position, phrase) => {
    const found = errors(text);
    const match = found.find((line) => line.includes(phrase));
    expect(match, `no error mentions ${JSON.stringify(phrase)}; got:\n${found.join('\n')}`).toBeDefined();
    expect(match!.split(' ')[0]).toBe(position);
  });
});

describe('parseRunbook: all problems at once', () => {
  it('reports every problem of a file in file order, not just the first', () => {
    const text = [
      'id: t',
      'title: T',
      'tittle: typo',
      'steps:',
      '  - id: a',
      '    run: echo {{ params.nope }}',
      '    on: all',
      '    timeout: soon',
      '  - id: a',
      '    manual: again',
      '  - id: c',
      '    run: x',
      '    on: all',
      '    expect: { exit: [0, 999] }',
    ].join('\n');
    const found = errors(text);
    expect(found.map((line) => line.split(' ')[0])).toEqual(['3:1', '6:15', '8:14', '9:9', '14:25']);
    expect(parseRunbook(text, 'rb.yaml').runbook).toBeUndefined();
  });

  it('formats problems as file:line:column: message', () => {
    const [problem] = parseRunbook(`${HEAD}steps:\n  - id: a\n    manual: x\n    tittle: y\n`, 'runbooks/x.yaml').problems;
    expect(formatProblem(problem)).toBe('runbooks/x.yaml:6:5: steps[0]: unknown field "tittle"; did you mean "title"?');
  });
});

describe('parseRunbook: normalisation', () => {
  it('fills in the documented defaults', () => {
    const { runbook, problems } = parseRunbook(
      [
        HEAD,
        'defaults: { on: controller01 }',
        'steps:',
        '  - id: a',
        '    run: hostname',
        '  - id: b',
        '    on: compute',
        '    parallel: true',
        '    wait: { run: "nova list", until: { stdout: [{ empty: true }] } }',
      ].join('\n'),
      'rb.yaml',
    );
    expect(problems).toEqual([]);
    const [run, wait] = runbook!.steps;
    expect(run).toMatchObject({ kind: 'run', on: 'controller01', concurrency: 1, timeoutMs: 300_000, sudo: false, retry: { times: 0 } });
    expect(run.kind === 'run' && run.expect).toEqual({ exit: [0], stdout: [], stderr: [], json: [] });
    expect(wait).toMatchObject({ kind: 'wait', concurrency: ALL_AT_ONCE, intervalMs: 10_000, deadlineMs: 1_800_000 });
    expect(runbook!.version).toBe('1');
    expect(runbook!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('turns snake_case into the model and keeps positions', () => {
    const text = [
      HEAD,
      'params:',
      '  hosts: { type: hosts, default: "compute01, compute02", role: compute }',
      'steps:',
      '  - id: list',
      '    on: "{{ params.hosts }}"',
      '    run: openstack server list --host {{ host }} -f json',
      '    timeout: 1h30m',
      '    retry: { times: 2, delay: 500ms }',
      '    continue_on_failure: true',
      '    destructive: { confirm: "{{ params.hosts }}" }',
      '    expect:',
      '      exit: [0, 3]',
      '      stdout: [{ not_contains: ERROR }]',
      '      json: [{ path: "[*].Status", one_of: [ACTIVE, SHUTOFF], min_count: 1 }]',
      '    capture:',
      '      ids: { json: "[*].ID" }',
      '      count: { regex: "(\\\\d+) servers", from: stderr }',
      '      raw: stdout',
      '  - id: pick',
      '    decision:',
      '      question: Go on with {{ captures.ids | join(",") }}?',
      '      capture_as: answer',
      '      choices: [{ id: go, label: Go }, { id: stop, label: Stop, next: end }]',
      '  - id: each',
      '    when: { value: "{{ captures.answer }}", equals: go }',
      '    foreach: { items: "{{ captures.ids }}", as: server, concurrency: 2 }',
      '    steps:',
      '      - id: migrate',
      '        on: controller01',
      '        run: openstack server migrate --live {{ server }}',
    ].join('\n');
    const { runbook, problems } = parseRunbook(text, 'rb.yaml');
    expect(problems).toEqual([]);
    expect(runbook!.params[0]).toMatchObject({ name: 'hosts', type: 'hosts', default: ['compute01', 'compute02'], required: false, role: 'compute' });
    const [list, pick, each] = runbook!.steps;
    expect(list).toMatchObject({
      kind: 'run',
      timeoutMs: 5_400_000,
      retry: { times: 2, delayMs: 500 },
      continueOnFailure: true,
      destructive: { confirm: '{{ params.hosts }}' },
      expect: { exit: [0, 3], stdout: [{ notContains: 'ERROR' }], json: [{ path: '[*].Status', oneOf: ['ACTIVE', 'SHUTOFF'], minCount: 1 }] },
      capture: [
        { name: 'ids', from: 'stdout', json: '[*].ID' },
        { name: 'count', from: 'stderr', regex: '(\\d+) servers' },
        { name: 'raw', from: 'stdout' },
      ],
      source: { file: 'rb.yaml', line: 7, column: 5 },
    });
    expect(pick).toMatchObject({
      kind: 'decision',
      captureAs: 'answer',
      choices: [
        { id: 'go', label: 'Go' },
        { id: 'stop', label: 'Stop', next: 'end' },
      ],
    });
    expect(each).toMatchObject({ kind: 'foreach', as: 'server', concurrency: 2, when: { kind: 'equals', left: '{{ captures.answer }}', right: 'go', negate: false } });
    expect(each.kind === 'foreach' && each.steps[0]).toMatchObject({ id: 'migrate', kind: 'run' });
  });

  it('normalises rollback entries and finally', () => {
    const { runbook, problems } = parseRunbook(
      `${HEAD}defaults: { on: all }\nsteps:\n  - id: stop\n    run: systemctl stop x\nrollback:\n  - undoes: stop\n    id: start\n    run: systemctl start x\n  - id: note\n    manual: check\nfinally:\n  - id: bye\n    manual: done\n`,
      'rb.yaml',
    );
    expect(problems).toEqual([]);
    expect(runbook!.rollback.map((entry) => [entry.undoes, entry.step.id])).toEqual([
      ['stop', 'start'],
      [undefined, 'note'],
    ]);
    expect(runbook!.finally.map((step) => step.id)).toEqual(['bye']);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['2m30s', 150_000],
    ['45', 45_000],
    [90, 90_000],
    [0.5, 500],
  ] as Array<[string | number, number]>)('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['5 minuts', '', 'm', '1d', '-3s', '5mm'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('the bundled example', () => {
  it('runbooks/examples/hello-lab.yaml validates without problems', () => {
    const file = fileURLToPath(new URL('../../../runbooks/examples/hello-lab.yaml', import.meta.url));
    const { runbook, problems } = parseRunbook(readFileSync(file, 'utf8'), file);
    expect(problems.map(formatProblem)).toEqual([]);
    const kinds = new Set(runbook!.steps.map((step) => step.kind));
    expect([...kinds].sort()).toEqual(['decision', 'manual', 'run']);
    expect(runbook!.steps.some((step) => step.destructive)).toBe(true);
    expect(runbook!.steps.some((step) => step.kind === 'run' && step.on === 'compute')).toBe(true);
    expect(runbook!.rollback[0].undoes).toBe('write-marker');
  });
});

describe('docs/runbook-format.md', () => {
  it('its complete example validates', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/runbook-format.md', import.meta.url)), 'utf8');
    const example = /## A complete example\s+```yaml\n([\s\S]*?)```/.exec(doc)![1];
    const { runbook, problems } = parseRunbook(example, 'example.yaml');
    expect(problems.map(formatProblem)).toEqual([]);
    expect(runbook!.steps.map((step) => step.kind)).toEqual(['run', 'run', 'decision', 'foreach', 'wait', 'manual']);
  });
});
