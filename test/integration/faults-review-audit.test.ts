/**
 * FAULT SUITE (issue 11, item 13) — a transcript on a disk that fills. The transcript directory is a
 * small tmpfs (mounted here, unmounted in afterAll) and a filler file takes every free byte while a
 * terminal is recorded. What must hold: the batch that could not be written is held and written once
 * space is freed, in order, and the bytes a failed write left behind never stay in the middle of the
 * file (every line of the transcript parses).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CastWriter, readCast } from '../../electron/core/audit/asciicast';
import { Masker } from '../../electron/core/audit/mask';
import { workDir } from '../faults/helpers';

let work: string;
let mountPoint: string;
let mounted = false;

beforeAll(() => {
  work = workDir('cast-disk');
  mountPoint = path.join(work, 'audit');
  mkdirSync(mountPoint);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
  mounted = true;
});

afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  rmSync(work, { recursive: true, force: true });
});

/** Writes 4 KiB blocks, then single bytes, until ENOSPC. */
function fill(file: string): number {
  const fd = openSync(file, 'w');
  let written = 0;
  try {
    for (const size of [4096, 1]) {
      const block = Buffer.alloc(size, 0x61);
      for (let i = 0; i < 1024 * 1024; i++) {
        try {
          written += writeSync(fd, block);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

describe('fault: the disk fills while a transcript is written', () => {
  it('holds the batch that failed and writes it once space is freed; no torn line is left mid-file', () => {
    const file = path.join(mountPoint, 'transcripts', 'compute01.cast');
    const cast = CastWriter.create(file, new Masker(), { width: 80, height: 24 });
    cast.output('before the disk filled\r\n');
    cast.flush();
    const filler = path.join(mountPoint, 'filler');
    console.log(`[faults-cast] filled ${fill(filler)} bytes`);
    // More than the page the file already has: the write is cut short part-way (a partial write).
    const lines = Array.from({ length: 200 }, (_, index) => `while full, line ${index} ${'x'.repeat(40)}\r\n`);
    for (const line of lines) cast.output(line);
    let failure: unknown;
    try {
      cast.flush();
    } catch (error) {
      failure = error;
    }
    expect(failure, 'the flush on a full disk must fail').toMatchObject({ code: 'transcript-write' });
    // The failed write left nothing half-written behind.
    expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);

    rmSync(filler);
    cast.output('after space was freed\r\n');
    cast.close();
    const read = readCast(file);
    expect(read.truncated).toBe(false);
    for (const line of readFileSync(file, 'utf8').trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect(read.events.map((event) => event[2]).join('')).toBe(['before the disk filled\r\n', ...lines, 'after space was freed\r\n'].join(''));
  });
});
