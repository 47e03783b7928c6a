import { describe, expect, it } from 'vitest';
import { OutputLines, findLines, linesFor, plainText, stderrTail } from './output';

const start = (seq: number, step: string, hosts: string[]) => ({ seq, ts: '2026-12-03T12:00:00.000Z', step, title: `Step ${step}`, hosts });
const chunk = (seq: number, host: string, data: string, stream: 'stdout' | 'stderr' = 'stdout', step = 'fan') => ({
  seq,
  ts: '2026-12-03T12:00:01.000Z',
  step,
  host,
  stream,
  data,
});

describe('OutputLines', () => {
  it('joins lines split across chunks per host and stream, and introduces each step', () => {
    const out = new OutputLines();
    out.add({ starts: [start(2, 'fan', ['a', 'b'])], chunks: [chunk(3, 'a', 'one\ntw'), chunk(4, 'b', 'bee\n'), chunk(5, 'a', 'o\nthree')], lastSeq: 5 });
    expect(out.all().map((line) => [line.kind, line.host, line.text])).toEqual([
      ['step', '', 'Step fan (fan) on a, b'],
      ['out', 'a', 'one'],
      ['out', 'b', 'bee'],
      ['out', 'a', 'two'],
      ['out', 'a', 'three'],
    ]);
    // Following: the unfinished line goes on with the next reply.
    out.add({ starts: [], chunks: [chunk(7, 'a', ' and four\n')], lastSeq: 8 });
    expect(out.all().at(-1)?.text).toBe('three and four');
    expect(out.lastSeq).toBe(8);
    expect(linesFor(out.all(), 'b').map((line) => line.text)).toEqual(['Step fan (fan) on a, b', 'bee']);
  });

  it('finds lines, case-insensitively, and gives a host\u2019s last stderr lines of a step', () => {
    const out = new OutputLines();
    out.add({ starts: [], chunks: [chunk(1, 'a', 'ok\n'), chunk(2, 'a', 'E1\nE2\nE3\n', 'stderr'), chunk(3, 'b', 'other\n', 'stderr')], lastSeq: 3 });
    expect(findLines(out.all(), 'e2')).toEqual([2]);
    expect(stderrTail(out.all(), 'fan', 'a', 2)).toEqual(['E2', 'E3']);
  });

  it('shows text without terminal escapes', () => {
    expect(plainText('\x1b[31mred\x1b[0m\r\nnext\rover')).toBe('red\nnextover');
  });
});
