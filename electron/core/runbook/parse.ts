/**
 * Runbook YAML → the normalised {@link Runbook} of ./model.ts.
 *
 * Every problem is collected before giving up — schema errors, bad values, unknown fields (with a
 * did-you-mean), then the checks of ./validate.ts — each with `file:line:column` and a sentence a
 * person understands. A runbook with any error is not returned.
 *
 * Paths in messages count list items from 0, like `steps[0]` for the first step.
 */
import { createHash } from 'node:crypto';
import type * as z from 'zod';
import type { Problem } from '../errors';
import { parseJsonPath } from './jsonpath';
import type {
  CaptureSpec,
  Condition,
  DecisionStep,
  Destructive,
  DynamicValues,
  Expect,
  ForeachStep,
  IncludeStep,
  JsonCheck,
  ManualStep,
  OutputMatch,
  ParamSpec,
  ParamValue,
  PhaseStep,
  Retry,
  RollbackEntry,
  Runbook,
  RunStep,
  SqlStep,
  Step,
  StepBase,
  WaitStep,
} from './model';
import { ALLOWED_KEYS_MARK, ALL_STEP_KEYS, describeValue, paramSchema, parserSchemas, STEP_KIND_KEYS, type StepKindKey } from './schema';
import { validateRunbook } from './validate';
import { didYouMean, formatPath, loadYamlFile, parseYamlSource, positionAt, ProblemCollector, where, type YamlPath } from './yaml-source';

/** `concurrency` of a step written with `parallel: true`: every host (or item) at once. */
export const ALL_AT_ONCE = Number.MAX_SAFE_INTEGER;

/** The defaults the format promises (docs/runbook-format.md). */
export const STEP_DEFAULTS = {
  runTimeoutMs: 5 * 60_000,
  waitIntervalMs: 10_000,
  waitDeadlineMs: 30 * 60_000,
  waitPollTimeoutMs: 60_000,
  retryDelayMs: 10_000,
  foreachVariable: 'item',
} as const;

export interface ParseResult {
  /** Present only when there is no error (warnings may remain). */
  runbook?: Runbook;
  problems: Problem[];
}

/** Parses, validates and normalises a runbook. */
export function parseRunbook(text: string, file: string): ParseResult {
  const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
  const { source, problems: yamlProblems } = parseYamlSource(text, file);
  if (!source) return { problems: sortProblems(yamlProblems) };
  const collector = new ProblemCollector(source);
  collector.problems.push(...yamlProblems);

  const raw = source.value;
  if (raw === null || raw === undefined) {
    collector.at({ file, line: 1, column: 1 }, 'The file is empty; a runbook needs at least id, title and steps.');
    return { problems: sortProblems(collector.problems) };
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    collector.error([], `A runbook is a YAML mapping with id, title and steps, but this file holds ${describeValue(raw)}.`);
    return { problems: sortProblems(collector.problems) };
  }
  const document = raw as Record<string, unknown>;
  const parser = new RunbookParser(collector, document);
  const runbook = parser.parse(file, sha256);
  validateRunbook(collector, { raw: document, stepsByPath: parser.stepsByPath, runbook });
  const problems = sortProblems(collector.problems);
  return collector.errorCount === 0 ? { runbook, problems } : { problems };
}

/** Reads and parses a runbook file. */
export async function loadRunbookFile(path: string): Promise<ParseResult> {
  const loaded = await loadYamlFile(path);
  if (loaded.text === undefined) return { problems: loaded.problems };
  return parseRunbook(loaded.text, path);
}

/** A concurrency or duration written as a template, rendered when the step starts. */
function isDynamic(value: unknown): value is string {
  return typeof value === 'string' && value.includes('{{');
}

/** Milliseconds of a duration (`30s`, `5m`, `1h30m`, `500ms`, or a number of seconds); undefined if malformed. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const match = /^(?=\d)(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
  if (!match) return undefined;
  const [, hours, minutes, seconds, millis] = match;
  return (Number(hours ?? 0) * 3600 + Number(minutes ?? 0) * 60 + Number(seconds ?? 0)) * 1000 + Number(millis ?? 0);
}

/** Problems in file order, each once. */
export function sortProblems(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems
    .filter((problem) => {
      const key = `${problem.file}:${problem.line}:${problem.column}:${problem.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- zod output, already checked

class RunbookParser {
  readonly stepsByPath = new Map<string, Step>();
  private defaults: { on?: string; timeoutMs?: number; sudo?: boolean } = {};

  constructor(
    private readonly collector: ProblemCollector,
    private readonly document: Record<string, unknown>,
  ) {}

  parse(file: string, sha256: string): Runbook {
    const result = parserSchemas.runbook.safeParse(this.document);
    if (!result.success) reportIssues(this.collector, result.error.issues, [], this.document);
    const header = (result.success ? result.data : this.document) as Data;
    if (result.success && header.defaults) {
      if (isDynamic(header.defaults.timeout)) {
        this.collector.error(['defaults', 'timeout'], 'defaults.timeout: write a duration here (like 5m); a template is allowed only on a step.');
      }
      this.defaults = {
        on: header.defaults.on,
        timeoutMs: header.defaults.timeout === undefined ? undefined : parseDuration(header.defaults.timeout),
        sudo: header.defaults.sudo,
      };
    } else if (isRecord(this.document.defaults)) {
      const defaults = this.document.defaults;
      this.defaults.on = typeof defaults.on === 'string' ? defaults.on : undefined;
    }
    const params = this.params(this.document.params);
    const steps = this.stepList(this.document.steps, ['steps']);
    const rollback: RollbackEntry[] = [];
    if (Array.isArray(this.document.rollback)) {
      this.document.rollback.forEach((item, index) => {
        const step = this.step(item, ['rollback', index], true);
        if (step) rollback.push({ undoes: typeof (item as Data).undoes === 'string' ? (item as Data).undoes : undefined, step });
      });
    }
    const finallySteps = this.stepList(this.document.finally, ['finally']);
    return {
      id: typeof header.id === 'string' ? header.id : '',
      title: typeof header.title === 'string' ? header.title : '',
      version: header.version === undefined ? '1' : String(header.version),
      description: typeof header.description === 'string' ? header.description : '',
      tags: Array.isArray(header.tags) ? header.tags.map(String) : [],
      params,
      requires: Array.isArray(header.requires) ? header.requires.map(String) : [],
      optionalRoles: isPlainRecord(header.optional_roles) ? Object.fromEntries(Object.entries(header.optional_roles).map(([role, fallback]) => [role, String(fallback)])) : {},
      ...(Array.isArray(header.probes) && header.probes.length
        ? {
            probes: (header.probes as Array<Record<string, unknown>>).map((probe) => ({
              id: String(probe.id),
              title: typeof probe.title === 'string' ? probe.title : String(probe.id),
              on: String(probe.on),
              run: String(probe.run),
            })),
          }
        : {}),
      steps,
      rollback,
      finally: finallySteps,
      file,
      sha256,
    };
  }

  private stepList(value: unknown, path: YamlPath): Step[] {
    if (!Array.isArray(value)) return [];
    const steps: Step[] = [];
    value.forEach((item, index) => {
      const step = this.step(item, [...path, index], false);
      if (step) steps.push(step);
    });
    return steps;
  }

  private step(value: unknown, path: YamlPath, rollback: boolean): Step | undefined {
    const { collector } = this;
    if (!isRecord(value)) {
      collector.error(path, `${where(path)}: expected a step (a mapping with an id and one of ${STEP_KIND_KEYS.join(', ')}), found ${describeValue(value)}.`);
      return undefined;
    }
    const kinds = STEP_KIND_KEYS.filter((key) => Object.hasOwn(value, key));
    const allowed = rollback ? [...ALL_STEP_KEYS, 'undoes'] : ALL_STEP_KEYS;
    if (kinds.length === 0) {
      collector.error(path, `${where(path)}: this step has no kind; give it exactly one of ${STEP_KIND_KEYS.join(', ')}.`);
      for (const key of Object.keys(value)) {
        if (!allowed.includes(key)) collector.error([...path, key], unknownField(path, key, allowed), 'key');
      }
      return undefined;
    }
    if (kinds.length > 1) {
      collector.error([...path, kinds[1]], `${where(path)}: a step has exactly one kind, but this one has ${kinds.join(' and ')}; split it into ${kinds.length} steps.`, 'key');
      return undefined;
    }
    const kind = kinds[0];
    const schema = rollback ? parserSchemas.rollback[kind] : parserSchemas.steps[kind];
    const result = schema.safeParse(value);
    // Inner steps are checked even when their container is not, so every problem shows at once.
    const inner = kind === 'foreach' || kind === 'phase' ? this.stepList(value.steps, [...path, 'steps']) : [];
    const check = kind === 'phase' ? this.stepList(value.check, [...path, 'check']) : [];
    if (!result.success) {
      reportIssues(collector, result.error.issues, path, value, rollback ? ['undoes'] : []);
      return undefined;
    }
    const before = collector.errorCount;
    const step = this.normalise(kind, result.data as Data, path, inner, check);
    if (collector.errorCount > before) return undefined;
    this.stepsByPath.set(formatPath(path), step);
    return step;
  }

  private normalise(kind: StepKindKey, data: Data, path: YamlPath, inner: Step[], check: Step[]): Step {
    const base: StepBase = {
      id: data.id,
      title: data.title ?? data.id,
      description: data.description,
      when: data.when === undefined ? undefined : this.condition(data.when, [...path, 'when']),
      destructive: this.destructive(data.destructive),
      continueOnFailure: data.continue_on_failure ?? false,
      source: positionAt(this.collector.source, path),
    };
    const dynamic = this.dynamic(kind, data);
    if (dynamic) base.dynamic = dynamic;
    if (base.description === undefined) delete base.description;
    if (base.when === undefined) delete base.when;
    if (base.destructive === undefined) delete base.destructive;
    switch (kind) {
      case 'run': {
        const step: RunStep = {
          ...base,
          kind: 'run',
          ...this.target(data, path),
          command: data.run,
          ...(data.stdin !== undefined ? { stdin: data.stdin } : {}),
          timeoutMs: this.duration(data.timeout) ?? this.defaults.timeoutMs ?? STEP_DEFAULTS.runTimeoutMs,
          expect: this.expect(data.expect, [...path, 'expect']),
          capture: this.captures(data.capture, [...path, 'capture']),
          retry: this.retry(data.retry, [...path, 'retry']),
          sudo: data.sudo ?? this.defaults.sudo ?? false,
        };
        return step;
      }
      case 'wait': {
        const wait = data.wait as Data;
        const step: WaitStep = {
          ...base,
          kind: 'wait',
          ...this.target(data, path),
          command: wait.run,
          until: this.expect(wait.until, [...path, 'wait', 'until']),
          intervalMs: this.duration(wait.interval) ?? STEP_DEFAULTS.waitIntervalMs,
          deadlineMs: this.duration(wait.deadline) ?? STEP_DEFAULTS.waitDeadlineMs,
          timeoutMs: this.duration(wait.timeout) ?? STEP_DEFAULTS.waitPollTimeoutMs,
          capture: this.captures(data.capture, [...path, 'capture']),
          sudo: data.sudo ?? this.defaults.sudo ?? false,
        };
        if (step.intervalMs > step.deadlineMs) {
          this.collector.error(
            [...path, 'wait', 'interval'],
            `${formatPath([...path, 'wait', 'interval'])}: the interval is longer than the deadline, so the command would be polled only once.`,
          );
        }
        return step;
      }
      case 'manual': {
        const step: ManualStep = { ...base, kind: 'manual', instructions: data.manual };
        return step;
      }
      case 'decision': {
        const decision = data.decision as Data;
        const seen = new Set<string>();
        (decision.choices as Data[]).forEach((choice, index) => {
          if (seen.has(choice.id)) {
            this.collector.error(
              [...path, 'decision', 'choices', index, 'id'],
              `${formatPath([...path, 'decision', 'choices', index, 'id'])}: the choice id "${choice.id}" is used twice in this decision.`,
            );
          }
          seen.add(choice.id);
        });
        const step: DecisionStep = {
          ...base,
          kind: 'decision',
          question: decision.question,
          choices: (decision.choices as Data[]).map((choice) => ({ id: choice.id, label: choice.label, ...(choice.next === undefined ? {} : { next: choice.next }) })),
          captureAs: decision.capture_as ?? data.id,
        };
        return step;
      }
      case 'foreach': {
        const foreach = data.foreach as Data;
        const step: ForeachStep = {
          ...base,
          kind: 'foreach',
          items: foreach.items,
          as: foreach.as ?? STEP_DEFAULTS.foreachVariable,
          concurrency: isDynamic(foreach.concurrency) ? 1 : (foreach.concurrency ?? 1),
          steps: inner,
        };
        return step;
      }
      case 'phase': {
        const phase = data.phase as Data;
        const step: PhaseStep = {
          ...base,
          kind: 'phase',
          priority: phase.priority,
          concurrency: isDynamic(phase.concurrency) ? 1 : (phase.concurrency ?? 1),
          steps: inner,
          check,
        };
        return step;
      }
      case 'sql': {
        const sql = data.sql as Data;
        const step: SqlStep = {
          ...base,
          kind: 'sql',
          database: sql.database,
          args: ((sql.args ?? []) as unknown[]).map(String),
          timeoutMs: this.duration(sql.timeout) ?? this.defaults.timeoutMs ?? STEP_DEFAULTS.runTimeoutMs,
          expect: this.expect(data.expect, [...path, 'expect']),
          capture: this.captures(data.capture, [...path, 'capture']),
          retry: this.retry(data.retry, [...path, 'retry']),
        };
        if (sql.query !== undefined) step.query = sql.query;
        if (sql.row_counts !== undefined) step.rowCounts = sql.row_counts;
        if (sql.compare_with !== undefined) step.compareWith = sql.compare_with;
        return step;
      }
      case 'include': {
        const step: IncludeStep = {
          ...base,
          kind: 'include',
          runbook: data.include,
          with: Object.fromEntries(Object.entries((data.with ?? {}) as Data).map(([key, value]) => [key, String(value)])),
        };
        return step;
      }
      default:
        return unhandledKind(kind);
    }
  }

  private target(data: Data, path: YamlPath): { on: string; concurrency: number } {
    const on: string | undefined = data.on ?? this.defaults.on;
    if (on === undefined) {
      this.collector.error(
        path,
        `${where(path)}: this ${data.run !== undefined ? 'run' : 'wait'} step has no on:, and the runbook has no defaults.on; say where it runs (a host, a role, all, or {{ params.host }}).`,
      );
    }
    if (data.parallel === true && data.concurrency !== undefined) {
      this.collector.error([...path, 'parallel'], `${where(path)}: write either parallel: true (all hosts at once) or concurrency: N, not both.`, 'key');
    }
    return { on: on ?? '', concurrency: data.parallel === true ? ALL_AT_ONCE : isDynamic(data.concurrency) ? 1 : (data.concurrency ?? 1) };
  }

  private duration(value: unknown): number | undefined {
    if (isDynamic(value)) return undefined;
    return typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
  }

  /** The concurrency and durations written as templates, by where the kind keeps them. */
  private dynamic(kind: StepKindKey, data: Data): DynamicValues | undefined {
    const inner = (kind === 'wait' || kind === 'foreach' || kind === 'phase' || kind === 'sql' ? data[kind] : undefined) as Data | undefined;
    const found: DynamicValues = {};
    const concurrency = kind === 'foreach' || kind === 'phase' ? inner?.concurrency : data.concurrency;
    const timeout = kind === 'wait' || kind === 'sql' ? inner?.timeout : data.timeout;
    if (isDynamic(concurrency)) found.concurrency = concurrency;
    if (isDynamic(timeout)) found.timeout = timeout;
    if (kind === 'wait' && isDynamic(inner?.deadline)) found.deadline = inner?.deadline;
    if (kind === 'wait' && isDynamic(inner?.interval)) found.interval = inner?.interval;
    return Object.keys(found).length > 0 ? found : undefined;
  }

  private condition(value: string | Data, path: YamlPath): Condition | undefined {
    if (typeof value === 'string') return { kind: 'truthy', value };
    const hasEquals = value.equals !== undefined;
    const hasNotEquals = value.not_equals !== undefined;
    if (hasEquals && hasNotEquals) {
      this.collector.error(path, `${formatPath(path)}: write either equals or not_equals, not both.`);
      return undefined;
    }
    if (!hasEquals && !hasNotEquals) return { kind: 'truthy', value: value.value };
    return { kind: 'equals', left: value.value, right: String(hasEquals ? value.equals : value.not_equals), negate: hasNotEquals };
  }

  private destructive(value: boolean | Data | undefined): Destructive | undefined {
    if (value === undefined || value === false) return undefined;
    if (value === true) return {};
    const destructive: Destructive = {};
    if (value.confirm !== undefined) destructive.confirm = value.confirm;
    if (value.warning !== undefined) destructive.warning = value.warning;
    return destructive;
  }

  private retry(value: number | Data | undefined, path: YamlPath): Retry {
    if (value === undefined) return { times: 0, delayMs: STEP_DEFAULTS.retryDelayMs };
    if (typeof value === 'number') return { times: value, delayMs: STEP_DEFAULTS.retryDelayMs };
    if (isDynamic(value.delay)) this.collector.error([...path, 'delay'], `${formatPath([...path, 'delay'])}: write a duration here (like 10s); a template is not allowed for it.`);
    return { times: value.times, delayMs: this.duration(value.delay) ?? STEP_DEFAULTS.retryDelayMs };
  }

  private expect(value: Data | undefined, path: YamlPath): Expect {
    const expect: Expect = { exit: [0], stdout: [], stderr: [], json: [] };
    if (!value) return expect;
    if (value.exit !== undefined) expect.exit = Array.isArray(value.exit) ? value.exit : [value.exit];
    for (const stream of ['stdout', 'stderr'] as const) {
      ((value[stream] ?? []) as Data[]).forEach((match, index) => {
        const matchPath = [...path, stream, index];
        const keys = Object.keys(match).filter((key) => match[key] !== undefined);
        if (keys.length !== 1) {
          this.collector.error(
            matchPath,
            `${formatPath(matchPath)}: write exactly one of contains, not_contains, matches, not_matches, empty${keys.length ? ` (found ${keys.join(', ')})` : ''}; use one list item per check.`,
          );
          return;
        }
        for (const key of ['matches', 'not_matches']) {
          if (typeof match[key] === 'string') this.regex(match[key], [...matchPath, key]);
        }
        const normalised: OutputMatch = {};
        if (match.contains !== undefined) normalised.contains = match.contains;
        if (match.not_contains !== undefined) normalised.notContains = match.not_contains;
        if (match.matches !== undefined) normalised.matches = match.matches;
        if (match.not_matches !== undefined) normalised.notMatches = match.not_matches;
        if (match.empty !== undefined) normalised.empty = match.empty;
        expect[stream].push(normalised);
      });
    }
    ((value.json ?? []) as Data[]).forEach((check, index) => {
      const checkPath = [...path, 'json', index];
      this.jsonPath(check.path, [...checkPath, 'path']);
      const assertions = ['equals', 'not_equals', 'one_of', 'exists', 'count', 'min_count', 'max_count'].filter((key) => Object.hasOwn(check, key));
      if (assertions.length === 0) {
        this.collector.error(checkPath, `${formatPath(checkPath)}: this JSON check checks nothing; add equals, not_equals, one_of, exists, count, min_count or max_count.`);
      }
      if (check.min_count !== undefined && check.max_count !== undefined && check.min_count > check.max_count) {
        this.collector.error(
          [...checkPath, 'min_count'],
          `${formatPath(checkPath)}: min_count ${check.min_count} is more than max_count ${check.max_count}, so the check can never pass.`,
        );
      }
      const normalised: JsonCheck = { path: check.path };
      if (Object.hasOwn(check, 'equals')) normalised.equals = check.equals;
      if (Object.hasOwn(check, 'not_equals')) normalised.notEquals = check.not_equals;
      if (check.one_of !== undefined) normalised.oneOf = check.one_of;
      if (check.exists !== undefined) normalised.exists = check.exists;
      if (check.count !== undefined) normalised.count = check.count;
      if (check.min_count !== undefined) normalised.minCount = check.min_count;
      if (check.max_count !== undefined) normalised.maxCount = check.max_count;
      expect.json.push(normalised);
    });
    return expect;
  }

  private captures(value: Record<string, string | Data> | undefined, path: YamlPath): CaptureSpec[] {
    if (!value) return [];
    return Object.entries(value).map(([name, spec]) => {
      const specPath = [...path, name];
      if (typeof spec === 'string') return { name, from: spec as 'stdout' | 'stderr' };
      const capture: CaptureSpec = { name, from: spec.from ?? 'stdout' };
      const ways = ['json', 'regex', 'lines'].filter((key) => spec[key] !== undefined && spec[key] !== false);
      if (ways.length > 1) {
        this.collector.error(specPath, `${formatPath(specPath)}: a capture takes its value one way; write only one of ${ways.join(', ')}.`);
      }
      if ((spec.group !== undefined || spec.all !== undefined) && spec.regex === undefined) {
        this.collector.error(specPath, `${formatPath(specPath)}: group and all only go with regex.`);
      }
      if (spec.json !== undefined) {
        this.jsonPath(spec.json, [...specPath, 'json']);
        capture.json = spec.json;
      }
      if (spec.regex !== undefined) {
        const regex = this.regex(spec.regex, [...specPath, 'regex']);
        capture.regex = spec.regex;
        if (regex && spec.group !== undefined) {
          const groups = new RegExp(`${spec.regex}|`).exec('')!.length - 1;
          if (spec.group > groups) {
            this.collector.error(
              [...specPath, 'group'],
              `${formatPath([...specPath, 'group'])}: the regex has ${groups} group${groups === 1 ? '' : 's'}, so there is no group ${spec.group}.`,
            );
          }
        }
        if (spec.group !== undefined) capture.group = spec.group;
        if (spec.all !== undefined) capture.all = spec.all;
      }
      if (spec.lines) capture.lines = true;
      return capture;
    });
  }

  private regex(pattern: string, path: YamlPath): RegExp | undefined {
    try {
      return new RegExp(pattern, 'm');
    } catch (error) {
      this.collector.error(
        path,
        `${formatPath(path)}: ${JSON.stringify(pattern)} is not a valid regular expression (${(error as Error).message.replace(/^Invalid regular expression: /, '')}).`,
      );
      return undefined;
    }
  }

  private jsonPath(path: string, yamlPath: YamlPath): void {
    try {
      parseJsonPath(path);
    } catch (error) {
      this.collector.error(yamlPath, `${formatPath(yamlPath)}: ${(error as Error).message} Write paths like servers[0].name, [*].ID or ['Disabled Reason'].`);
    }
  }

  private params(raw: unknown): ParamSpec[] {
    if (!isRecord(raw)) return [];
    const params: ParamSpec[] = [];
    for (const [name, value] of Object.entries(raw)) {
      // Checked one by one (the header's errors are the same problems, deduplicated) so that a
      // mistake elsewhere in the header does not hide the parameters' own problems.
      const parsed = paramSchema.safeParse(value);
      if (!parsed.success) {
        reportIssues(this.collector, parsed.error.issues, ['params', name], value);
        continue;
      }
      const param = this.param(name, parsed.data);
      if (param) params.push(param);
    }
    return params;
  }

  private param(name: string, spec: Data): ParamSpec | undefined {
    {
      const path = ['params', name];
      const at = (key: string) => [...path, key];
      const message = (text: string) => `${formatPath(path)}: ${text}`;
      const type = spec.type as ParamSpec['type'];
      const param: ParamSpec = {
        name,
        type,
        required: spec.required ?? spec.default === undefined,
        secret: spec.secret ?? false,
        source: positionAt(this.collector.source, path),
      };
      if (spec.description !== undefined) param.description = spec.description;
      if (type === 'enum') {
        if (!spec.values || spec.values.length === 0) this.collector.error(path, message('an enum parameter needs values: the list of allowed values.'));
        else param.values = spec.values;
      } else if (spec.values !== undefined) {
        this.collector.error(at('values'), message(`values is only for enum parameters, and this one is ${type}.`), 'key');
      }
      if (spec.min !== undefined || spec.max !== undefined) {
        if (type !== 'int') this.collector.error(at(spec.min !== undefined ? 'min' : 'max'), message(`min and max are only for int parameters, and this one is ${type}.`), 'key');
        else if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) this.collector.error(at('min'), message(`min ${spec.min} is more than max ${spec.max}.`));
        if (spec.min !== undefined) param.min = spec.min;
        if (spec.max !== undefined) param.max = spec.max;
      }
      if (spec.pattern !== undefined) {
        if (type !== 'string') this.collector.error(at('pattern'), message(`pattern is only for string parameters, and this one is ${type}.`), 'key');
        else if (this.regex(spec.pattern, at('pattern'))) param.pattern = spec.pattern;
      }
      if (spec.role !== undefined) {
        if (type !== 'host' && type !== 'hosts') this.collector.error(at('role'), message(`role is only for host and hosts parameters, and this one is ${type}.`), 'key');
        else param.role = spec.role;
      }
      if (spec.required === true && spec.default !== undefined) {
        this.collector.warning(at('required'), message('has a default, so required: true makes no difference.'));
      }
      if (spec.default !== undefined) {
        const checked = checkParamValue(param, spec.default);
        if (typeof checked === 'string') this.collector.error(at('default'), message(`the default ${checked}`));
        else param.default = checked.value;
      }
      return param;
    }
  }
}

/**
 * Type-checks a parameter value against its spec (used for defaults here and for the values an
 * operator gives at run time). Returns `{ value }` normalised, or a sentence fragment explaining
 * what is wrong ("is not a whole number").
 */
export function checkParamValue(param: Pick<ParamSpec, 'type' | 'values' | 'min' | 'max' | 'pattern'>, value: unknown): { value: ParamValue } | string {
  const shown = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  switch (param.type) {
    case 'int': {
      const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isInteger(number)) return `${shown} is not a whole number.`;
      if (param.min !== undefined && number < param.min) return `${shown} is below the minimum ${param.min}.`;
      if (param.max !== undefined && number > param.max) return `${shown} is above the maximum ${param.max}.`;
      return { value: number };
    }
    case 'bool': {
      if (typeof value === 'boolean') return { value };
      if (value === 'true' || value === 'false') return { value: value === 'true' };
      return `${shown} is not true or false.`;
    }
    case 'enum': {
      if (typeof value !== 'string' || !(param.values ?? []).includes(value)) {
        const suggestion = typeof value === 'string' ? didYouMean(value, param.values ?? []) : undefined;
        return `${shown} is not one of ${(param.values ?? []).join(', ')}${suggestion ? `; did you mean "${suggestion}"?` : '.'}`;
      }
      return { value };
    }
    case 'hosts': {
      const list = typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : value;
      if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || !HOST_NAME.test(item))) return `${shown} is not a list of host names.`;
      return { value: list as string[] };
    }
    case 'host':
    case 'string': {
      if (typeof value !== 'string' && typeof value !== 'number') return `${shown} is not text.`;
      const text = String(value);
      if (param.type === 'host' && !HOST_NAME.test(text)) return `${shown} is not a host name.`;
      if (param.pattern !== undefined && !new RegExp(`^(?:${param.pattern})$`).test(text)) return `${shown} does not match the pattern ${param.pattern}.`;
      return { value: text };
    }
  }
}

/** A host name as environments write them: nothing a shell would read as syntax. */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function unknownField(path: YamlPath, key: string, allowed: readonly string[]): string {
  const suggestion = didYouMean(key, allowed);
  const prefix = path.length === 0 ? `unknown field "${key}" at the top of the runbook` : `${where(path)}: unknown field "${key}"`;
  return `${prefix}${suggestion ? `; did you mean "${suggestion}"?` : `; the fields here are ${allowed.join(', ')}.`}`;
}

const DEFAULT_ZOD_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized|Expected)/;

const EXPECTED_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value lines)',
  record: 'a mapping (key: value lines)',
};

/** Turns zod issues into problems at the position of what they are about. */
function reportIssues(collector: ProblemCollector, issues: z.core.$ZodIssue[], base: YamlPath, input: unknown, extraAllowed: string[] = []): void {
  for (const issue of issues) {
    const relative = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
    const path = [...base, ...relative];
    const value = valueAt(input, relative);
    const custom = !DEFAULT_ZOD_MESSAGE.test(issue.message) && !issue.message.startsWith(ALLOWED_KEYS_MARK);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = issue.message.startsWith(ALLOWED_KEYS_MARK) ? issue.message.slice(ALLOWED_KEYS_MARK.length).split(',') : [];
        const allAllowed = relative.length === 0 ? [...allowed, ...extraAllowed] : allowed;
        for (const key of issue.keys) {
          if (allAllowed.includes(key)) continue;
          collector.error([...path, key], unknownField(path, key, allAllowed), 'key');
        }
        break;
      }
      case 'invalid_type':
        if (value === undefined) {
          collector.error(path, `${formatPath(path)} is missing; it is required here.`);
        } else if (custom) {
          collector.error(path, `${where(path)}: ${issue.message}.`);
        } else {
          const expected = EXPECTED_WORDS[issue.expected] ?? issue.expected;
          collector.error(path, `${where(path)}: expected ${expected}, found ${describeValue(value)}.`);
        }
        break;
      case 'invalid_key': {
        const inner = issue.issues[0]?.message ?? 'is not a valid name';
        collector.error(path, `${where(path.slice(0, -1))}: ${inner}.`, 'key');
        break;
      }
      case 'invalid_value': {
        if (custom) {
          collector.error(path, `${where(path)}: ${issue.message}.`);
          break;
        }
        const values = issue.values.map((item) => String(item));
        const suggestion = typeof value === 'string' ? didYouMean(value, values) : undefined;
        collector.error(path, `${where(path)}: ${describeValue(value)} is not allowed; use ${values.join(' or ')}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}.`);
        break;
      }
      default:
        collector.error(path, `${where(path)}: ${custom ? issue.message : lowerFirst(issue.message)}${/[.?!]$/.test(issue.message) ? '' : '.'}`);
    }
  }
}

function valueAt(input: unknown, path: ReadonlyArray<string | number>): unknown {
  let current = input;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `default:` of the switch over step kinds: does not compile while a kind has no case. */
function unhandledKind(kind: never): never {
  throw new Error(`no normalisation for step kind ${String(kind)}`);
}
