import readline from 'node:readline/promises';
import type { StepAwaitingEvent } from '../core/audit/events';
import { userMessageOf } from '../core/errors';
import type { FailureAction, Runner } from '../core/run/runner';
import { forTerminal, type Style } from './printer';

/** Answers given on the command line, for runs without a terminal. */
export interface PresetAnswers {
  /** step key → the text to type at its destructive confirmation. */
  confirm: Map<string, string>;
  /** Type the expected text at every destructive step (recorded as such). */
  yesDestructive: boolean;
  /** step key → choice id. */
  decide: Map<string, string>;
  /** step key → done/failed and a note. */
  manual: Map<string, { outcome: 'done' | 'failed'; note?: string }>;
  /** step key → the reason to go on without a second operator's approval (break-glass, recorded loudly). */
  breakGlass?: Map<string, string>;
}

/**
 * Answers the runner's prompts: from the presets first, then (on a terminal) by asking the operator,
 * one prompt at a time. Without a terminal and without a preset answer, the run is aborted with a
 * message saying which flag would answer it — it never guesses, and never passes a destructive step.
 */
export class PromptAnswerer {
  private queue: Promise<void> = Promise.resolve();
  private readonly rl: readline.Interface | undefined;

  constructor(
    private readonly runner: Runner,
    private readonly presets: PresetAnswers,
    private readonly interactive: boolean,
    private readonly style: Style,
    private readonly write: (text: string) => void,
  ) {
    this.rl = interactive ? readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true }) : undefined;
  }

  handle(event: StepAwaitingEvent): void {
    this.queue = this.queue
      .then(() => this.answer(event))
      .catch((error) => {
        this.write(this.style.red(`Could not answer ${event.step}: ${userMessageOf(error)}\n`));
      });
  }

  close(): void {
    this.rl?.close();
  }

  private async answer(event: StepAwaitingEvent): Promise<void> {
    const s = this.style;
    switch (event.need) {
      case 'confirm': {
        const preset = this.presets.confirm.get(event.step) ?? (this.presets.yesDestructive ? event.expected : undefined);
        if (preset !== undefined) {
          this.write(s.yellow(`${forTerminal(event.prompt)}\n  confirmed from the command line\n`));
          if (!this.runner.confirm(event.step, preset)) this.refuse(event, `the text given with --confirm does not match "${forTerminal(event.expected ?? '')}"`);
          return;
        }
        if (!this.rl)
          return this.refuse(
            event,
            `it is destructive and this is not a terminal; pass --confirm ${event.step}=${JSON.stringify(event.expected)} (or --yes-destructive) to confirm it`,
          );
        this.write(`\n${s.yellow(s.bold('DESTRUCTIVE'))} ${forTerminal(event.prompt)}\n`);
        for (;;) {
          // The expected text may render a capture, which came from a host: shown, never obeyed.
          const typed = await this.rl.question(s.bold(`Type "${forTerminal(event.expected ?? '')}" to run it, or "abort": `));
          if (typed.trim() === 'abort') return this.runner.abort(`${event.step}: the operator declined the destructive step`);
          if (this.runner.confirm(event.step, typed)) return;
          this.write(s.red('That does not match; nothing was run.\n'));
        }
      }
      case 'decision': {
        const choices = event.choices ?? [];
        const preset = this.presets.decide.get(event.step);
        if (preset !== undefined) {
          this.write(`${forTerminal(event.prompt)}\n  answered from the command line: ${forTerminal(preset)}\n`);
          return this.runner.decide(event.step, preset);
        }
        if (!this.rl) return this.refuse(event, `it needs a decision and this is not a terminal; pass --decide ${event.step}=<${choices.map((choice) => choice.id).join('|')}>`);
        this.write(`\n${s.bold('DECISION')} ${forTerminal(event.prompt)}\n`);
        choices.forEach((choice, index) => this.write(`  ${index + 1}) ${choice.id}: ${forTerminal(choice.label)}\n`));
        for (;;) {
          const typed = (await this.rl.question(s.bold('Your choice (number or id): '))).trim();
          const chosen = choices[Number(typed) - 1] ?? choices.find((choice) => choice.id === typed);
          if (chosen) return this.runner.decide(event.step, chosen.id);
          this.write(s.red(`"${typed}" is not one of the choices.\n`));
        }
      }
      case 'manual': {
        const preset = this.presets.manual.get(event.step);
        if (preset) {
          this.write(`${forTerminal(event.prompt)}\n  marked ${preset.outcome} from the command line\n`);
          return this.runner.completeManual(event.step, preset.outcome, preset.note);
        }
        if (!this.rl) return this.refuse(event, `it is a manual step and this is not a terminal; pass --manual ${event.step}=done[:note] once it is done`);
        this.write(`\n${s.bold('MANUAL STEP')} ${forTerminal(event.step)}\n${forTerminal(event.prompt)}\n`);
        for (;;) {
          const typed = (await this.rl.question(s.bold('Type "done" or "failed" (optionally followed by a note): '))).trim();
          const match = /^(done|failed)\b\s*(.*)$/.exec(typed);
          if (match) return this.runner.completeManual(event.step, match[1] as 'done' | 'failed', match[2] || undefined);
          this.write(s.red('Please type done or failed.\n'));
        }
      }
      case 'approval': {
        this.write(`\n${s.yellow(s.bold('WAITING FOR A SECOND OPERATOR'))} ${forTerminal(event.prompt)}\n`);
        const reason = this.presets.breakGlass?.get(event.step);
        if (reason !== undefined) {
          this.write(s.red(s.bold(`BREAK-GLASS from the command line: going on without approval because: ${forTerminal(reason)}\n`)));
          return this.runner.overrideApproval(event.step, reason);
        }
        // Nothing to type: the answer comes from the second operator; Ctrl-C aborts the run.
        this.write(s.dim(`  (to go on without them, run again with --break-glass ${event.step}="<reason>"; Ctrl-C aborts)\n`));
        return;
      }
      case 'failure': {
        if (!this.rl) return this.refuse(event, 'it failed and this is not a terminal');
        this.write(`\n${s.red(s.bold('STEP FAILED'))} ${forTerminal(event.prompt)}\n`);
        for (;;) {
          const onlyFailed = event.choices?.find((choice) => choice.id === 'retry-failed');
          const question = `[r]etry, ${onlyFailed ? `[f] ${forTerminal(onlyFailed.label.toLowerCase())}, ` : ''}[s]kip with a reason, [a]bort, abort and roll [b]ack: `;
          const typed = (await this.rl.question(s.bold(question))).trim();
          const actions: Record<string, FailureAction> = { r: 'retry', s: 'skip', a: 'abort', b: 'rollback', ...(onlyFailed ? { f: 'retry-failed' as const } : {}) };
          const action = actions[typed.slice(0, 1).toLowerCase()];
          if (!action) continue;
          if (action === 'skip') {
            const reason = (await this.rl.question('Reason for skipping (recorded in the audit trail): ')).trim();
            if (!reason) continue;
            return this.runner.resolveFailure(event.step, 'skip', reason);
          }
          return this.runner.resolveFailure(event.step, action, action === 'retry' || action === 'retry-failed' ? undefined : `stopped by the operator at ${event.step}`);
        }
      }
    }
  }

  private refuse(event: StepAwaitingEvent, why: string): void {
    this.write(this.style.red(`Step ${forTerminal(event.step)} cannot go on: ${forTerminal(why)}.\n`));
    this.runner.abort(`step ${event.step} was not answered: ${why}`);
  }
}
