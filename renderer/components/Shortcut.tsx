/** A key shown on a button that answers to it (hidden from the button's accessible name). */
export function Shortcut({ keys }: { keys: string }) {
  return (
    <kbd className="shortcut" aria-hidden="true">
      {keys}
    </kbd>
  );
}
