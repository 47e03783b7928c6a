import { useState } from 'react';
import type { HostSummary } from '../../electron/api/contract';

/** Pick a host of the environment and open a shell on it. */
export function OpenTerminalForm({ hosts, busy, onOpen }: { hosts: HostSummary[]; busy: boolean; onOpen: (host: string) => void }) {
  const [host, setHost] = useState('');
  const chosen = host || hosts[0]?.name || '';
  return (
    <form
      className="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (chosen) onOpen(chosen);
      }}
    >
      <select aria-label="Host" value={chosen} onChange={(event) => setHost(event.target.value)}>
        {hosts.map((candidate) => (
          <option key={candidate.name} value={candidate.name}>
            {candidate.name} ({candidate.roles.join(', ')})
          </option>
        ))}
      </select>
      <button type="submit" className="primary" disabled={!chosen || busy}>
        Open terminal
      </button>
    </form>
  );
}
