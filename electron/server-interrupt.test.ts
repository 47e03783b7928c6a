/** Ctrl-C in browser mode never aborts live runs on the first press: it names them and waits for a second. */
import { describe, expect, it, vi } from 'vitest';
import { interruptHandler } from './server';

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('interruptHandler (browser mode Ctrl-C)', () => {
  it('with live runs: the first Ctrl-C names them and stops nothing, the second stops', async () => {
    const stop = vi.fn(() => Promise.resolve());
    const out: string[] = [];
    const onInterrupt = interruptHandler(
      () => Promise.resolve(['Console drill (run 20261203-abc, running)']),
      stop,
      (text) => out.push(text),
    );
    onInterrupt();
    await settle();
    expect(stop).not.toHaveBeenCalled();
    expect(out.join('')).toContain('Console drill (run 20261203-abc, running)');
    expect(out.join('')).toContain('Press Ctrl-C again');
    onInterrupt();
    await settle();
    expect(stop).toHaveBeenCalledTimes(1);
    expect(out.join('')).toContain('Stopping: aborting Console drill');
  });

  it('with no live run: one Ctrl-C stops at once', async () => {
    const stop = vi.fn(() => Promise.resolve());
    const onInterrupt = interruptHandler(
      () => Promise.resolve([]),
      stop,
      () => undefined,
    );
    onInterrupt();
    await settle();
    expect(stop).toHaveBeenCalledTimes(1);
  });
});
