import { describe, expect, it } from 'vitest';
import { TerminalReplayBook } from './restore';

const shell = { terminalId: 'shell:1:compute01', kind: 'shell' as const, host: 'compute01', title: 'compute01' };
const runOutput = { terminalId: 'run:r1:controller01', kind: 'run-output' as const, host: 'controller01', title: 'controller01 · run output', runId: 'r1' };

describe('TerminalReplayBook', () => {
  it('gives a reconnecting window every terminal with what it showed', () => {
    const book = new TerminalReplayBook();
    book.observe({ name: 'terminal:opened', payload: shell });
    book.observe({ name: 'terminal:opened', payload: runOutput });
    book.observe({ name: 'terminal:data', payload: { terminalId: shell.terminalId, data: '$ echo hi\r\nhi\r\n' } });
    book.observe({ name: 'terminal:data', payload: { terminalId: runOutput.terminalId, data: 'step one\r\n' } });
    expect(book.list()).toEqual([
      { info: shell, closed: false, recent: '$ echo hi\r\nhi\r\n', omittedChars: 0 },
      { info: runOutput, closed: false, recent: 'step one\r\n', omittedChars: 0 },
    ]);
  });

  it('keeps only the newest part, cut at a line start, and counts what it dropped', () => {
    const book = new TerminalReplayBook(100);
    book.observe({ name: 'terminal:opened', payload: runOutput });
    const lines = Array.from({ length: 30 }, (_, index) => `line ${String(index).padStart(2, '0')}\r\n`);
    for (const line of lines) book.observe({ name: 'terminal:data', payload: { terminalId: runOutput.terminalId, data: line } });
    const [kept] = book.list();
    expect(kept.recent.length).toBeLessThanOrEqual(100);
    expect(kept.recent.startsWith('line ')).toBe(true);
    expect(kept.recent.endsWith('line 29\r\n')).toBe(true);
    expect(kept.omittedChars + kept.recent.length).toBe(lines.join('').length);
  });

  it('forgets a closed host shell but keeps a finished run’s output', () => {
    const book = new TerminalReplayBook();
    book.observe({ name: 'terminal:opened', payload: shell });
    book.observe({ name: 'terminal:opened', payload: runOutput });
    book.observe({ name: 'terminal:closed', payload: { terminalId: shell.terminalId, exitCode: 0 } });
    book.observe({ name: 'terminal:closed', payload: { terminalId: runOutput.terminalId, exitCode: null } });
    expect(book.list().map((terminal) => [terminal.info.terminalId, terminal.closed])).toEqual([[runOutput.terminalId, true]]);
  });
});
