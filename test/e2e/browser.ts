/**
 * Debian's Chromium driven by playwright-core, with the flags these machines need, and what every
 * console e2e file sets up the same way: the service in a private home, a page, screenshots.
 */
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ConsoleService } from '../../electron/app/service';
import { BUNDLED_RUNBOOKS_DIR } from '../../electron/core/inventory/environment';

export const CHROMIUM = process.env.OPSDECK_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Where the e2e run writes its screenshots (not committed). */
export const SCREENSHOTS = path.resolve('test-output/screenshots');

/** The size the console pages work at between screenshots. */
export const WORKING_VIEWPORT = { width: 1600, height: 1000 };

/** The console's backend in `home` (its audit, runbooks and environments there), as an operator named e2e-operator. */
export function consoleServiceIn(home: string): ConsoleService {
  return new ConsoleService({
    auditDir: path.join(home, 'audit'),
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: path.join(home, 'runbooks'),
    environmentsDir: path.join(home, 'environments'),
    operator: 'e2e-operator',
  });
}

/** A page at the working size whose script errors are printed (a page error fails nothing by itself). */
export async function openPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: WORKING_VIEWPORT });
  page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
  return page;
}

/** A screenshot at both sizes the console issue names (1280×720, 1920×1080), then back to the working size. */
export async function screenshotsAtBothSizes(page: Page, name: string, settleMs = 0): Promise<void> {
  for (const [width, height] of [
    [1280, 720],
    [1920, 1080],
  ]) {
    await page.setViewportSize({ width, height });
    if (settleMs > 0) await page.waitForTimeout(settleMs);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}x${height}.png`) });
  }
  await page.setViewportSize(WORKING_VIEWPORT);
}
