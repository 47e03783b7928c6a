import type { RunEvent } from '../core/audit/events';
import { RunLog, type Style } from '../core/run/terminal-text';

export { forTerminal, makeStyle, type Style } from '../core/run/terminal-text';

/**
 * Turns run events into the live log an operator reads in a terminal (see core/run/terminal-text:
 * the console and the transcripts show the same step headings, commands and results).
 */
export class RunPrinter {
  private readonly log: RunLog;

  constructor(
    private readonly write: (text: string) => void,
    style: Style,
  ) {
    this.log = new RunLog(style);
  }

  handle(event: RunEvent): void {
    const text = this.log.render(event);
    if (text) this.write(text);
  }
}
