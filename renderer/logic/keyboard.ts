/**
 * The next thing to do gets the focus, and the common answers have keys. A control that answers to
 * a key says so with `aria-keyshortcuts` (and shows it, see components/Shortcut.tsx); the control a
 * prompt wants focused first carries `data-next-action`.
 */

/** Where typing goes to the page, a terminal or a field: keys there are text, never shortcuts. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) || target.closest('.xterm') !== null;
}

function usable(element: Element | null): element is HTMLElement {
  return element instanceof HTMLElement && !(element as HTMLButtonElement).disabled && element.getClientRects().length > 0 && element.closest('fieldset:disabled') === null;
}

/** Presses the control that answers to the key, if one is on screen; true when one did. */
export function pressShortcut(event: Pick<KeyboardEvent, 'key' | 'target' | 'ctrlKey' | 'metaKey' | 'altKey' | 'defaultPrevented'>, root: ParentNode = document): boolean {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return false;
  const key = event.key.toLowerCase();
  if (!/^[a-z0-9]$/.test(key)) return false;
  // A prompt's answers first, then the rest of the page (the attention bar's "go to the prompt").
  const candidates = [...root.querySelectorAll(`.prompts [aria-keyshortcuts="${key}"]`), ...root.querySelectorAll(`[aria-keyshortcuts="${key}"]`)];
  const control = candidates.find(usable);
  if (!control) return false;
  control.click();
  return true;
}

/** Moves the focus to the next thing to do: a waiting prompt's control, else the run's heading. */
export function focusNextAction(root: ParentNode = document): boolean {
  const target = [
    ...root.querySelectorAll('.prompts [data-next-action]'),
    ...root.querySelectorAll('.prompts input, .prompts button'),
    ...root.querySelectorAll('[data-focus-home]'),
  ].find((element) => usable(element) || (element instanceof HTMLElement && element.hasAttribute('data-focus-home')));
  if (!(target instanceof HTMLElement)) return false;
  target.focus();
  return true;
}

/**
 * True when the focus is nowhere in particular (the control it was on went away) or resting on the
 * run's heading, where it waits for the next thing to do.
 */
export function focusIsFree(doc: Document = document): boolean {
  const active = doc.activeElement;
  return active === null || active === doc.body || !active.isConnected || active.hasAttribute('data-focus-home');
}
