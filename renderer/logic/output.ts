/**
 * A run's output from its journal (`run:output`) turned into lines for the full-output view: per
 * host, or all hosts together with each line prefixed by its host, each step introduced by a line
 * with its start time. Fed incrementally while following a live run.
 */
import type { RunOutput } from '../../electron/api/contract';

export interface OutputLine {
  /** `step`: the line that introduces a step (its title and start time); `out`: output. */
  kind: 'step' | 'out';
  step: string;
  host: string;
  stream: 'stdout' | 'stderr';
  text: string;
  /** When the journal got it (ISO 8601). */
  ts: string;
}

// CSI / OSC sequences and other escapes: the view shows text, the terminal and the player show colours.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

/** Text without terminal escapes or carriage returns. */
export function plainText(text: string): string {
  return text
    .replace(ESCAPES, '')
    .replace(/\r(?!\n)/g, '')
    .replace(/\r\n/g, '\n');
}

export class OutputLines {
  readonly lines: OutputLine[] = [];
  private readonly partial = new Map<string, OutputLine>();
  lastSeq = 0;

  /** Adds what a `run:output` reply brought (in journal order). */
  add(output: Pick<RunOutput, 'starts' | 'chunks' | 'lastSeq'>): void {
    const items = [...output.starts.map((start) => ({ seq: start.seq, start })), ...output.chunks.map((chunk) => ({ seq: chunk.seq, chunk }))].sort((a, b) => a.seq - b.seq);
    for (const item of items) {
      if ('start' in item && item.start) {
        const { start } = item;
        this.lines.push({
          kind: 'step',
          step: start.step,
          host: '',
          stream: 'stdout',
          ts: start.ts,
          text: `${start.title} (${start.step})${start.hosts.length > 0 ? ` on ${start.hosts.join(', ')}` : ''}`,
        });
        continue;
      }
      const chunk = 'chunk' in item ? item.chunk : undefined;
      if (!chunk) continue;
      const key = `${chunk.step}\u0000${chunk.host}\u0000${chunk.stream}`;
      const pieces = plainText(chunk.data).split('\n');
      const first = this.partial.get(key);
      pieces[0] = (first?.text ?? '') + pieces[0];
      this.partial.delete(key);
      const last = pieces.pop()!;
      for (const text of pieces) this.lines.push({ kind: 'out', step: chunk.step, host: chunk.host, stream: chunk.stream, ts: first?.ts ?? chunk.ts, text });
      if (last) this.partial.set(key, { kind: 'out', step: chunk.step, host: chunk.host, stream: chunk.stream, ts: chunk.ts, text: last });
    }
    this.lastSeq = Math.max(this.lastSeq, output.lastSeq);
  }

  /** Every line so far, the unfinished last line of each host and stream included. */
  all(): OutputLine[] {
    return this.partial.size === 0 ? this.lines : [...this.lines, ...this.partial.values()];
  }
}

/** The lines of one host (and the step lines), or of every host (`undefined`). */
export function linesFor(lines: OutputLine[], host: string | undefined): OutputLine[] {
  return host === undefined ? lines : lines.filter((line) => line.kind === 'step' || line.host === host);
}

/** The index of each line containing `query` (case-insensitive). */
export function findLines(lines: OutputLine[], query: string): number[] {
  const wanted = query.trim().toLowerCase();
  if (!wanted) return [];
  const found: number[] = [];
  lines.forEach((line, index) => {
    if (line.text.toLowerCase().includes(wanted)) found.push(index);
  });
  return found;
}

/** The last `count` lines a host wrote to stderr in a step. */
export function stderrTail(lines: OutputLine[], step: string, host: string, count: number): string[] {
  return lines
    .filter((line) => line.kind === 'out' && line.step === step && line.host === host && line.stream === 'stderr')
    .slice(-count)
    .map((line) => line.text);
}
