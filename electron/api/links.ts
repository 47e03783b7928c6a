/**
 * The external links the console shows (help, upstream documentation). The Electron window opens in
 * the system browser these exact URLs and nothing else (electron/main.ts), so a renderer that went
 * wrong, or a runbook's text that became a link, cannot send the operator anywhere. A component that
 * shows an external link takes it from here; adding a link means adding it here.
 *
 * The console shows none today: every link it asks to open is refused.
 */
export const EXTERNAL_LINKS: readonly string[] = [];

/** Whether `url` is exactly one of `allowed` (no other query, fragment, scheme or host). */
export function isAllowedExternalLink(url: string, allowed: readonly string[] = EXTERNAL_LINKS): boolean {
  return allowed.includes(url);
}
