import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FLOW_CONTROL, TerminalOutput, truncationMarker, WindowBudget, WindowSender } from './flow';

/** One terminal's thresholds; the window budget and the tail out of the way (each test of them sets its own). */
const LIMITS = { batchIntervalMs: 8, batchMaxChars: 100, highWatermarkChars: 1000, lowWatermarkChars: 250, windowHighChars: 1e12, windowLowChars: 1e12, heldTailChars: 0 };

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
    const output = new TerminalOutput(
      () => undefined,
      source,
      LIMITS,
      () => windows,
    );
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
    // The batch that arrived after the pause waited for the resume; tab-a alone has it to acknowledge.
    expect(output.unacknowledgedChars).toBe(100);
  });

  it('keeps its thresholds in one documented object, high above low', () => {
    expect(FLOW_CONTROL.highWatermarkChars).toBeGreaterThan(FLOW_CONTROL.lowWatermarkChars);
    expect(FLOW_CONTROL.windowHighChars).toBeGreaterThan(FLOW_CONTROL.windowLowChars);
    // One busy terminal alone is held back by its own watermark, not by the window's budget.
    expect(FLOW_CONTROL.windowHighChars).toBeGreaterThan(FLOW_CONTROL.highWatermarkChars);
    expect(FLOW_CONTROL.batchIntervalMs).toBeGreaterThanOrEqual(5);
    expect(FLOW_CONTROL.batchIntervalMs).toBeLessThanOrEqual(16);
  });
});

/** Scaled-down thresholds for many terminals in one window: 300 × 100 K characters against a 40 K budget. */
const WINDOW_LIMITS = {
  batchIntervalMs: 8,
  batchMaxChars: 1000,
  highWatermarkChars: 10_000,
  lowWatermarkChars: 2500,
  windowHighChars: 40_000,
  windowLowChars: 20_000,
  heldTailChars: 2000,
};

/** A line of `host`'s output, 100 characters with its CR LF. */
function line(host: number, index: number): string {
  return `h${host} line ${index} `.padEnd(98, '.') + '\r\n';
}

/** One window's page: what each terminal got, in order, and what it has not acknowledged yet. */
function page() {
  const received = new Map<number, string[]>();
  const unacknowledged: Array<{ host: number; chars: number }> = [];
  return {
    received,
    unacknowledged,
    send: (host: number) => (data: string) => {
      const list = received.get(host) ?? [];
      list.push(data);
      received.set(host, list);
      unacknowledged.push({ host, chars: data.length });
    },
    inFlight: () => unacknowledged.reduce((sum, batch) => sum + batch.chars, 0),
  };
}

describe('the window budget: many terminals, one page', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('bounds what one window has in flight while 300 terminals flood at once (per terminal it was 300 × the watermark)', () => {
    const view = page();
    const budget = new WindowBudget(WINDOW_LIMITS);
    const outputs = Array.from({ length: 300 }, (_, host) => new TerminalOutput(view.send(host), null, WINDOW_LIMITS, undefined, budget));
    let most = 0;
    for (let index = 0; index < 1000; index++) {
      outputs.forEach((output, host) => output.pushText(line(host, index)));
      most = Math.max(most, view.inFlight());
    }
    for (const output of outputs) output.end();
    most = Math.max(most, view.inFlight());
    // 30 million characters pushed, none acknowledged: at most the budget and the batch that crossed it.
    expect(most).toBeLessThanOrEqual(WINDOW_LIMITS.windowHighChars + WINDOW_LIMITS.batchMaxChars);
    expect(budget.unacknowledgedChars).toBe(view.inFlight());
  });

  it('gives every held-back terminal its last lines once the page catches up, the rest only counted', () => {
    const view = page();
    const budget = new WindowBudget(WINDOW_LIMITS);
    const outputs = Array.from({ length: 300 }, (_, host) => new TerminalOutput(view.send(host), null, WINDOW_LIMITS, undefined, budget));
    for (let index = 0; index < 1000; index++) outputs.forEach((output, host) => output.pushText(line(host, index)));
    for (const output of outputs) output.end();
    // The page parses and acknowledges what it has, batch by batch, until nothing more comes.
    let most = 0;
    while (view.unacknowledged.length > 0) {
      const batch = view.unacknowledged.shift()!;
      outputs[batch.host].acknowledge(batch.chars);
      vi.advanceTimersByTime(WINDOW_LIMITS.batchIntervalMs);
      most = Math.max(most, view.inFlight());
    }
    expect(most).toBeLessThanOrEqual(WINDOW_LIMITS.windowHighChars + WINDOW_LIMITS.batchMaxChars);
    outputs.forEach((output, host) => {
      const text = (view.received.get(host) ?? []).join('');
      // Its newest lines, the last one whole, after a line saying how much was not shown.
      expect(text.endsWith(line(host, 999))).toBe(true);
      expect(text).toContain(line(host, 999 - WINDOW_LIMITS.heldTailChars / 100 + 2));
      expect(text).toMatch(/characters of output not shown here/);
      // Far less than its 100 K: the page never had to parse all 300 terminals' output.
      expect(text.length).toBeLessThan(20_000);
      expect(output.dropped).toBe(0);
    });
  });

  it('sends a shell waiting for the window before the run terminals waiting with it', () => {
    const sent: string[] = [];
    const budget = new WindowBudget(WINDOW_LIMITS);
    const runs = Array.from({ length: 60 }, (_, host) => new TerminalOutput((data) => sent.push(`run${host}:${data.length}`), null, WINDOW_LIMITS, undefined, budget));
    const source = { pause: vi.fn(), resume: vi.fn() };
    const shell = new TerminalOutput((data) => sent.push(`shell:${data}`), source, WINDOW_LIMITS, undefined, budget);
    for (let index = 0; index < 20; index++) runs.forEach((output, host) => output.pushText(line(host, index)));
    shell.pushText('$ ');
    shell.flush();
    expect(source.pause).toHaveBeenCalledTimes(1);
    expect(sent.filter((entry) => entry.startsWith('shell'))).toEqual([]);
    // The page acknowledges what it has: the shell's prompt is the first thing sent after that.
    const before = sent.length;
    runs.forEach((output) => output.acknowledge(Number.MAX_SAFE_INTEGER));
    expect(sent[before]).toBe('shell:$ ');
    expect(source.resume).toHaveBeenCalledTimes(1);
  });

  it('does not make the others wait for a terminal held back by its own backlog while the window has room', () => {
    const view = page();
    const budget = new WindowBudget(WINDOW_LIMITS);
    const busy = new TerminalOutput(view.send(0), null, WINDOW_LIMITS, undefined, budget);
    const quiet = new TerminalOutput(view.send(1), null, WINDOW_LIMITS, undefined, budget);
    for (let index = 0; index < 110; index++) busy.pushText(line(0, index));
    expect(busy.unacknowledgedChars).toBeGreaterThan(WINDOW_LIMITS.highWatermarkChars);
    quiet.pushText(line(1, 0));
    quiet.flush();
    expect(view.received.get(1)).toEqual([line(1, 0)]);
  });

  it('lets a window that goes away release what it held back', () => {
    const windows = new Set(['tab-a', 'tab-b']);
    const view = page();
    const budget = new WindowBudget(WINDOW_LIMITS, () => windows);
    const outputs = Array.from({ length: 100 }, (_, host) => new TerminalOutput(view.send(host), null, WINDOW_LIMITS, () => windows, budget));
    for (let index = 0; index < 100; index++) outputs.forEach((output, host) => output.pushText(line(host, index)));
    const sentBefore = view.unacknowledged.length;
    // tab-a keeps up, tab-b never acknowledges: nothing more is sent while tab-b is there.
    for (const batch of view.unacknowledged) outputs[batch.host].acknowledge(batch.chars, 'tab-a');
    expect(view.unacknowledged.length).toBe(sentBefore);
    windows.delete('tab-b');
    for (const output of outputs) output.forgetWindow('tab-b');
    expect(view.unacknowledged.length).toBeGreaterThan(sentBefore);
  });
});

/** A socket that takes what it is given and sends it on only when told (a page busy parsing). */
function slowSocket() {
  const written: string[] = [];
  const callbacks: Array<() => void> = [];
  let buffered = 0;
  return {
    written,
    write: (text: string, done: () => void) => {
      written.push(text);
      buffered += text.length;
      callbacks.push(() => {
        buffered -= text.length;
        done();
      });
    },
    buffered: () => buffered,
    /** The page took the oldest message off the socket. */
    drainOne: () => callbacks.shift()?.(),
  };
}

describe('WindowSender: run events never wait behind terminal output', () => {
  it('writes run.finished, sent after 300 MB of output, before the output still queued', () => {
    const socket = slowSocket();
    const sender = new WindowSender(socket.write, socket.buffered, 256 * 1024);
    const megabyte = JSON.stringify({ event: 'terminal:data', payload: { terminalId: 'run:r:h1', data: 'x'.repeat(1024 * 1024) } });
    for (let index = 0; index < 300; index++) sender.send(megabyte, 'output');
    const finished = JSON.stringify({ event: 'run:event', payload: { runId: 'r', event: { type: 'run.finished' } } });
    sender.send(finished, 'control');
    // Written at once: behind at most the one output message already on the socket.
    expect(socket.written.indexOf(finished)).toBeGreaterThanOrEqual(0);
    expect(socket.written.indexOf(finished)).toBeLessThanOrEqual(1);
    // The output follows, all of it, in its order, as the page takes it.
    for (let index = 0; index < 400; index++) socket.drainOne();
    expect(socket.written.filter((text) => text === megabyte)).toHaveLength(300);
    expect(sender.queuedChars).toBe(0);
  });

  it('keeps terminal output, terminal events and terminal:list replies in the order they were sent', () => {
    const socket = slowSocket();
    const sender = new WindowSender(socket.write, socket.buffered, 1);
    const sequence = ['opened', 'data-1', 'data-2', 'list-reply', 'data-3', 'closed'];
    for (const text of sequence) sender.send(text, 'output');
    sender.send('run-event', 'control');
    for (let index = 0; index < 20; index++) socket.drainOne();
    expect(socket.written.filter((text) => text !== 'run-event')).toEqual(sequence);
    expect(socket.written.indexOf('run-event')).toBe(1);
  });
});
