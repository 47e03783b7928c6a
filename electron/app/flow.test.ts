import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FLOW_CONTROL, TerminalOutput, truncationMarker } from './flow';

const LIMITS = { batchIntervalMs: 8, batchMaxChars: 100, highWatermarkChars: 1000, lowWatermarkChars: 250 };

describe('TerminalOutput', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('batches small writes into one message after the interval', () => {
    const sent: string[] = [];
    const output = new TerminalOutput((data) => sent.push(data), null, LIMITS);
    output.pushText('a');
    output.pushText('b');
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(LIMITS.batchIntervalMs);
    expect(sent).toEqual(['ab']);
  });

  it('sends at once when the size cap is reached', () => {
    const sent: string[] = [];
    const output = new TerminalOutput((data) => sent.push(data), null, LIMITS);
    output.pushText('x'.repeat(LIMITS.batchMaxChars));
    expect(sent).toHaveLength(1);
  });

  it('never splits a UTF-8 character across batches', () => {
    const sent: string[] = [];
    const output = new TerminalOutput((data) => sent.push(data), null, LIMITS);
    const bytes = Buffer.from('é€😀');
    for (const byte of bytes) output.pushBytes(Buffer.from([byte]));
    output.end();
    expect(sent.join('')).toBe('é€😀');
    expect(sent.join('')).not.toContain('\ufffd');
  });

  it('pauses a shell above the high watermark and resumes it below the low one', () => {
    const source = { pause: vi.fn(), resume: vi.fn() };
    const output = new TerminalOutput(() => undefined, source, LIMITS);
    for (let index = 0; index < 11; index++) output.pushText('y'.repeat(100));
    expect(output.unacknowledgedChars).toBe(1100);
    expect(source.pause).toHaveBeenCalledTimes(1);
    expect(output.paused).toBe(true);
    output.acknowledge(600);
    expect(source.resume).not.toHaveBeenCalled();
    output.acknowledge(300);
    expect(source.resume).toHaveBeenCalledTimes(1);
    expect(output.paused).toBe(false);
  });

  it('drops run output while the view is behind, then says how much it did not show', () => {
    const sent: string[] = [];
    const output = new TerminalOutput((data) => sent.push(data), null, LIMITS);
    for (let index = 0; index < 11; index++) output.pushText('z'.repeat(100));
    output.pushText('lost lines\n');
    expect(output.dropped).toBe('lost lines\n'.length);
    output.acknowledge(1100);
    vi.advanceTimersByTime(LIMITS.batchIntervalMs);
    expect(sent.at(-1)).toBe(truncationMarker(11));
    expect(sent.at(-1)).toContain('Full output in the journal');
    output.pushText('after');
    vi.advanceTimersByTime(LIMITS.batchIntervalMs);
    expect(sent.at(-1)).toBe('after');
  });

  it('stops holding back when the renderer goes away', () => {
    const source = { pause: vi.fn(), resume: vi.fn() };
    const output = new TerminalOutput(() => undefined, source, LIMITS);
    for (let index = 0; index < 11; index++) output.pushText('y'.repeat(100));
    output.resetAcknowledgements();
    expect(source.resume).toHaveBeenCalledTimes(1);
    expect(output.unacknowledgedChars).toBe(0);
  });

  it('counts acknowledgements per window: a fast tab does not release a shell a slow tab is behind on', () => {
    const source = { pause: vi.fn(), resume: vi.fn() };
    const windows = new Set(['tab-a', 'tab-b']);
    const output = new TerminalOutput(() => undefined, source, LIMITS, () => windows);
    for (let index = 0; index < 11; index++) output.pushText('y'.repeat(100));
    expect(source.pause).toHaveBeenCalledTimes(1);
    // Both tabs get every batch; only tab-a keeps up. With one shared count, its 1100 would cancel
    // tab-b's backlog as well and resume the shell while tab-b is still 1100 characters behind.
    output.acknowledge(1100, 'tab-a');
    expect(output.unacknowledgedChars).toBe(1100);
    expect(source.resume).not.toHaveBeenCalled();
    output.acknowledge(1000, 'tab-b');
    expect(source.resume).toHaveBeenCalledTimes(1);
    // A tab that goes away no longer holds the others back.
    for (let index = 0; index < 11; index++) output.pushText('y'.repeat(100));
    output.acknowledge(1100, 'tab-a');
    expect(source.pause).toHaveBeenCalledTimes(2);
    windows.delete('tab-b');
    output.forgetWindow('tab-b');
    expect(source.resume).toHaveBeenCalledTimes(2);
    expect(output.unacknowledgedChars).toBe(0);
  });

  it('keeps its thresholds in one documented object, high above low', () => {
    expect(FLOW_CONTROL.highWatermarkChars).toBeGreaterThan(FLOW_CONTROL.lowWatermarkChars);
    expect(FLOW_CONTROL.batchIntervalMs).toBeGreaterThanOrEqual(5);
    expect(FLOW_CONTROL.batchIntervalMs).toBeLessThanOrEqual(16);
  });
});
