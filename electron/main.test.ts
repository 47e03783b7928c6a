/**
 * What main.ts actually does with Electron, with 'electron' mocked (importing the real module would
 * try to download its binary): the window's webPreferences, the session's permission and CSP
 * handlers, navigation and new-window blocking, and one validated IPC handler per command.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

type Handler = (...args: unknown[]) => unknown;

const mocks = vi.hoisted(() => {
  const windows: Array<{ options: Record<string, unknown>; contents: { handlers: Map<string, Handler>; windowOpen?: Handler; sent: unknown[] } }> = [];
  const ipcHandlers = new Map<string, Handler>();
  const session = {
    permissionRequest: undefined as Handler | undefined,
    permissionCheck: undefined as Handler | undefined,
    headers: undefined as Handler | undefined,
  };
  return { windows, ipcHandlers, session };
});

vi.mock('electron', () => {
  class BrowserWindow {
    webContents: Record<string, unknown>;
    constructor(options: Record<string, unknown>) {
      const contents = { handlers: new Map<string, Handler>(), windowOpen: undefined as Handler | undefined, sent: [] as unknown[] };
      mocks.windows.push({ options, contents });
      this.webContents = {
        on: (name: string, handler: Handler) => contents.handlers.set(name, handler),
        setWindowOpenHandler: (handler: Handler) => (contents.windowOpen = handler),
        send: (...args: unknown[]) => contents.sent.push(args),
      };
    }
    isDestroyed() {
      return false;
    }
    on() {}
    once() {}
    loadFile() {
      return Promise.resolve();
    }
  }
  const app = {
    isPackaged: false,
    getAppPath: () => '/opt/opsdeck',
    whenReady: () => Promise.resolve(),
    enableSandbox: vi.fn(),
    on: vi.fn(),
    quit: vi.fn(),
    exit: vi.fn(),
  };
  const session = {
    defaultSession: {
      setPermissionRequestHandler: (handler: Handler) => (mocks.session.permissionRequest = handler),
      setPermissionCheckHandler: (handler: Handler) => (mocks.session.permissionCheck = handler),
      webRequest: { onHeadersReceived: (handler: Handler) => (mocks.session.headers = handler) },
    },
  };
  const ipcMain = { handle: (name: string, handler: Handler) => mocks.ipcHandlers.set(name, handler) };
  const shell = { openExternal: vi.fn(() => Promise.resolve()) };
  return { app, BrowserWindow, session, ipcMain, shell, default: { app, BrowserWindow, session, ipcMain, shell } };
});

const { COMMAND_NAMES } = await import('./api/contract');
const main = await import('./main');

describe('the Electron main process', () => {
  beforeEach(async () => {
    if (mocks.windows.length === 0) await main.startDesktop();
  });

  it('opens the window with context isolation, sandbox, no Node integration and the CommonJS preload', () => {
    const preferences = mocks.windows[0].options.webPreferences as Record<string, unknown>;
    expect(preferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(String(preferences.preload)).toMatch(/preload\.cjs$/);
  });

  it('denies every permission request and check', () => {
    const callback = vi.fn();
    mocks.session.permissionRequest!({}, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
    expect(mocks.session.permissionCheck!({}, 'clipboard-read')).toBe(false);
  });

  it('adds a strict Content-Security-Policy to every response', () => {
    const callback = vi.fn();
    mocks.session.headers!({ responseHeaders: {} }, callback);
    const csp = String((callback.mock.calls[0][0] as { responseHeaders: Record<string, string[]> }).responseHeaders['Content-Security-Policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    // WebAssembly compilation only (the asciicast player); never JavaScript eval.
    expect(csp.replaceAll("'wasm-unsafe-eval'", '')).not.toContain('unsafe-eval');
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
  });

  it('blocks navigation away from the console and every new window', () => {
    const contents = mocks.windows[0].contents;
    const event = { preventDefault: vi.fn() };
    contents.handlers.get('will-navigate')!(event, 'https://evil.example/');
    expect(event.preventDefault).toHaveBeenCalled();
    expect(contents.windowOpen!({ url: 'https://docs.openstack.org/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpen!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
  });

  it('handles exactly the contract’s commands, refusing other pages and invalid payloads', async () => {
    expect([...mocks.ipcHandlers.keys()].sort()).toEqual([...COMMAND_NAMES].sort());
    const handler = mocks.ipcHandlers.get('run:abort')!;
    const foreign = await handler({ senderFrame: { url: 'https://evil.example/' } }, { runId: 'x', reason: 'r', rollback: false });
    expect(foreign).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const own = { senderFrame: { url: 'file:///opt/opsdeck/out/renderer/index.html' } };
    expect(await handler(own, { runId: 'x', reason: 'r', rollback: 'maybe' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await handler(own, { runId: 'x', reason: 'r', rollback: false })).toMatchObject({ ok: false, error: { code: 'run-not-found' } });
  });

  it('accepts IPC from this app’s own index.html only, not from any file:// page that looks like it', async () => {
    const handler = mocks.ipcHandlers.get('run:abort')!;
    const payload = { runId: 'x', reason: 'r', rollback: false };
    for (const url of [
      'file:///tmp/evil/out/renderer/index.html',
      'file:///home/op/Downloads/x.html#/out/renderer/index.html',
      'file:///opt/opsdeck/out/renderer/index.html.evil.html',
      'file://attacker.example/opt/opsdeck/out/renderer/index.html',
      'data:text/html,/out/renderer/index.html',
      'not a url',
    ]) {
      expect(await handler({ senderFrame: { url } }, payload), url).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(await handler({ senderFrame: null }, payload)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await handler({ senderFrame: { url: 'file:///opt/opsdeck/out/renderer/index.html#/runs' } }, payload)).toMatchObject({ ok: false, error: { code: 'run-not-found' } });
  });

  it('enables the sandbox for every renderer and blocks navigation to other file:// pages', async () => {
    const electron = (await import('electron')) as unknown as { app: { enableSandbox: ReturnType<typeof vi.fn> } };
    expect(electron.app.enableSandbox).toHaveBeenCalled();
    const contents = mocks.windows[0].contents;
    const event = { preventDefault: vi.fn() };
    contents.handlers.get('will-navigate')!(event, 'file:///etc/passwd');
    expect(event.preventDefault).toHaveBeenCalled();
    const redirect = { preventDefault: vi.fn() };
    contents.handlers.get('will-redirect')!(redirect, 'https://evil.example/');
    expect(redirect.preventDefault).toHaveBeenCalled();
    const webview = { preventDefault: vi.fn() };
    contents.handlers.get('will-attach-webview')!(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
  });
});
