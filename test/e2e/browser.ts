/** Debian's Chromium driven by playwright-core, with the flags these machines need. */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.OPSDECK_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}
