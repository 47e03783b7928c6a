/**
 * Outside review (issue 11), item 5: browser mode's token used to live in a cookie named
 * `opsdeck_token`. Cookies ignore the port, so the browser sent it to every other service on
 * 127.0.0.1, and two consoles overwrote each other's. Now the token never enters a cookie: the page
 * keeps it in sessionStorage (which is per origin, port included) and hands it to its own socket.
 * Checked in Debian's Chromium against two real browser-mode servers and a neighbouring service.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleService } from '../../electron/app/service';
import { BUNDLED_RUNBOOKS_DIR } from '../../electron/core/inventory/environment';
import { RENDERER_DIR, startServer, type RunningServer } from '../../electron/server';
import { launchChromium } from './browser';

let home: string;
const services: ConsoleService[] = [];
const servers: RunningServer[] = [];
let neighbour: http.Server;
let neighbourOrigin: string;
const neighbourCookies: string[] = [];
let browser: Browser;
let context: BrowserContext;

async function startConsole(name: string): Promise<RunningServer> {
  const service = new ConsoleService({
    auditDir: path.join(home, name, 'audit'),
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: path.join(home, name, 'runbooks'),
    environmentsDir: path.join(home, name, 'environments'),
    operator: `e2e-${name}`,
    lab: { availability: () => ({ available: false, reason: 'token test' }), start: () => Promise.reject(new Error('no lab')) },
  });
  services.push(service);
  const server = await startServer({ service, rendererDir: RENDERER_DIR });
  servers.push(server);
  return server;
}

/** The console answered the page over its socket: the library (bundled runbooks) is listed. */
async function consoleWorks(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Runbooks', exact: true }).click();
  await page.getByText('hello-lab').first().waitFor({ timeout: 20_000 });
}

beforeAll(async () => {
  home = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-e2e-token-'));
  neighbour = http.createServer((request, response) => {
    neighbourCookies.push(request.headers.cookie ?? '');
    response.writeHead(200, { 'Content-Type': 'text/plain' }).end('another local service\n');
  });
  await new Promise<void>((resolve) => neighbour.listen(0, '127.0.0.1', () => resolve()));
  neighbourOrigin = `http://127.0.0.1:${(neighbour.address() as AddressInfo).port}`;
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  for (const server of servers) await server.close();
  for (const service of services) await service.close();
  await new Promise((resolve) => neighbour?.close(resolve));
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('review item 5: the browser-mode token stays out of cookies', () => {
  it('logs in through the token URL, sets no cookie, and another service on 127.0.0.1 receives none', async () => {
    const server = await startConsole('first');
    const page = await context.newPage();
    await page.goto(server.url);
    await expect.poll(() => page.url()).not.toContain('token=');
    await consoleWorks(page);
    expect(await context.cookies()).toEqual([]);

    await page.goto(`${neighbourOrigin}/`);
    expect(await page.locator('body').innerText()).toContain('another local service');
    expect(neighbourCookies.length).toBeGreaterThan(0);
    for (const cookie of neighbourCookies) expect(cookie).not.toContain(server.token);
    expect(neighbourCookies.join('')).toBe('');

    // Back in the same tab without the token: the page kept it (sessionStorage) and works on.
    await page.goto(`${server.origin}/`);
    await consoleWorks(page);
    await page.close();
  });

  it('two consoles in one browser do not overwrite each other: each tab reloads and keeps working', async () => {
    const first = servers[0];
    const second = await startConsole('second');
    const firstPage = await context.newPage();
    await firstPage.goto(first.url);
    await consoleWorks(firstPage);
    const secondPage = await context.newPage();
    await secondPage.goto(second.url);
    await consoleWorks(secondPage);
    await firstPage.reload();
    await consoleWorks(firstPage);
    await secondPage.reload();
    await consoleWorks(secondPage);
    expect(await context.cookies()).toEqual([]);
  });

  it('a page opened without the token is told where to find the link, and its socket is refused', async () => {
    const page = await context.newPage();
    await page.goto(`${servers[0].origin}/`);
    await page
      .getByText(/open the link with its token/i)
      .first()
      .waitFor({ timeout: 20_000 });
    await page.close();
  });
});
