import * as AsciinemaPlayer from 'asciinema-player';
import 'asciinema-player/dist/bundle/asciinema-player.css';
import { useEffect, useRef, useState } from 'react';
import type { CastText } from '../../electron/api/contract';
import { formatDuration } from '../logic/format';

type Player = AsciinemaPlayer.Player;

/** `90`, `1:30`, `01:02:03` → seconds; undefined when it is not a time. */
export function parseSeekTime(text: string): number | undefined {
  const parts = text.trim().split(':');
  if (parts.length === 0 || parts.length > 3 || parts.some((part) => !/^\d+(\.\d+)?$/.test(part))) return undefined;
  return parts.reduce((total, part) => total * 60 + Number(part), 0);
}

/**
 * An asciicast recording (a host terminal's, or a run's transcript) in asciinema's own player:
 * play, pause, the progress bar to seek, and a box to go to a moment by its time.
 */
export function CastPlayer({ cast }: { cast: CastText }) {
  const container = useRef<HTMLDivElement>(null);
  const player = useRef<Player | undefined>(undefined);
  const [at, setAt] = useState(0);
  const [duration, setDuration] = useState<number>();
  const [target, setTarget] = useState('');
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    if (!container.current) return;
    const created = AsciinemaPlayer.create({ data: cast.text }, container.current, {
      fit: 'width',
      controls: true,
      idleTimeLimit: 2,
      preload: true,
      terminalFontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace',
    });
    player.current = created;
    const read = () => {
      setAt(created.getCurrentTime() ?? 0);
      const total = created.getDuration();
      if (typeof total === 'number') setDuration(total);
    };
    created.addEventListener('pause', read);
    created.addEventListener('ended', read);
    const timer = setInterval(read, 500);
    return () => {
      clearInterval(timer);
      created.dispose();
      player.current = undefined;
    };
  }, [cast]);

  const seek = async (seconds: number) => {
    const current = player.current;
    if (!current) return;
    await current.seek(seconds);
    setAt(current.getCurrentTime() ?? seconds);
  };

  return (
    <div className="cast-player" data-cast={cast.name}>
      <div className="toolbar">
        <strong>{cast.name}</strong>
        <span className="muted small" aria-live="polite" data-position={at.toFixed(1)}>
          at {formatDuration(at * 1000)}
          {duration !== undefined && <> of {formatDuration(duration * 1000)}</>}
        </span>
        <button type="button" onClick={() => void player.current?.play()}>
          Play
        </button>
        <button type="button" onClick={() => void player.current?.pause()}>
          Pause
        </button>
        <form
          aria-label="Go to a moment"
          onSubmit={(event) => {
            event.preventDefault();
            const seconds = parseSeekTime(target);
            setProblem(seconds === undefined ? 'Type a time as seconds (90) or minutes:seconds (1:30).' : undefined);
            if (seconds !== undefined) void seek(seconds);
          }}
        >
          <input aria-label="Go to time" placeholder="1:30" size={8} value={target} onChange={(event) => setTarget(event.target.value)} />
          <button type="submit">Go</button>
        </form>
        {problem && <span className="error-text small">{problem}</span>}
        {cast.truncated && <span className="muted small">the recording is longer than the console plays: only its beginning is here</span>}
      </div>
      <div ref={container} />
    </div>
  );
}
