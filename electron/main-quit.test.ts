/**
 * Closing the Electron window while runs are live asks first (issue 13): the close is held, the
 * runs are named, and the window closes only with none live or on the operator's yes.
 */
import { describe, expect, it, vi } from 'vitest';

const shown = vi.hoisted(() => [] as Array<{ title: string; body: string }>);

vi.mock('electron', () => ({
  app: {},
  BrowserWindow: class {},
  dialog: {},
  ipcMain: {},
  Notification: class {
    static isSupported = () => true;
    constructor(private readonly options: { title: string; body: string }) {}
    on() {}
    show() {
      shown.push(this.options);
    }
  },
  session: {},
  shell: {},
}));

const { askBeforeClosing, notifyWhenWaiting, quitQuestion } = await import('./main');

type CloseHandler = (event: { preventDefault(): void }) => void;

function fakeWindow() {
  let onClose: CloseHandler | undefined;
  const window = {
    on: (name: string, handler: CloseHandler) => {
      if (name === 'close') onClose = handler;
      return window;
    },
    close: vi.fn(() => {
      const event = { preventDefault: vi.fn() };
      onClose?.(event);
      if (!event.preventDefault.mock.calls.length) closed = true;
    }),
  };
  let closed = false;
  return { window, tryClose: () => window.close(), isClosed: () => closed };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('askBeforeClosing', () => {
  it('holds the close while a run is live, names it, and keeps the window open on "Keep OpsDeck open"', async () => {
    const { window, tryClose, isClosed } = fakeWindow();
    const ask = vi.fn(() => Promise.resolve({ response: 0 }));
    askBeforeClosing(window as never, () => Promise.resolve(['Console drill (run r1, running)']), ask);
    tryClose();
    await settle();
    expect(ask).toHaveBeenCalledTimes(1);
    expect(ask.mock.calls[0]).toEqual([quitQuestion(['Console drill (run r1, running)'])]);
    expect(quitQuestion(['Console drill (run r1, running)']).detail).toContain('Console drill (run r1, running)');
    expect(isClosed()).toBe(false);
  });

  it('closes when the operator chooses to quit, and at once with no live run', async () => {
    const answered = fakeWindow();
    askBeforeClosing(
      answered.window as never,
      () => Promise.resolve(['Console drill (run r1, paused)']),
      () => Promise.resolve({ response: 1 }),
    );
    answered.tryClose();
    await settle();
    expect(answered.isClosed()).toBe(true);

    const idle = fakeWindow();
    const ask = vi.fn(() => Promise.resolve({ response: 0 }));
    askBeforeClosing(idle.window as never, () => Promise.resolve([]), ask);
    idle.tryClose();
    await settle();
    expect(ask).not.toHaveBeenCalled();
    expect(idle.isClosed()).toBe(true);
  });
});

describe('notifyWhenWaiting', () => {
  it('shows a desktop notification when a run starts waiting and the window is not in front; not when it is', () => {
    const window = { isDestroyed: () => false, isFocused: () => false, show: vi.fn(), focus: vi.fn() };
    const awaiting = {
      name: 'run:event' as const,
      payload: { runId: 'r1', at: 1, event: { type: 'step.awaiting' as const, step: 'write-marker', need: 'confirm' as const, prompt: 'Type it' } },
    };
    notifyWhenWaiting(window as never, awaiting);
    expect(shown).toEqual([{ title: 'OpsDeck: a run needs you', body: 'Step write-marker waits (confirm).' }]);
    notifyWhenWaiting({ ...window, isFocused: () => true } as never, awaiting);
    notifyWhenWaiting(window as never, { name: 'run:event', payload: { runId: 'r1', at: 2, event: { type: 'run.note', level: 'info', message: 'x' } } } as never);
    expect(shown).toHaveLength(1);
  });
});
