/** The plan preview's entries, as the console and `opsdeck plan` show them (Node-free: the renderer reads them). */

/** One step of a plan, resolved as far as it can be before the run starts. */
export interface PlanStep {
  key: string;
  title: string;
  kind: string;
  /** Nesting depth (steps inside foreach, phase and include). */
  depth: number;
  description?: string;
  hosts: string[];
  /** Every command, on which host, as it will run (values not known before the run shown as `⟨captures.x⟩`). */
  commands: Array<{ host: string; command: string }>;
  /** The target when it depends on something known only at run time. */
  targetNote?: string;
  destructive?: { confirm?: string; warning?: string };
  /** The checks in words (`exit code 0`, `stdout contains "ACTIVE"`). */
  checks: string[];
  /** Names of the values this step captures. */
  captures: string[];
  /** Manual instructions, a decision's question and choices. */
  prompt?: string;
  choices?: Array<{ id: string; label: string }>;
  /** Run with sudo: `commands` show the engine's sudo wrapper; a live command is wrapped alike. */
  sudo?: boolean;
  /** A rollback step: the step whose work it undoes (absent: it runs on any rollback). */
  undoes?: string;
}
