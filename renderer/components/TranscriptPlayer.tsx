import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'react';
import type { Transcript } from '../../electron/api/contract';

/** Longest pause kept when replaying (an operator who stepped away for ten minutes). */
const MAX_GAP_SECONDS = 0.5;

/** Replays a recorded transcript in a terminal of its own: at once, or at its pace (pauses shortened). */
export function TranscriptPlayer({ transcript, name }: { transcript: Transcript; name: string }) {
  const container = useRef<HTMLDivElement>(null);
  const terminal = useRef<Terminal | undefined>(undefined);
  const [playing, setPlaying] = useState(false);

  useEffect(() => {
    if (!container.current) return;
    const term = new Terminal({ cols: Math.min(transcript.width, 200), rows: 20, disableStdin: true, scrollback: 20_000, fontSize: 12, theme: { background: '#0f1419' } });
    term.open(container.current);
    terminal.current = term;
    for (const [, type, data] of transcript.events) if (type === 'o') term.write(data);
    if (transcript.truncated) term.write('\r\n\x1b[33m[transcript cut here for the view; the file holds the rest]\x1b[0m\r\n');
    return () => {
      term.dispose();
      terminal.current = undefined;
    };
  }, [transcript]);

  useEffect(() => {
    if (!playing || !terminal.current) return;
    const term = terminal.current;
    term.reset();
    let cancelled = false;
    let index = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outputs = transcript.events.filter(([, type]) => type === 'o');
    const step = () => {
      if (cancelled) return;
      if (index >= outputs.length) return setPlaying(false);
      const [time, , data] = outputs[index++];
      term.write(data);
      const next = outputs[index];
      timer = setTimeout(step, next ? Math.min(next[0] - time, MAX_GAP_SECONDS) * 1000 : 0);
    };
    step();
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
  }, [playing, transcript]);

  return (
    <div className="transcript" data-transcript={name}>
      <div className="toolbar">
        <strong>{transcript.title ?? name}</strong>
        <button type="button" onClick={() => setPlaying(!playing)}>
          {playing ? 'Stop' : 'Replay at recorded pace'}
        </button>
      </div>
      <div className="terminal-view replay" ref={container} />
    </div>
  );
}
