import { DrillClock, RUN_OBJECTIVE, type DrillClockEntry } from '../core/audit/drill';
import type { RunEvent, RunStartedEvent } from '../core/audit/events';
import { formatMs } from '../core/run/runner';
import type { Style } from './printer';

/**
 * The stopwatch of a drill on the terminal: after each step, the time elapsed against every
 * objective; the moment an objective passes with its step not done, a warning that cannot be missed
 * (a timer checks every second, so a long step does not hide it).
 */
export class DrillPrinter {
  private readonly clock: DrillClock;
  private readonly timer: NodeJS.Timeout;

  constructor(
    objectives: Record<string, number>,
    startedAtMs: number,
    plan: RunStartedEvent['plan'],
    private readonly write: (text: string) => void,
    private readonly style: Style,
    private readonly now: () => number = Date.now,
  ) {
    this.clock = new DrillClock(objectives, startedAtMs, plan);
    this.timer = setInterval(() => this.warn(), 1000);
    this.timer.unref();
  }

  handle(event: RunEvent): void {
    this.clock.observe(event, this.now());
    if (event.type === 'step.finished' || event.type === 'run.finished') {
      this.warn();
      this.write(this.line(event.type === 'run.finished'));
    }
    if (event.type === 'run.finished') this.dispose();
  }

  dispose(): void {
    clearInterval(this.timer);
  }

  private warn(): void {
    for (const entry of this.clock.newlyExceeded(this.now())) {
      const what = entry.key === RUN_OBJECTIVE ? 'the whole run (RTO)' : `${entry.key} (${entry.title})`;
      const words = entry.state === 'finished-late' ? `finished at ${formatMs(entry.elapsedMs)}` : `passed at ${formatMs(entry.elapsedMs)} and it is not done`;
      this.write(this.style.red(this.style.bold(`!! DRILL OBJECTIVE EXCEEDED: ${what}: objective ${formatMs(entry.objectiveMs)}, ${words}\n`)));
    }
  }

  private line(final: boolean): string {
    const reading = this.clock.reading(this.now());
    const parts = reading.entries.map((entry) => this.describe(entry));
    const label = final ? 'drill result' : 'drill clock';
    return `    ${this.style.cyan(`⏱ ${label} ${formatMs(reading.elapsedMs)}`)} | ${parts.join(' | ')}\n`;
  }

  private describe(entry: DrillClockEntry): string {
    const name = `${entry.key} ${formatMs(entry.objectiveMs)}`;
    switch (entry.state) {
      case 'running':
        return `${name}: ${formatMs(entry.objectiveMs - entry.elapsedMs)} left`;
      case 'met':
        return this.style.green(`${name}: met at ${formatMs(entry.elapsedMs)}`);
      case 'finished-late':
        return this.style.red(`${name}: MISSED, done at ${formatMs(entry.elapsedMs)}`);
      case 'exceeded':
        return this.style.red(`${name}: EXCEEDED by ${formatMs(entry.elapsedMs - entry.objectiveMs)}`);
      case 'not-reached':
        return this.style.yellow(`${name}: not reached`);
    }
  }
}
