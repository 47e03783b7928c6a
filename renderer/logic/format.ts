/** `1.2 s`, `3 min 04 s`, `1 h 02 min`: durations as an operator reads them at a glance. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.floor(seconds);
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A local date and time to the second. */
export function formatTime(iso: string | number): string {
  const date = new Date(iso);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A signed difference: `+1.2 s`, `−3 min 04 s`, `±0 ms`. */
export function formatDelta(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (Math.round(ms) === 0) return '±0 ms';
  return `${ms > 0 ? '+' : '−'}${formatDuration(Math.abs(ms))}`;
}

/** A local date and time to the second, with the time zone (`2026-12-03 13:05:09 UTC+01:00`). */
export function formatTimeWithZone(iso: string | number): string {
  const date = new Date(iso);
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '−';
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
  const minutes = String(Math.abs(offset) % 60).padStart(2, '0');
  return `${formatTime(iso)} UTC${sign}${hours}:${minutes}`;
}
