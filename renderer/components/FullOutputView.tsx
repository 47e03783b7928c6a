import { useEffect, useMemo, useRef, useState } from 'react';
import { formatTime } from '../logic/format';
import { OutputLines, findLines, linesFor, type OutputLine } from '../logic/output';
import { useRunsStore } from '../stores/runs';

/** Height of one line in px (the list draws only the lines in sight). */
const LINE_HEIGHT = 18;
/** How often a followed live run is read again. */
const FOLLOW_MS = 1000;

/**
 * A run's whole output read from its journal, not from the terminals (which keep only their
 * scrollback): one step or every step, one host or all hosts with each line prefixed by its host,
 * each step introduced with its start time; searchable; following a live run until told to stop.
 */
export function FullOutputView({
  runId,
  step,
  hosts,
  initialHost,
  live,
  onClose,
}: {
  runId: string;
  /** The step to show first; the operator can widen to every step. */
  step?: string;
  hosts: string[];
  initialHost?: string;
  live: boolean;
  onClose: () => void;
}) {
  const [scope, setScope] = useState<'step' | 'run'>(step ? 'step' : 'run');
  const [host, setHost] = useState<string | undefined>(initialHost);
  const [query, setQuery] = useState('');
  const [match, setMatch] = useState(0);
  const [follow, setFollow] = useState(live);
  const [showTimes, setShowTimes] = useState(false);
  const [error, setError] = useState<string>();
  const [version, setVersion] = useState(0);
  const [loaded, setLoaded] = useState(false);
  const builder = useRef(new OutputLines());
  const list = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  const wantedStep = scope === 'step' ? step : undefined;

  const followRef = useRef(follow);
  useEffect(() => {
    followRef.current = follow;
  }, [follow]);

  // Reads the output (again from the start when the scope changes), then, while following, what came since.
  useEffect(() => {
    builder.current = new OutputLines();
    setLoaded(false);
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      const from = builder.current.lastSeq;
      const result = await useRunsStore.getState().readOutput({ runId, ...(wantedStep ? { step: wantedStep } : {}), ...(from ? { afterSeq: from } : {}) });
      if (cancelled) return;
      if (!result.ok) {
        setError(result.error.userMessage);
        return;
      }
      setError(undefined);
      builder.current.add(result.value);
      setLoaded(true);
      setVersion((value) => value + 1);
      timer = setTimeout(result.value.truncated ? () => void read() : wait, result.value.truncated ? 0 : FOLLOW_MS);
    };
    const wait = () => {
      if (cancelled) return;
      if (followRef.current) void read();
      else timer = setTimeout(wait, FOLLOW_MS);
    };
    void read();
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
  }, [runId, wantedStep]);

  // eslint-disable-next-line react-hooks/refs, react-hooks/exhaustive-deps -- the builder grows outside render; `version` counts its changes
  const lines = useMemo(() => linesFor(builder.current.all(), host), [version, host]);
  const matches = useMemo(() => findLines(lines, query), [lines, query]);

  useEffect(() => {
    const element = list.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    setHeight(element.clientHeight);
    return () => observer.disconnect();
  }, []);

  // Following: stay at the end as lines come.
  useEffect(() => {
    if (follow && list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [lines, follow]);

  const goTo = (index: number) => {
    if (matches.length === 0 || !list.current) return;
    const wrapped = ((index % matches.length) + matches.length) % matches.length;
    setMatch(wrapped);
    setFollow(false);
    list.current.scrollTop = Math.max(0, matches[wrapped] * LINE_HEIGHT - height / 2);
  };

  const first = Math.max(0, Math.floor(scrollTop / LINE_HEIGHT) - 20);
  const last = Math.min(lines.length, Math.ceil((scrollTop + height) / LINE_HEIGHT) + 20);
  const current = matches[match];
  const combined = host === undefined && hosts.length > 1;
  const width = Math.max(...hosts.map((name) => name.length), 4);

  return (
    <div className="full-output-backdrop">
      <section className="full-output" role="dialog" aria-label="Full output" aria-modal="true">
        <header className="toolbar">
          <h2>Full output</h2>
          <span className="muted small">from the journal · {lines.filter((line) => line.kind === 'out').length.toLocaleString()} lines</span>
          <label>
            Steps{' '}
            <select aria-label="Steps" value={scope} onChange={(event) => setScope(event.target.value as 'step' | 'run')}>
              {step && <option value="step">this step ({step})</option>}
              <option value="run">every step</option>
            </select>
          </label>
          <label>
            Host{' '}
            <select aria-label="Host" value={host ?? ''} onChange={(event) => setHost(event.target.value || undefined)}>
              <option value="">all hosts</option>
              {hosts.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          <input
            type="search"
            aria-label="Search in output"
            placeholder="Search"
            value={query}
            onChange={(event) => {
              setQuery(event.target.value);
              setMatch(0);
            }}
            onKeyDown={(event) => {
              if (event.key === 'Enter') goTo(event.shiftKey ? match - 1 : match + (current === undefined ? 0 : 1));
            }}
          />
          <span className="muted small" aria-live="polite" data-matches={matches.length}>
            {query.trim() ? (matches.length > 0 ? `${match + 1} of ${matches.length}` : 'not found') : ''}
          </span>
          <button type="button" disabled={matches.length === 0} onClick={() => goTo(match - 1)}>
            Previous
          </button>
          <button type="button" disabled={matches.length === 0} onClick={() => goTo(match + 1)}>
            Next
          </button>
          <label>
            <input type="checkbox" checked={showTimes} onChange={(event) => setShowTimes(event.target.checked)} /> times
          </label>
          {live && (
            <button type="button" aria-pressed={follow} onClick={() => setFollow(!follow)}>
              {follow ? 'Stop following' : 'Follow'}
            </button>
          )}
          <button type="button" onClick={onClose} autoFocus>
            Close
          </button>
        </header>
        {error && <p className="error-text">{error}</p>}
        <div
          className="full-output-lines"
          ref={list}
          tabIndex={0}
          aria-label="Output lines"
          onScroll={(event) => {
            const element = event.currentTarget;
            setScrollTop(element.scrollTop);
            if (follow && element.scrollTop + element.clientHeight < element.scrollHeight - LINE_HEIGHT * 2) setFollow(false);
          }}
        >
          {!loaded && !error && <p className="muted">Reading the journal…</p>}
          {loaded && lines.length === 0 && <p className="muted">No output recorded{wantedStep ? ' for this step' : ''}.</p>}
          <div style={{ height: lines.length * LINE_HEIGHT, position: 'relative' }}>
            {lines.slice(first, last).map((line, offset) => (
              <Line
                key={first + offset}
                line={line}
                index={first + offset}
                top={(first + offset) * LINE_HEIGHT}
                combined={combined}
                width={width}
                showTime={showTimes}
                current={first + offset === current}
              />
            ))}
          </div>
        </div>
      </section>
    </div>
  );
}

function Line({
  line,
  index,
  top,
  combined,
  width,
  showTime,
  current,
}: {
  line: OutputLine;
  index: number;
  top: number;
  combined: boolean;
  width: number;
  showTime: boolean;
  current: boolean;
}) {
  if (line.kind === 'step') {
    return (
      <div className="output-line step-start" style={{ top, height: LINE_HEIGHT }} data-line={index}>
        ── {line.text} · started {formatTime(line.ts)}
      </div>
    );
  }
  return (
    <div className={`output-line${line.stream === 'stderr' ? ' stderr' : ''}${current ? ' current' : ''}`} style={{ top, height: LINE_HEIGHT }} data-line={index}>
      {showTime && <span className="muted">{formatTime(line.ts).slice(11)} </span>}
      {combined && <span className="host-prefix">{line.host.padEnd(width)} │ </span>}
      {line.text}
    </div>
  );
}
