import { useState } from 'react';

/**
 * Breaking another run's lease: never in one click. A form, a reason typed (recorded with the
 * operator's name), then a distinct button.
 */
export function LeaseBreakForm({ host, holder, onBreak }: { host: string; holder: string; onBreak: (reason: string) => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  if (!open) {
    return (
      <button type="button" className="warning" onClick={() => setOpen(true)}>
        Break lease…
      </button>
    );
  }
  const ready = reason.trim().length > 0;
  return (
    <form
      className="abort-form lease-break-form"
      aria-label={`Break the lease on ${host}`}
      onSubmit={(event) => {
        event.preventDefault();
        if (ready) onBreak(reason.trim());
      }}
    >
      <span className="small">
        {holder}&apos;s run may still be touching {host}. Talk to them first.
      </span>
      <input aria-label="Reason to break the lease" placeholder="Why (recorded with your name)" value={reason} onChange={(event) => setReason(event.target.value)} autoFocus />
      <button type="submit" className="danger" disabled={!ready}>
        Break the lease on {host}
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </form>
  );
}
