/** Issue 11, item 10: a host terminal's recording keeps typed input only once the terminal echoed it. */
import * as fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CastWriter, ECHO_WAIT_MS, castPath, readCast } from './asciicast';
import { MASK, Masker } from './mask';
import { temporaryAuditDir } from './testing';

let directory: string;
let clock: number;

beforeEach(() => {
  directory = temporaryAuditDir();
  clock = 1_700_000_000_000;
});

afterEach(() => {
  fs.rmSync(directory, { recursive: true, force: true });
});

function typedIn(file: string): string {
  return readCast(file)
    .events.filter(([, kind]) => kind === 'i')
    .map(([, , data]) => data)
    .join('');
}

describe('CastWriter with hideUnechoedInput', () => {
  it('records echoed lines in clear and a line typed with echo off as the mask, in order', () => {
    const file = castPath(directory, 'host');
    const cast = CastWriter.create(file, new Masker(), { width: 80, height: 24, now: () => clock, hideUnechoedInput: true });
    for (const key of 'ls -l') {
      cast.input(key);
      cast.output(key);
    }
    cast.input('\r');
    cast.output('\r\ntotal 0\r\n$ sudo -k true\r\n[sudo] password for ops: ');
    for (const key of 'hunter2') cast.input(key);
    cast.input('\r');
    // Output after Enter that happens to contain some of the typed characters is not its echo.
    cast.output('\r\nhunt');
    clock += ECHO_WAIT_MS - 1;
    cast.flush();
    expect(typedIn(file), 'the password line waits for its echo').toBe('ls -l\r');
    clock += 1;
    cast.input('\x1b[A');
    cast.output('$ ');
    cast.close();
    expect(typedIn(file)).toBe(`ls -l\r${MASK}\r\x1b[A`);
    expect(fs.readFileSync(file, 'utf8')).not.toContain('hunter2');
  });
});
