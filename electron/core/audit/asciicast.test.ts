import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CastWriter, castFileName, castPath, readCast } from './asciicast';
import { MASK, Masker } from './mask';
import { encodeByteExact } from '../utf8';
import { temporaryAuditDir } from './testing';

let directory: string;
let clock: number;
const now = (): number => clock;

beforeEach(() => {
  directory = temporaryAuditDir();
  clock = 1_700_000_000_000;
});

afterEach(() => {
  fs.rmSync(directory, { recursive: true, force: true });
});

describe('CastWriter', () => {
  it('writes an asciicast v2 header and timed events', () => {
    const file = castPath(directory, 'compute-01 (root)');
    expect(path.basename(file)).toBe('compute-01__root_.cast');
    const cast = CastWriter.create(file, new Masker(), { width: 120, height: 40, title: 'compute-01', env: { TERM: 'xterm-256color' }, now });
    cast.output(Buffer.from('$ uptime\n'));
    clock += 1500;
    cast.input('ls\r\n');
    cast.output('load average: 0.1\n');
    cast.close();
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(JSON.parse(lines[0])).toEqual({ version: 2, width: 120, height: 40, timestamp: 1_700_000_000, title: 'compute-01', env: { TERM: 'xterm-256color' } });
    expect(lines.slice(1).map((line) => JSON.parse(line))).toEqual([
      [0, 'o', '$ uptime\n'],
      [1.5, 'i', 'ls\r\n'],
      [1.5, 'o', 'load average: 0.1\n'],
    ]);
    expect(lines[2]).toBe('[1.500000,"i","ls\\r\\n"]');
  });

  it('records masked command output with its line ends as a terminal shows them, after what output() held back', () => {
    const file = castPath(directory, 'lines');
    const cast = CastWriter.create(file, new Masker(['hunter2']), { width: 80, height: 24, now });
    cast.output('$ cat log\r\npartial line held by the masker');
    const long = 'nova-compute "ok" \\ done\n'.repeat(100);
    cast.outputLines('one\ntwo\r\nthree\n');
    clock += 250;
    cast.outputLines(long);
    cast.close();
    const events = readCast(file).events;
    expect(events).toEqual([
      [0, 'o', '$ cat log\r\n'],
      [0, 'o', 'partial line held by the masker'],
      [0, 'o', 'one\r\ntwo\r\nthree\r\n'],
      [0.25, 'o', long.replace(/\n/g, '\r\n')],
    ]);
  });

  it('never splits a UTF-8 character across events and keeps invalid bytes recoverable', () => {
    const file = castPath(directory, 'h');
    const cast = CastWriter.create(file, new Masker(), { width: 80, height: 24, now });
    const bytes = Buffer.from('grüße 😀\n');
    for (const byte of bytes) cast.output(Buffer.from([byte]));
    cast.output(Buffer.from([0xff, 0x41, 0x0a]));
    cast.output(Buffer.from([0xe2, 0x82]));
    cast.close();
    const { events } = readCast(file);
    const text = events.map((event) => event[2]).join('');
    expect(text).toBe('grüße 😀\n\uDCFFA\n\uDCE2\uDC82');
    expect(encodeByteExact(text).equals(Buffer.concat([bytes, Buffer.from([0xff, 0x41, 0x0a, 0xe2, 0x82])]))).toBe(true);
    expect(events.every(([, , data]) => !/[\uD800-\uDBFF]$/.test(data))).toBe(true);
  });

  it('masks secrets, including one split across chunks and one typed key by key', () => {
    const file = castPath(directory, 'db');
    const cast = CastWriter.create(file, new Masker(['hunter2']), { width: 80, height: 24, now });
    cast.output('connecting with hun');
    cast.output('ter2\nmysql -uroot -pS3cret\n');
    for (const key of 'hunter2\r') cast.input(key);
    cast.close();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('S3cret');
    const { events } = readCast(file);
    expect(
      events
        .filter(([, type]) => type === 'o')
        .map(([, , data]) => data)
        .join(''),
    ).toBe(`connecting with ${MASK}\nmysql -uroot -p${MASK}\n`);
    expect(
      events
        .filter(([, type]) => type === 'i')
        .map(([, , data]) => data)
        .join(''),
    ).toBe(`${MASK}\r`);
  });

  it('buffers until flush', () => {
    const file = castPath(directory, 'buffered');
    const cast = CastWriter.create(file, new Masker(), { width: 80, height: 24, now });
    cast.output('one\n');
    expect(fs.readFileSync(file, 'utf8').split('\n')).toHaveLength(2);
    cast.flush();
    expect(readCast(file).events).toEqual([[0, 'o', 'one\n']]);
    cast.close();
  });

  it('readCast leaves out a torn last line and says so', () => {
    const file = castPath(directory, 'torn');
    const cast = CastWriter.create(file, new Masker(), { width: 80, height: 24, now });
    cast.output('ok\n');
    cast.close();
    fs.appendFileSync(file, '[0.5,"o","cut sh');
    expect(readCast(file)).toMatchObject({ events: [[0, 'o', 'ok\n']], truncated: true });
  });

  it('never appends a second recording to an existing cast file', () => {
    const file = castPath(directory, 'again');
    CastWriter.create(file, new Masker(), { width: 80, height: 24, now }).close();
    const second = CastWriter.create(file, new Masker(), { width: 80, height: 24, now });
    second.output('resumed\n');
    second.close();
    expect(second.file).toBe(file.replace(/\.cast$/, '.2.cast'));
    expect(readCast(second.file).events).toEqual([[0, 'o', 'resumed\n']]);
    expect(readCast(file).events).toEqual([]);
  });

  it('makes safe file names', () => {
    expect(castFileName('../../etc/passwd')).toBe('__.._etc_passwd.cast');
    expect(castFileName('')).toBe('terminal.cast');
  });
});
