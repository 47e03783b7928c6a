/**
 * The Electron main process: one window on the built renderer, hardened (context isolation, sandbox,
 * no Node in the page, strict CSP, no navigation, no new windows, no permissions), and the api/
 * contract wired to ipcMain. Every payload is validated by ConsoleService.dispatch before the engine
 * sees it: the renderer is untrusted.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Notification,
  session,
  shell,
  type MessageBoxOptions,
  type MessageBoxReturnValue,
  type Session,
  type WebContents,
  type WebPreferences,
} from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMMAND_NAMES } from './api/contract';
import { EXTERNAL_LINKS, isAllowedExternalLink } from './api/links';
import { defaultServiceOptions } from './app/config';
import { liveRunsOf } from './app/live-runs';
import { ConsoleService, type ServiceEvent } from './app/service';

/**
 * The page's Content-Security-Policy (also in renderer/index.html as a meta tag). 'wasm-unsafe-eval'
 * lets the asciicast player compile its bundled WebAssembly terminal; it allows no JavaScript eval.
 */
export const WINDOW_CSP =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Where the app's files are: the checkout in development, resources/ in a package. */
function appRoot(): string {
  return app.isPackaged ? process.resourcesPath : app.getAppPath();
}

/** The webPreferences of every OpsDeck window. */
export function windowWebPreferences(preloadFile: string): WebPreferences {
  return {
    preload: preloadFile,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/** Denies every permission request and check (camera, notifications, clipboard-read...). */
export function hardenSession(target: Session): void {
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
  target.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [WINDOW_CSP] } });
  });
}

/**
 * No navigation away from the console, no new windows. Only the links the console itself shows
 * (`externalLinks`, exact URLs) open, in the system browser; any other URL the page asks for is dropped.
 */
export function hardenContents(contents: WebContents, appUrl: string, externalLinks: readonly string[] = EXTERNAL_LINKS): void {
  const openIfShown = (url: string) => {
    if (isAllowedExternalLink(url, externalLinks)) void shell.openExternal(url);
  };
  contents.on('will-navigate', (event, url) => {
    if (url === appUrl) return;
    event.preventDefault();
    openIfShown(url);
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openIfShown(url);
    return { action: 'deny' };
  });
}

/** Wires every command of the contract to the service, accepting calls from our own page only. */
export function registerIpc(service: ConsoleService, isOwnPage: (url: string) => boolean): void {
  for (const name of COMMAND_NAMES) {
    ipcMain.handle(name, (event, payload: unknown) => {
      if (!event.senderFrame || !isOwnPage(event.senderFrame.url)) {
        return { ok: false, error: { code: 'forbidden', userMessage: 'This page may not use the OpsDeck API.' } };
      }
      return service.dispatch(name, payload);
    });
  }
}

/** The renderer's index.html of this app (the only page allowed to call the API). */
function indexFilePath(): string {
  return path.join(app.isPackaged ? app.getAppPath() : appRoot(), 'out/renderer/index.html');
}

/**
 * True only for this app's own index.html (any query or fragment): not for another file:// page that
 * merely has "/out/renderer/index.html" in its path (a downloaded file, another checkout).
 */
export function isAppPage(url: string, indexFile: string): boolean {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'file:' || parsed.host !== '') return false;
    return `${parsed.protocol}//${parsed.pathname}` === pathToFileURL(indexFile).href;
  } catch {
    return false;
  }
}

/** The question asked before closing the window while runs are live (the first button keeps it open). */
export function quitQuestion(runs: string[]): MessageBoxOptions {
  return {
    type: 'warning',
    buttons: ['Keep OpsDeck open', runs.length === 1 ? 'Quit and abort the run' : `Quit and abort ${runs.length} runs`],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
    title: 'Runs are still live',
    message: runs.length === 1 ? 'A run is still live in this console.' : `${runs.length} runs are still live in this console.`,
    detail: `${runs.join('\n')}\n\nQuitting aborts them (no rollback). Finish or abort them first, or quit anyway.`,
  };
}

/**
 * Makes closing the window ask first while runs are live. The close is held (Electron needs that
 * synchronously), the live runs are read, and the window closes only with none or on the operator's yes.
 */
export function askBeforeClosing(
  window: Pick<BrowserWindow, 'on' | 'close'>,
  liveRuns: () => Promise<string[]>,
  ask: (options: MessageBoxOptions) => Promise<Pick<MessageBoxReturnValue, 'response'>>,
): void {
  let allowed = false;
  let asking = false;
  window.on('close', (event) => {
    if (allowed) return;
    event.preventDefault();
    if (asking) return;
    asking = true;
    void liveRuns()
      .then(async (runs) => runs.length === 0 || (await ask(quitQuestion(runs))).response === 1)
      .then((quit) => {
        asking = false;
        if (!quit) return;
        allowed = true;
        window.close();
      });
  });
}

/** A desktop notification when a run starts waiting for the operator and the window is not in front. */
export function notifyWhenWaiting(window: BrowserWindow, event: ServiceEvent): void {
  if (event.name !== 'run:event' || event.payload.event.type !== 'step.awaiting') return;
  if (window.isDestroyed() || window.isFocused() || !Notification.isSupported()) return;
  const { step, need } = event.payload.event;
  const notification = new Notification({ title: 'OpsDeck: a run needs you', body: `Step ${step} waits (${need}).` });
  notification.on('click', () => {
    window.show();
    window.focus();
  });
  notification.show();
}

export function createMainWindow(service: ConsoleService): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 640,
    title: 'OpsDeck',
    backgroundColor: '#12161c',
    show: false,
    webPreferences: windowWebPreferences(path.join(__dirname, '../preload/preload.cjs')),
  });
  const indexFile = indexFilePath();
  const appUrl = `file://${indexFile}`;
  hardenContents(window.webContents, appUrl);
  const unsubscribe = service.onEvent((event) => {
    if (!window.isDestroyed()) window.webContents.send(event.name, event.payload);
    notifyWhenWaiting(window, event);
  });
  askBeforeClosing(
    window,
    () => liveRunsOf(service),
    (options) => dialog.showMessageBox(window, options),
  );
  // A reload or a crashed page will never acknowledge what it was sent.
  window.webContents.on('did-start-loading', () => service.rendererDetached());
  window.webContents.on('render-process-gone', () => service.rendererDetached());
  window.on('closed', unsubscribe);
  window.once('ready-to-show', () => window.show());
  void window.loadFile(indexFile);
  return window;
}

/** Starts the desktop app. */
export async function startDesktop(): Promise<void> {
  app.enableSandbox();
  await app.whenReady();
  hardenSession(session.defaultSession);
  const root = appRoot();
  const service = new ConsoleService(
    defaultServiceOptions({
      bundledRunbooksDir: path.join(root, 'runbooks'),
      profileDirs: [path.join(root, 'runbooks', 'profiles')],
    }),
  );
  const indexFile = indexFilePath();
  registerIpc(service, (url) => isAppPage(url, indexFile));
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  createMainWindow(service);
  app.on('window-all-closed', () => {
    void service.close().finally(() => app.quit());
  });
}

// Electron runs this file as its main script; tests import it with 'electron' mocked.
if (process.versions.electron) {
  startDesktop().catch((error: unknown) => {
    process.stderr.write(`OpsDeck could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    app.exit(1);
  });
}
