/**
 * The runbook as the runner sees it: parsed, validated and normalised (durations in milliseconds,
 * defaults filled in, every step with its kind and its source position). The YAML format that
 * operators write is documented in docs/runbook-format.md and checked by runbooks/schema.json; the
 * parser in ./parse.ts turns that into these types.
 *
 * Strings that may contain `{{ ... }}` templates are marked `Template`: they are rendered at run time
 * by ./template.ts against the run's scope, never before.
 */
import type { SourcePosition } from '../errors';

/** A string that may hold `{{ ... }}` references, rendered at run time. */
export type Template = string;

export type ParamType = 'string' | 'int' | 'bool' | 'enum' | 'host' | 'hosts';

/** A parameter value after parsing and type checking. `hosts` is a list of host names. */
export type ParamValue = string | number | boolean | string[];

export interface ParamSpec {
  name: string;
  type: ParamType;
  description?: string;
  required: boolean;
  default?: ParamValue;
  /** A secret is masked everywhere it could be written or shown. */
  secret: boolean;
  /** For `enum`: the allowed values. */
  values?: string[];
  /** For `int`: inclusive bounds. */
  min?: number;
  max?: number;
  /** For `string`: a regular expression the whole value must match. */
  pattern?: string;
  /** For `host`/`hosts`: the value must name hosts having this role in the environment. */
  role?: string;
  source: SourcePosition;
}

/** A text check on a command's output. Exactly one of the fields is set. */
export interface OutputMatch {
  contains?: string;
  notContains?: string;
  /** A JavaScript regular expression, matched against the whole output (flags: m). */
  matches?: string;
  notMatches?: string;
  /** The output (trimmed) must be empty / must not be empty. */
  empty?: boolean;
}

/**
 * A check on the JSON printed by a command (`openstack ... -f json`). `path` is a small path language:
 * `a.b`, `[0]`, `[*]` (every element), `"Disabled Reason"` keys as `['Disabled Reason']`. A path with
 * `[*]` selects several values; `equals`/`notEquals`/`oneOf` must then hold for every one of them.
 */
export interface JsonCheck {
  path: string;
  equals?: unknown;
  notEquals?: unknown;
  oneOf?: unknown[];
  exists?: boolean;
  /** How many values the path selects (e.g. `[*]` on a list: its length). */
  count?: number;
  minCount?: number;
  maxCount?: number;
}

export interface Expect {
  /** Accepted exit codes; default [0]. */
  exit: number[];
  stdout: OutputMatch[];
  stderr: OutputMatch[];
  json: JsonCheck[];
}

/** How to take a named value out of a command's output for later steps. */
export interface CaptureSpec {
  name: string;
  from: 'stdout' | 'stderr';
  /** Take the value at this JSON path (see {@link JsonCheck.path}); `[*]` yields a list. */
  json?: string;
  /** Take the first match of this regular expression (or every match with `all`). */
  regex?: string;
  /** Which group of `regex` to take; default 1 if the regex has a group, else the whole match. */
  group?: number;
  all?: boolean;
  /** Take the non-empty lines as a list. */
  lines?: boolean;
  /** With none of the above: the whole output, trimmed. */
}

/** A condition under which a step runs. */
export type Condition = { kind: 'truthy'; value: Template } | { kind: 'equals'; left: Template; right: Template; negate: boolean };

export interface Retry {
  /** Extra attempts after the first; 0 means no retry. */
  times: number;
  delayMs: number;
}

export interface Destructive {
  /** What the operator must type to confirm; default: the target host name(s). */
  confirm?: Template;
  /** Shown with the confirmation prompt. */
  warning?: string;
}

/**
 * Numbers a runbook takes from a template (usually a parameter), rendered when the step starts; the
 * numeric field beside it holds the default used until then.
 */
export interface DynamicValues {
  concurrency?: Template;
  timeout?: Template;
  deadline?: Template;
  interval?: Template;
}

/** Fields every step has, whatever its kind. */
export interface StepBase {
  id: string;
  title: string;
  /** Markdown: why the step is there and what to look at in its output. */
  description?: string;
  when?: Condition;
  /** Runs only after the operator typed the confirmation. */
  destructive?: Destructive;
  /** A failed step does not fail the run: it is recorded and the run goes on. */
  continueOnFailure: boolean;
  /** Concurrency or durations given as templates. */
  dynamic?: DynamicValues;
  source: SourcePosition;
}

/** Where a command runs: a host name, a role, `all`, or a template naming hosts (a `host`/`hosts` param). */
export interface Target {
  on: Template;
  /** How many hosts at once when `on` names several; 1 = one after another. */
  concurrency: number;
}

export interface RunStep extends StepBase, Target {
  kind: 'run';
  command: Template;
  /** Written to the command's stdin (rendered as text): a secret off the command line. Never journaled. */
  stdin?: Template;
  timeoutMs: number;
  expect: Expect;
  capture: CaptureSpec[];
  retry: Retry;
  sudo: boolean;
}

export interface WaitStep extends StepBase, Target {
  kind: 'wait';
  command: Template;
  /** The condition that ends the wait successfully. */
  until: Expect;
  intervalMs: number;
  /** The wait fails when the condition does not hold by then. */
  deadlineMs: number;
  /** Per poll. */
  timeoutMs: number;
  capture: CaptureSpec[];
  sudo: boolean;
}

export interface ManualStep extends StepBase {
  kind: 'manual';
  /** Markdown instructions the operator carries out, then marks done or failed. */
  instructions: Template;
}

export interface DecisionChoice {
  id: string;
  label: string;
  /** A step id later in the same list, `end` (finish the run successfully) or `abort`; default: go on. */
  next?: string;
}

export interface DecisionStep extends StepBase {
  kind: 'decision';
  question: Template;
  choices: DecisionChoice[];
  /** The name under which the chosen id is kept: `{{ captures.<name> }}`; default: the step id. */
  captureAs: string;
}

export interface ForeachStep extends StepBase {
  kind: 'foreach';
  /** A template yielding a list (usually `{{ captures.x }}`). */
  items: Template;
  /** The loop variable name, visible to the inner steps as `{{ <as> }}`. */
  as: string;
  concurrency: number;
  steps: Step[];
}

export interface PhaseStep extends StepBase {
  kind: 'phase';
  priority: number;
  /** How many of the phase's steps run at once; 1 = in order. */
  concurrency: number;
  steps: Step[];
  /** Checks that must all pass for the phase to count as done; the run stops otherwise. */
  check: Step[];
}

export interface IncludeStep extends StepBase {
  kind: 'include';
  /** The included runbook's id. */
  runbook: string;
  /** Parameters for the included runbook, rendered in the including run's scope. */
  with: Record<string, Template>;
}

/**
 * A query through mysql2 against a database of the environment. Its output is the result rows as
 * JSON, so `expect.json` and `capture.json` work on it as on `openstack ... -f json`.
 */
export interface SqlStep extends StepBase {
  kind: 'sql';
  /** A name under the environment's `databases:`. */
  database: string;
  /** One statement with `?` placeholders; exactly one of query and rowCounts is set. */
  query?: Template;
  /** Rendered as text and bound to the placeholders, never spliced into the SQL. */
  args: Template[];
  /** Schemas whose tables are counted exactly (COUNT(*)), giving [{schema, table, rows}]. */
  /** A list written in the runbook, or a template giving one when the step starts. */
  rowCounts?: string[] | Template;
  /** With rowCounts: an expected list of {schema, table, rows} the counts must match. */
  compareWith?: Template;
  timeoutMs: number;
  expect: Expect;
  capture: CaptureSpec[];
  retry: Retry;
}

export type Step = RunStep | WaitStep | ManualStep | DecisionStep | ForeachStep | PhaseStep | IncludeStep | SqlStep;

export type StepKind = Step['kind'];

/** A rollback entry: undoes one step (when that step completed) or always runs on rollback. */
export interface RollbackEntry {
  /** The id of the step this entry undoes; without it the entry always runs during a rollback. */
  undoes?: string;
  step: Step;
}

/** A runbook's own snapshot probe: a read-only command whose output lines are compared start to end. */
export interface RunbookProbe {
  id: string;
  title: string;
  /** A host name, a role or `all`; templates are not rendered (probes run outside the step walk). */
  on: string;
  /** The command; `{{ env.* }}` (profile words, vars) are rendered. */
  run: string;
}

export interface Runbook {
  id: string;
  title: string;
  version: string;
  description: string;
  tags: string[];
  params: ParamSpec[];
  /** Host roles the environment must have. */
  requires: string[];
  /**
   * Roles the runbook can do without, by role: `skip` (a step that needs only absent roles is
   * skipped, the reason recorded) or another role whose hosts take over (`db: controller`).
   */
  optionalRoles: Record<string, string>;
  /** Read-only probes this runbook adds to its runs' state snapshots (`probes:`). */
  probes?: RunbookProbe[];
  steps: Step[];
  rollback: RollbackEntry[];
  /** Steps that run at the end of every run, whatever happened (success, failure, abort). */
  finally: Step[];
  /** Where the runbook came from. */
  file: string;
  /** sha256 (hex) of the file's text, recorded in the audit trail. */
  sha256: string;
}
