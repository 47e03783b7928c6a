/**
 * Outside review (issue 11), item 18: the window opened in the system browser any http(s) URL the
 * renderer asked for, so a page that went wrong (or a runbook's text turned into a link) could send
 * the operator anywhere. Only the exact links the console shows (EXTERNAL_LINKS) are opened now.
 * 'electron' is mocked: importing the real module would try to download its binary.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

type Handler = (...args: unknown[]) => unknown;

const mocks = vi.hoisted(() => ({ openExternal: vi.fn((url: string) => Promise.resolve(url)) }));

vi.mock('electron', () => {
  const shell = { openExternal: mocks.openExternal };
  const app = { isPackaged: false, getAppPath: () => '/opt/opsdeck', on: vi.fn() };
  return { app, shell, BrowserWindow: class {}, ipcMain: { handle: vi.fn() }, session: {}, default: { app, shell } };
});

const { hardenContents } = await import('./main');
const { EXTERNAL_LINKS } = await import('./api/links');

const APP_URL = 'file:///opt/opsdeck/out/renderer/index.html';
const SHOWN = ['https://docs.openstack.org/nova/latest/admin/evacuate.html'];

function contentsWith(links: readonly string[]) {
  const handlers = new Map<string, Handler>();
  let windowOpen: Handler | undefined;
  const contents = {
    on: (name: string, handler: Handler) => handlers.set(name, handler),
    setWindowOpenHandler: (handler: Handler) => (windowOpen = handler),
  };
  hardenContents(contents as never, APP_URL, links);
  return {
    open: (url: string) => windowOpen!({ url }),
    navigate: (url: string) => {
      const event = { preventDefault: vi.fn() };
      handlers.get('will-navigate')!(event, url);
      return event.preventDefault;
    },
  };
}

beforeEach(() => mocks.openExternal.mockClear());

describe('links the renderer asks to open', () => {
  it('opens in the system browser a link the console shows, exactly as shown, and no window in the app', () => {
    const contents = contentsWith(SHOWN);
    expect(contents.open(SHOWN[0])).toEqual({ action: 'deny' });
    expect(mocks.openExternal).toHaveBeenCalledWith(SHOWN[0]);
    const prevented = contents.navigate(SHOWN[0]);
    expect(prevented).toHaveBeenCalled();
    expect(mocks.openExternal).toHaveBeenCalledTimes(2);
  });

  it('opens nothing else: other sites, look-alikes, extra query or fragment, other schemes', () => {
    const contents = contentsWith(SHOWN);
    for (const url of [
      'https://evil.example/',
      'http://docs.openstack.org/nova/latest/admin/evacuate.html',
      'https://docs.openstack.org/nova/latest/admin/evacuate.html?next=https://evil.example',
      'https://docs.openstack.org/nova/latest/admin/evacuate.html#x',
      'https://docs.openstack.org.evil.example/nova/latest/admin/evacuate.html',
      'https://docs.openstack.org@evil.example/nova/latest/admin/evacuate.html',
      'https://docs.openstack.org/nova/latest/admin/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'mailto:ops@example.org',
      'not a url',
    ]) {
      expect(contents.open(url), url).toEqual({ action: 'deny' });
      expect(contents.navigate(url), url).toHaveBeenCalled();
    }
    expect(mocks.openExternal).not.toHaveBeenCalled();
  });

  it('uses the console’s own list by default: https links only, and nothing outside it', () => {
    for (const link of EXTERNAL_LINKS) expect(new URL(link).protocol).toBe('https:');
    const contents = contentsWith(EXTERNAL_LINKS);
    contents.open('https://evil.example/');
    expect(mocks.openExternal).not.toHaveBeenCalled();
  });
});
