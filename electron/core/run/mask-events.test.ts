/**
 * What the runner shows people goes through the journal's masker first (review item 6): step titles,
 * decision questions and choices, manual instructions, the destructive confirmation, check details.
 * The CLI's live log and the console both read these events; neither may see a secret the journal
 * would have masked. The operator confirms a destructive step by typing the host name, as before.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent, StepAwaitingEvent } from '../audit/events';
import { Masker } from '../audit/mask';
import { parseRunbook } from '../runbook/parse';
import { resolveParams } from './params';
import { Runner } from './runner';
import { localEnvironment } from './testing/environment';
import { LocalShellConnector } from './testing/local-shell';

const SECRET = 'Tr0ub4dor-and-3';

const environment = localEnvironment();

const RUNBOOK = `id: rotate
title: Rotate
version: "1"
description: test
params:
  db_password: { type: string, secret: true, required: true }
steps:
  - id: set
    title: Set the password to {{ params.db_password }}
    on: ctl
    destructive: { warning: "The services will use {{ params.db_password }} from now on." }
    run: echo set
  - id: parse
    title: Parse
    on: ctl
    continue_on_failure: true
    run: echo "not json {{ params.db_password }}"
    expect: { json: [{ path: "a", equals: 1 }] }
  - id: ask
    title: Did {{ params.db_password }} work?
    decision:
      question: Can the services log in with {{ params.db_password }}?
      choices:
        - { id: "yes", label: "Yes, {{ params.db_password }} works" }
        - { id: "no", label: "No", next: abort }
  - id: vault
    title: Vault
    manual: Store {{ params.db_password }} in the vault.
`;

describe('runner events are masked at the source', () => {
  it('masks secrets in titles, questions, instructions and the destructive prompt; the host name still confirms', async () => {
    const parsed = parseRunbook(RUNBOOK, 'rotate.yaml');
    if (!parsed.runbook) throw new Error(parsed.problems.map((problem) => problem.message).join('\n'));
    const runbook = parsed.runbook;
    const params = resolveParams(runbook, { db_password: SECRET }, environment);
    const journalled: RunEvent[] = [];
    const runner = new Runner({
      runId: 'run-1',
      runbook,
      environment,
      params,
      ssh: new LocalShellConnector(),
      operator: 'alice',
      masker: new Masker([SECRET]),
      recorder: { append: (event) => journalled.push(event) },
      onFailure: 'stop',
    });
    const seen: RunEvent[] = [];
    const prompts: StepAwaitingEvent[] = [];
    runner.onEvent((event) => {
      seen.push(event);
      if (event.type !== 'step.awaiting') return;
      prompts.push(event);
      // Answered on the next turn, as the CLI and the console do.
      setTimeout(() => {
        if (event.need === 'confirm') expect(runner.confirm(event.step, 'ctl')).toBe(true);
        if (event.need === 'decision') runner.decide(event.step, 'yes');
        if (event.need === 'manual') runner.completeManual(event.step, 'done');
      }, 0);
    });

    expect(await runner.start()).toBe('succeeded');
    expect(JSON.stringify(seen)).not.toContain(SECRET);
    expect(JSON.stringify(journalled)).not.toContain(SECRET);

    const started = seen.filter((event) => event.type === 'step.started').map((event) => event.title);
    expect(started).toContain('Set the password to ********');
    expect(started).toContain('Did ******** work?');
    const confirm = prompts.find((prompt) => prompt.need === 'confirm')!;
    expect(confirm.expected).toBe('ctl');
    expect(confirm.prompt).toBe('The services will use ******** from now on.\nStep "Set the password to ********" is destructive. Type "ctl" to run it.');
    const decision = prompts.find((prompt) => prompt.need === 'decision')!;
    expect(decision.prompt).toBe('Can the services log in with ********?');
    expect(decision.choices).toEqual([
      { id: 'yes', label: 'Yes, ******** works' },
      { id: 'no', label: 'No' },
    ]);
    expect(prompts.find((prompt) => prompt.need === 'manual')!.prompt).toBe('Store ******** in the vault.');
    const parse = seen.find((event) => event.type === 'step.finished' && event.step === 'parse');
    expect(JSON.stringify(parse)).toContain('not json ********');
  });
});
