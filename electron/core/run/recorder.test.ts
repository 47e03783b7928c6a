import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../audit/events';
import type { Journal } from '../audit/journal';
import { HELD_OUTPUT_CHARS, JournalRecorder } from './recorder';

/** A journal whose disk can fill: appends throw ENOSPC while `full`, as the real one does. */
class FillingJournal {
  static full = false;
  static opened = 0;
  static written: RunEvent[] = [];
  closed = false;

  constructor() {
    FillingJournal.opened += 1;
  }

  append(event: RunEvent): void {
    if (FillingJournal.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    FillingJournal.written.push(event);
  }

  close(): void {
    this.closed = true;
  }
}

function recorder(): JournalRecorder {
  FillingJournal.full = false;
  FillingJournal.opened = 0;
  FillingJournal.written = [];
  return new JournalRecorder(new FillingJournal() as unknown as Journal, () => new FillingJournal() as unknown as Journal);
}

const note = (message: string): RunEvent => ({ type: 'run.note', level: 'info', message });

describe('JournalRecorder', () => {
  it('holds events while the disk is full and writes them once, in order, when it can again', () => {
    const events = recorder();
    events.append(note('one'));
    FillingJournal.full = true;
    events.append({ type: 'step.finished', step: 'middle', status: 'succeeded', durationMs: 5, checks: [], captures: {} });
    events.append(note('three'));
    expect(events.healthy()).toBe(false);
    expect(events.problem()?.userMessage).toContain('ENOSPC');
    expect(events.recover()).toBe(false);
    FillingJournal.full = false;
    expect(events.recover()).toBe(true);
    expect(events.healthy()).toBe(true);
    expect(FillingJournal.written.map((event) => (event.type === 'run.note' ? event.message : event.type))).toEqual(['one', 'step.finished', 'three']);
    // Reopened each time it tried: the real journal repairs a torn last line on open.
    expect(FillingJournal.opened).toBe(3);
    events.append(note('four'));
    expect(FillingJournal.written).toHaveLength(4);
  });

  it('keeps a bounded amount of output while full, and says how much it could not keep', () => {
    const events = recorder();
    FillingJournal.full = true;
    const chunk = 'x'.repeat(1024 * 1024);
    for (let index = 0; index < HELD_OUTPUT_CHARS / chunk.length + 3; index++) {
      events.append({ type: 'step.output', step: 's', host: 'h', stream: 'stdout', data: chunk });
    }
    events.append({ type: 'step.finished', step: 's', status: 'succeeded', durationMs: 1, checks: [], captures: {} });
    FillingJournal.full = false;
    expect(events.recover()).toBe(true);
    const [first, ...rest] = FillingJournal.written;
    expect(first).toMatchObject({
      type: 'run.note',
      level: 'warning',
      message: `${3 * chunk.length} characters of command output could not be kept while the journal could not be written.`,
    });
    expect(rest.filter((event) => event.type === 'step.output')).toHaveLength(HELD_OUTPUT_CHARS / chunk.length);
    expect(rest.at(-1)).toMatchObject({ type: 'step.finished', step: 's' });
  });
});
