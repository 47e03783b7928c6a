/**
 * Pure functions that judge a command's output: the `expect` checks, the captures, and `when`
 * conditions. No I/O, no clock: the runner feeds them output and records what they return.
 */
import type { CheckResult } from '../audit/events';
import { OpsError } from '../errors';
import { selectJson } from '../runbook/jsonpath';
import type { CaptureSpec, Condition, Expect, JsonCheck, OutputMatch } from '../runbook/model';

/** What a finished command left behind. */
export interface CommandOutput {
  /** null when the command was killed (signal, timeout) and has no exit code. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** How much of an output a failed check's detail shows. */
const DETAIL_LIMIT = 300;

/** Values a condition treats as false (trimmed, case-insensitive). */
const FALSY = new Set(['', 'false', '0', 'no', 'none', '[]']);

/** One {@link CheckResult} per check of `expect`, in the order written: exit code, stdout, stderr, json. */
export function evaluateExpect(expect: Expect, output: CommandOutput): CheckResult[] {
  const results: CheckResult[] = [exitCheck(expect.exit, output.exitCode)];
  for (const match of expect.stdout) results.push(outputCheck('stdout', match, output.stdout));
  for (const match of expect.stderr) results.push(outputCheck('stderr', match, output.stderr));
  if (expect.json.length > 0) {
    const parsed = parseJson(output.stdout);
    for (const check of expect.json) results.push(...jsonChecks(check, parsed, output.stdout));
  }
  return results;
}

/**
 * The named values the specs take from the output. Throws an OpsError (code `capture`) when a
 * single value finds nothing (no match, no such JSON path, empty output). A list capture (`[*]`,
 * `all`, `lines`) may be an empty list: "no instances left" is an answer, not a failure.
 */
export function extractCaptures(specs: CaptureSpec[], output: CommandOutput): Record<string, unknown> {
  const captures: Record<string, unknown> = {};
  for (const spec of specs) captures[spec.name] = extractCapture(spec, output);
  return captures;
}

/** Evaluates a `when` condition; `render` renders a template in text mode in the step's scope. */
export function evaluateCondition(condition: Condition, render: (template: string) => string): boolean {
  if (condition.kind === 'truthy') return isTruthy(render(condition.value));
  const equal = render(condition.left).trim() === render(condition.right).trim();
  return condition.negate ? !equal : equal;
}

/** Truthy = anything but '', 'false', '0', 'no', 'none', '[]' (trimmed, any case). */
export function isTruthy(text: string): boolean {
  return !FALSY.has(text.trim().toLowerCase());
}

function exitCheck(accepted: number[], exitCode: number | null): CheckResult {
  const name = accepted.length === 1 ? `exit code ${accepted[0]}` : `exit code one of ${accepted.join(', ')}`;
  if (exitCode === null) return { name, ok: false, detail: 'the command has no exit code (it was killed or timed out)' };
  return accepted.includes(exitCode) ? { name, ok: true } : { name, ok: false, detail: `exit code was ${exitCode}` };
}

function outputCheck(stream: 'stdout' | 'stderr', match: OutputMatch, text: string): CheckResult {
  if (match.contains !== undefined) {
    const ok = text.includes(match.contains);
    return result(`${stream} contains ${JSON.stringify(match.contains)}`, ok, () => `${stream} was ${excerpt(text)}`);
  }
  if (match.notContains !== undefined) {
    const at = text.indexOf(match.notContains);
    return result(`${stream} does not contain ${JSON.stringify(match.notContains)}`, at < 0, () => `found in the line ${excerpt(lineAt(text, at))}`);
  }
  if (match.matches !== undefined || match.notMatches !== undefined) {
    const pattern = (match.matches ?? match.notMatches)!;
    const negate = match.matches === undefined;
    const name = `${stream} ${negate ? 'does not match' : 'matches'} /${pattern}/`;
    let regex: RegExp;
    try {
      regex = new RegExp(pattern, 'm');
    } catch (error) {
      return { name, ok: false, detail: `the regular expression is invalid: ${(error as Error).message}` };
    }
    const found = regex.exec(text);
    if (negate) return result(name, found === null, () => `matched ${excerpt(lineAt(text, found!.index))}`);
    return result(name, found !== null, () => `${stream} was ${excerpt(text)}`);
  }
  if (match.empty !== undefined) {
    const empty = text.trim() === '';
    return result(match.empty ? `${stream} is empty` : `${stream} is not empty`, empty === match.empty, () => (empty ? `${stream} was empty` : `${stream} was ${excerpt(text)}`));
  }
  return { name: `${stream} check`, ok: false, detail: 'the check names nothing to look for' };
}

type ParsedJson = { ok: true; value: unknown } | { ok: false; error: string };

function parseJson(text: string): ParsedJson {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

function jsonChecks(check: JsonCheck, parsed: ParsedJson, stdout: string): CheckResult[] {
  const names: string[] = [];
  const { path } = check;
  if (Object.hasOwn(check, 'equals')) names.push(`${path} equals ${show(check.equals)}`);
  if (Object.hasOwn(check, 'notEquals')) names.push(`${path} does not equal ${show(check.notEquals)}`);
  if (check.oneOf !== undefined) names.push(`${path} is one of ${check.oneOf.map(show).join(', ')}`);
  if (check.exists !== undefined) names.push(check.exists ? `${path} exists` : `${path} does not exist`);
  if (check.count !== undefined) names.push(`${path} selects ${check.count} value${check.count === 1 ? '' : 's'}`);
  if (check.minCount !== undefined) names.push(`${path} selects at least ${check.minCount}`);
  if (check.maxCount !== undefined) names.push(`${path} selects at most ${check.maxCount}`);
  if (!parsed.ok) {
    const detail = stdout.trim() === '' ? 'stdout was empty, not JSON' : `stdout is not valid JSON (${parsed.error}): ${excerpt(stdout)}`;
    return names.map((name) => ({ name, ok: false, detail }));
  }
  let values: unknown[];
  try {
    values = selectJson(parsed.value, path).values;
  } catch (error) {
    return names.map((name) => ({ name, ok: false, detail: error instanceof OpsError ? error.userMessage : String(error) }));
  }
  const found = (): string => (values.length === 0 ? 'the path selects nothing' : `found ${truncate(values.length === 1 ? show(values[0]) : `[${values.map(show).join(', ')}]`)}`);
  const results: CheckResult[] = [];
  let index = 0;
  const next = (ok: boolean, detail: () => string): void => {
    results.push(result(names[index], ok, detail));
    index += 1;
  };
  // A comparison over nothing passes vacuously in logic but hides a wrong path; it fails here, and
  // absence is checked explicitly with exists: false or count: 0.
  if (Object.hasOwn(check, 'equals')) next(values.length > 0 && values.every((value) => deepEqual(value, check.equals)), found);
  if (Object.hasOwn(check, 'notEquals')) next(values.length > 0 && values.every((value) => !deepEqual(value, check.notEquals)), found);
  if (check.oneOf !== undefined) next(values.length > 0 && values.every((value) => check.oneOf!.some((option) => deepEqual(value, option))), found);
  if (check.exists !== undefined) next(values.length > 0 === check.exists, found);
  if (check.count !== undefined) next(values.length === check.count, () => `it selects ${values.length}`);
  if (check.minCount !== undefined) next(values.length >= check.minCount, () => `it selects ${values.length}`);
  if (check.maxCount !== undefined) next(values.length <= check.maxCount, () => `it selects ${values.length}`);
  return results;
}

function extractCapture(spec: CaptureSpec, output: CommandOutput): unknown {
  const text = output[spec.from];
  const fail = (why: string): never => {
    throw new OpsError('capture', `The capture "${spec.name}" found nothing: ${why}.`);
  };
  if (spec.json !== undefined) {
    const parsed = parseJson(text);
    if (!parsed.ok) fail(`${spec.from} is not valid JSON (${(parsed as { error: string }).error}): ${excerpt(text)}`);
    const selection = selectJson((parsed as { value: unknown }).value, spec.json);
    if (selection.multiple) return selection.values;
    if (selection.values.length === 0) fail(`the JSON path ${spec.json} selects nothing in ${excerpt(text)}`);
    return selection.values[0];
  }
  if (spec.regex !== undefined) {
    const flags = spec.all ? 'gm' : 'm';
    const regex = new RegExp(spec.regex, flags);
    const pick = (match: RegExpExecArray): string => {
      const group = spec.group ?? (match.length > 1 ? 1 : 0);
      return match[group] ?? '';
    };
    if (spec.all) return [...text.matchAll(regex)].map((match) => pick(match));
    const match = regex.exec(text);
    if (!match) fail(`/${spec.regex}/ does not match ${spec.from} ${excerpt(text)}`);
    return pick(match!);
  }
  if (spec.lines) {
    return text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '');
  }
  const whole = text.trim();
  if (whole === '') fail(`${spec.from} was empty`);
  return whole;
}

function result(name: string, ok: boolean, detail: () => string): CheckResult {
  return ok ? { name, ok } : { name, ok, detail: detail() };
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}

function lineAt(text: string, index: number): string {
  const start = text.lastIndexOf('\n', index) + 1;
  const end = text.indexOf('\n', index);
  return text.slice(start, end < 0 ? text.length : end);
}

/** A short quoted form of some output, ending in "..." and its full size when cut. */
function excerpt(text: string): string {
  if (text.length <= DETAIL_LIMIT) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, DETAIL_LIMIT))}... (${text.length} characters in all)`;
}

function truncate(text: string): string {
  return text.length <= DETAIL_LIMIT ? text : `${text.slice(0, DETAIL_LIMIT)}... (${text.length} characters in all)`;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, index) => deepEqual(item, other[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((key) => Object.hasOwn(right, key) && deepEqual(left[key], right[key]));
}
