/**
 * The start form's early checks: the same rules the engine applies (electron/core/run/params.ts),
 * run as the operator types so most mistakes show before the request is sent. The engine's answer
 * (a ParamError per field) is what counts; it is shown in the same place.
 */
import type { HostSummary, ParamField, ParamValue } from '../../electron/api/contract';

/** A form value as the inputs hold it. */
export type FormValue = string | boolean | string[];

/** The initial value of each field: its default, else empty. */
export function initialValues(fields: ParamField[]): Record<string, FormValue> {
  const values: Record<string, FormValue> = {};
  for (const field of fields) {
    const value = field.default;
    if (field.type === 'bool') values[field.name] = value === true;
    else if (field.type === 'hosts') values[field.name] = Array.isArray(value) ? value : [];
    else values[field.name] = value === undefined ? '' : Array.isArray(value) ? value.join(',') : String(value);
  }
  return values;
}

/** What is wrong with one value, in words, or undefined. */
export function checkParam(field: ParamField, value: FormValue, hosts: HostSummary[]): string | undefined {
  const empty = value === '' || (Array.isArray(value) && value.length === 0);
  if (empty) return field.required && field.default === undefined ? 'is required.' : undefined;
  switch (field.type) {
    case 'string': {
      if (typeof value !== 'string') return 'must be text.';
      if (field.pattern) {
        let pattern: RegExp;
        try {
          pattern = new RegExp(`^(?:${field.pattern})$`, 'u');
        } catch {
          return undefined;
        }
        if (!pattern.test(value)) return `does not match the pattern ${field.pattern}.`;
      }
      return undefined;
    }
    case 'int': {
      const text = String(value).trim();
      if (!/^-?\d+$/.test(text)) return `"${text}" is not a whole number.`;
      const number = Number(text);
      if (field.min !== undefined && number < field.min) return `${number} is below the minimum ${field.min}.`;
      if (field.max !== undefined && number > field.max) return `${number} is above the maximum ${field.max}.`;
      return undefined;
    }
    case 'enum':
      return field.values?.includes(String(value)) ? undefined : `must be one of: ${field.values?.join(', ')}.`;
    case 'host':
    case 'hosts': {
      const names = Array.isArray(value) ? value : [String(value)];
      for (const name of names) {
        const host = hosts.find((candidate) => candidate.name === name);
        if (!host) return `"${name}" is not a host of this environment.`;
        if (field.role && !host.roles.includes(field.role)) return `"${name}" does not have the role ${field.role}.`;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Every field's problem (early checks only). */
export function checkParams(fields: ParamField[], values: Record<string, FormValue>, hosts: HostSummary[]): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const field of fields) {
    const problem = checkParam(field, values[field.name] ?? '', hosts);
    if (problem) problems[field.name] = problem;
  }
  return problems;
}

/** The request's params: empty values left out (the engine fills defaults), ints as numbers. */
export function toRequestParams(fields: ParamField[], values: Record<string, FormValue>): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  for (const field of fields) {
    const value = values[field.name];
    if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) continue;
    if (field.type === 'int' && typeof value === 'string' && /^-?\d+$/.test(value.trim())) params[field.name] = Number(value.trim());
    else params[field.name] = value;
  }
  return params;
}
