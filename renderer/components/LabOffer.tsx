import type { LabStatus } from '../../electron/api/contract';

/** Offers the local lab (real sshd hosts on loopback) when there is no environment yet. */
export function LabOffer({ lab, onStart }: { lab?: LabStatus; onStart: () => void }) {
  if (!lab) return null;
  return (
    <section className="lab-offer" aria-label="Local lab">
      <h2>
        <span className="badge lab">LAB</span> Local lab
      </h2>
      <p>
        Three real OpenSSH servers on this machine's loopback addresses (controller01, compute01, compute02), reached as an unprivileged test user. Nothing outside this machine is
        touched.
      </p>
      {lab.state === 'running' ? (
        <p className="ok">The lab is running.</p>
      ) : lab.available ? (
        <button type="button" className="primary" disabled={lab.state === 'starting'} onClick={onStart}>
          {lab.state === 'starting' ? 'Starting the lab…' : 'Start the local lab'}
        </button>
      ) : (
        <p className="muted">Not available here: {lab.reason}</p>
      )}
      {lab.message && <p className={lab.state === 'failed' ? 'error-text' : 'muted'}>{lab.message}</p>}
    </section>
  );
}
