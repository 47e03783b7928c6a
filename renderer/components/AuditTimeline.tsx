import type { TimelineEntry } from '../../electron/api/contract';

/** The id of a journal line's timeline entry, to jump to it. */
export function timelineLineId(line: number): string {
  return `journal-line-${line}`;
}

/**
 * The journal as a timeline, one line per event (output left out), each with its journal line
 * number; the lines a failed verification names are highlighted.
 */
export function AuditTimeline({ entries, problemLines = [] }: { entries: TimelineEntry[]; problemLines?: number[] }) {
  return (
    <ol className="timeline" aria-label="Timeline">
      {entries.map((entry) => (
        <li
          key={entry.seq}
          id={timelineLineId(entry.seq)}
          data-line={entry.seq}
          className={`timeline-${entry.type.replace('.', '-')}${problemLines.includes(entry.seq) ? ' problem' : ''}`}
        >
          <span className="line-no" title="journal line">
            {entry.seq}
          </span>{' '}
          <span className="muted small">{entry.ts.slice(11, 23)}</span> <span className="kind">{entry.type}</span> {entry.step && <code>{entry.step}</code>} {entry.text}
        </li>
      ))}
    </ol>
  );
}
