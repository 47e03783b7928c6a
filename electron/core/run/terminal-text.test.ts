/**
 * One rendering of run events into terminal text: the console's run-output terminal of a host (fed
 * from the runner's events) and that host's transcript (written by the session as events are
 * journalled) hold the same text, so replaying a transcript shows what the operator saw.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { castPath, readCast } from '../audit/asciicast';
import type { RunEvent } from '../audit/events';
import { parseRunbook } from '../runbook/parse';
import { createRunSession } from './session';
import { crlf, HostTerminalText, makeStyle, RunLog } from './terminal-text';
import { localEnvironment } from './testing/environment';
import { LocalShellConnector } from './testing/local-shell';

const RUNBOOK = `id: shown
title: Shown
steps:
  - id: partial
    title: "Look \\e]0;owned\\a at it"
    on: ctl
    run: "printf 'one\\\\ntwo'"
  - id: complain
    title: Complain
    on: ctl
    run: "echo 'to stderr' >&2; exit 3"
    continue_on_failure: true
  - id: count
    title: Count
    on: ctl
    run: "echo 3"
    capture: { n: stdout }
`;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('run events as terminal text', () => {
  it("gives the console's live terminal of a host and the host's transcript the same text", async () => {
    const auditDir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-terminal-text-'));
    dirs.push(auditDir);
    const parsed = parseRunbook(RUNBOOK, 'shown.yaml');
    if (!parsed.runbook) throw new Error(parsed.problems.map((problem) => problem.message).join('\n'));
    const session = createRunSession({ runbook: parsed.runbook, environment: localEnvironment(), params: {}, ssh: new LocalShellConnector(), operator: 'alice', auditDir });
    // What the console does with the runner's events (electron/app/service.ts).
    const live = new HostTerminalText();
    let seen = '';
    session.runner.onEvent((event) => {
      for (const { host, text } of live.render(event)) if (host === 'ctl') seen += crlf(text);
    });
    expect(await session.start()).toBe('succeeded');

    const replayed = readCast(castPath(session.runDirectory, 'ctl'))
      .events.filter(([, kind]) => kind === 'o')
      .map(([, , data]) => data)
      .join('');
    expect(replayed).toBe(seen);
    // What the operator saw, in order: headings with sanitised titles, commands, output, results.
    expect(replayed).toContain('Look ^[]0;owned^G at it');
    expect(replayed).not.toContain('\x1b]0;owned');
    expect(replayed).toContain("$ printf 'one\\ntwo'");
    expect(replayed).toContain('one\r\ntwo\r\n');
    expect(replayed).toContain('\x1b[31mto stderr\r\n\x1b[0m');
    expect(replayed).toMatch(/<== FAILED\x1b\[0m \x1b\[2m\[complain\]/);
    expect(replayed).toContain('captured n = "3"');
    let from = 0;
    for (const text of ['[partial]', 'one\r\ntwo', '<== ok', '[complain]', 'to stderr', '<== FAILED', '[count]', '<== ok']) {
      const at = replayed.indexOf(text, from);
      expect(at, `${text} after position ${from}`).toBeGreaterThanOrEqual(from);
      from = at + text.length;
    }
  });

  it("writes the same heading, command and result into the CLI's log, titles sanitised there too", () => {
    const events: RunEvent[] = [
      { type: 'step.started', step: 'a', title: 'Title \x1b[2J', kind: 'run', hosts: ['h1'], attempt: 1 },
      { type: 'step.command', step: 'a', host: 'h1', command: 'echo x', attempt: 1 },
      { type: 'step.output', step: 'a', host: 'h1', stream: 'stdout', data: 'x\n' },
      { type: 'step.finished', step: 'a', status: 'succeeded', durationMs: 5, checks: [], captures: {} },
    ];
    const style = makeStyle(false);
    const log = new RunLog(style);
    const host = new HostTerminalText(style);
    const cli = events.map((event) => log.render(event)).join('');
    const console = events
      .flatMap((event) => host.render(event))
      .map((piece) => piece.text)
      .join('');
    expect(cli).toBe('\n==> Title ^[[2J [a] on h1\n    $ echo x\n    x\n<== ok [a] 5ms\n');
    expect(console).toBe('\n==> Title ^[[2J [a] on h1\n$ echo x\nx\n<== ok [a] 5ms\n');
  });
});
