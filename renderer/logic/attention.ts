/**
 * Saying "needs you" outside the Runs screen: the window title and a desktop notification. In the
 * Electron window main shows the notification (electron/main.ts: the page may not); in browser mode
 * the page's Notification, where the operator allowed it.
 */
import type { PendingPrompt, Waiting } from '../stores/runs';

const BASE_TITLE = 'OpsDeck';

/** The page/window title: the waiting count first, so it shows in a narrow tab or the task bar. */
export function attentionTitle(waiting: number): string {
  if (waiting === 0) return BASE_TITLE;
  return `(${waiting}) ${waiting === 1 ? 'A run needs you' : 'Runs need you'} · ${BASE_TITLE}`;
}

/** What the operator is asked, in a few words. */
export function needLabel(need: PendingPrompt['need']): string {
  switch (need) {
    case 'confirm':
      return 'a destructive step waits for its confirmation';
    case 'decision':
      return 'a decision';
    case 'manual':
      return 'a manual step';
    case 'failure':
      return 'a step failed';
    case 'approval':
      return 'a destructive step waits for approval from a second operator';
  }
}

/** One key per prompt waiting, to notify each only once. */
export function waitingKey(waiting: Waiting): string {
  return `${waiting.runId}/${waiting.prompt.step}/${waiting.prompt.need}`;
}

function pageNotifications(): typeof Notification | undefined {
  // The Electron window has its own (main's); its page is denied every permission anyway.
  if (typeof window === 'undefined' || window.opsdeck || typeof Notification === 'undefined') return undefined;
  return Notification;
}

/** Asks the browser for notifications (only ever on an operator's click: browsers ignore it otherwise). */
export function askNotificationPermission(): void {
  const notifications = pageNotifications();
  if (notifications?.permission === 'default') void notifications.requestPermission().catch(() => undefined);
}

/** A desktop notification for a prompt, where permitted; clicking it brings the window back. */
export function notifyWaiting(waiting: Waiting, onClick: () => void): void {
  const notifications = pageNotifications();
  if (notifications?.permission !== 'granted') return;
  try {
    const notification = new notifications(`OpsDeck: ${waiting.title} needs you`, {
      body: `${needLabel(waiting.prompt.need)} (step ${waiting.prompt.step})`,
      tag: waitingKey(waiting),
    });
    notification.onclick = () => {
      window.focus();
      onClick();
      notification.close();
    };
  } catch {
    // Some browsers allow notifications only from a service worker: the title and the bar still say it.
  }
}
