import type { TimelineEntry } from '../../electron/api/contract';

/** The journal as a timeline, one line per event (output left out). */
export function AuditTimeline({ entries }: { entries: TimelineEntry[] }) {
  return (
    <ol className="timeline" aria-label="Timeline">
      {entries.map((entry) => (
        <li key={entry.seq} className={`timeline-${entry.type.replace('.', '-')}`}>
          <span className="muted small">{entry.ts.slice(11, 23)}</span> <span className="kind">{entry.type}</span>{' '}
          {entry.step && <code>{entry.step}</code>} {entry.text}
        </li>
      ))}
    </ol>
  );
}
