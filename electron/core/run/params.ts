import { OpsError } from '../errors';
import type { Environment } from '../inventory/model';
import type { ParamSpec, ParamValue, Runbook } from '../runbook/model';

/** A parameter problem: which parameter, and what is wrong with it, in words. */
export interface ParamProblem {
  param: string;
  message: string;
}

/** Parameters that cannot start a run. Every problem is listed, not just the first. */
export class ParamError extends OpsError {
  readonly problems: ParamProblem[];

  constructor(problems: ParamProblem[]) {
    const lines = problems.map((p) => `  ${p.param}: ${p.message}`).join('\n');
    super('params', `The run cannot start; its parameters have ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n${lines}`);
    this.problems = problems;
  }
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);
/** Host names as environments write them; nothing a shell would read as syntax. */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAX_VALUE_LENGTH = 4096;

/**
 * Checks and converts the parameters given for a run (strings from the command line or the form,
 * or already-typed values) against the runbook's declarations and the environment, filling in
 * defaults, which go through the same checks as given values (a host default must be a host of this
 * environment, with the role asked for). Throws {@link ParamError} naming every problem. With an
 * environment, then checks the runbook's `requires:` ({@link checkRequires}).
 */
export function resolveParams(
  runbook: Pick<Runbook, 'params' | 'id'> & Partial<Pick<Runbook, 'requires'>>,
  given: Record<string, unknown>,
  environment?: Environment,
): Record<string, ParamValue> {
  const problems: ParamProblem[] = [];
  const values: Record<string, ParamValue> = {};
  const declared = new Map(runbook.params.map((spec) => [spec.name, spec]));

  for (const name of Object.keys(given)) {
    if (!declared.has(name)) {
      const known = [...declared.keys()].join(', ') || 'none';
      problems.push({ param: name, message: `runbook "${runbook.id}" has no such parameter (it has: ${known}).` });
    }
  }
  for (const spec of runbook.params) {
    const raw = given[spec.name];
    if (raw === undefined || raw === '') {
      if (spec.default !== undefined) {
        const converted = convert(spec, spec.default, environment);
        if ('error' in converted) problems.push({ param: spec.name, message: `has a default that does not fit here: ${converted.error} Give a value for it.` });
        else values[spec.name] = converted.value;
      } else if (spec.required) problems.push({ param: spec.name, message: `is required${describeType(spec)}.` });
      continue;
    }
    const converted = convert(spec, raw, environment);
    if ('error' in converted) problems.push({ param: spec.name, message: converted.error });
    else values[spec.name] = converted.value;
  }
  if (problems.length > 0) throw new ParamError(problems);
  if (environment) checkRequires(runbook, environment);
  return values;
}

/**
 * A runbook's `requires:` names host roles the environment must have: a run in an environment
 * lacking any of them is refused before anything runs (OpsError `requires`, naming every missing role).
 */
export function checkRequires(runbook: Pick<Runbook, 'id'> & Partial<Pick<Runbook, 'requires'>>, environment: Environment): void {
  const roles = new Set(environment.hosts.flatMap((host) => host.roles));
  const missing = (runbook.requires ?? []).filter((role) => !roles.has(role));
  if (missing.length === 0) return;
  throw new OpsError(
    'requires',
    `Nothing was run: runbook "${runbook.id}" requires hosts with the role${missing.length === 1 ? '' : 's'} ${missing.join(', ')}, and environment "${environment.name}" has none (its roles: ${[...roles].join(', ') || 'none'}).`,
  );
}

function describeType(spec: ParamSpec): string {
  switch (spec.type) {
    case 'enum':
      return ` (one of: ${spec.values?.join(', ')})`;
    case 'host':
      return ' (a host name of the environment)';
    case 'hosts':
      return ' (host names of the environment, separated by commas)';
    case 'int':
      return ' (a whole number)';
    case 'bool':
      return ' (true or false)';
    default:
      return '';
  }
}

function convert(spec: ParamSpec, raw: unknown, environment?: Environment): { value: ParamValue } | { error: string } {
  if (typeof raw === 'string' && raw.length > MAX_VALUE_LENGTH) {
    return { error: `is ${raw.length} characters long; the limit is ${MAX_VALUE_LENGTH}.` };
  }
  const text = Array.isArray(raw) ? raw.join(',') : String(raw);
  switch (spec.type) {
    case 'string': {
      if (typeof raw !== 'string') return { error: `must be text, not ${typeof raw}.` };
      if (spec.pattern && !new RegExp(`^(?:${spec.pattern})$`, 'u').test(raw)) {
        return { error: `"${preview(raw)}" does not match the pattern ${spec.pattern}.` };
      }
      return { value: raw };
    }
    case 'int': {
      const value = typeof raw === 'number' ? raw : /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
      if (!Number.isSafeInteger(value)) return { error: `"${preview(text)}" is not a whole number.` };
      if (spec.min !== undefined && value < spec.min) return { error: `${value} is below the minimum ${spec.min}.` };
      if (spec.max !== undefined && value > spec.max) return { error: `${value} is above the maximum ${spec.max}.` };
      return { value };
    }
    case 'bool': {
      if (typeof raw === 'boolean') return { value: raw };
      const word = text.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return { value: true };
      if (FALSE_WORDS.has(word)) return { value: false };
      return { error: `"${preview(text)}" is not true or false.` };
    }
    case 'enum': {
      if (!spec.values?.includes(text)) return { error: `"${preview(text)}" is not one of: ${spec.values?.join(', ')}.` };
      return { value: text };
    }
    case 'host':
    case 'hosts': {
      const names = Array.isArray(raw) ? raw.map(String) : text.split(/[\s,]+/).filter(Boolean);
      if (spec.type === 'host' && names.length !== 1) return { error: `must name exactly one host, got ${names.length}.` };
      if (names.length === 0) return { error: 'must name at least one host.' };
      for (const name of names) {
        const problem = checkHost(spec, name, environment);
        if (problem) return { error: problem };
      }
      return { value: spec.type === 'host' ? names[0] : names };
    }
  }
}

function checkHost(spec: ParamSpec, name: string, environment?: Environment): string | undefined {
  if (!HOST_NAME.test(name)) return `"${preview(name)}" is not a valid host name.`;
  if (!environment) return undefined;
  const host = environment.hosts.find((candidate) => candidate.name === name);
  if (!host) {
    const names = environment.hosts.map((candidate) => candidate.name).join(', ');
    return `"${name}" is not a host of environment "${environment.name}" (hosts: ${names}).`;
  }
  if (spec.role && !host.roles.includes(spec.role)) {
    return `"${name}" does not have the role "${spec.role}" in environment "${environment.name}" (its roles: ${host.roles.join(', ') || 'none'}).`;
  }
  return undefined;
}

function preview(text: string): string {
  const oneLine = JSON.stringify(text).slice(1, -1);
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine;
}
