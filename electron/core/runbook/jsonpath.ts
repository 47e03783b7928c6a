/**
 * The small path language of `expect.json[].path` and `capture.<name>.json`: enough to reach into the
 * JSON that `openstack ... -f json` prints, and nothing more.
 *
 * - `a.b` — key `b` of key `a` (a leading `$` or `$.` is optional: `$.a.b` is the same path)
 * - `[0]`, `[-1]` — an element of a list (negative counts from the end)
 * - `[*]` or `.*` — every element of a list (or every value of an object)
 * - `['Disabled Reason']`, `["Disabled Reason"]` — a key that is not a plain word
 *
 * A path with a wildcard selects several values; one without selects at most one.
 */
import { OpsError } from '../errors';

export type JsonPathSegment = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

export interface JsonSelection {
  /** The values found, in document order; empty when the path leads nowhere. */
  values: unknown[];
  /** True when the path has a wildcard: the caller should treat the result as a list. */
  multiple: boolean;
}

const WORD = /^[^.[\]\s'"*]+/;

/** Parses a path; throws an OpsError (code `jsonpath`) naming the position of a mistake. */
export function parseJsonPath(path: string): JsonPathSegment[] {
  const segments: JsonPathSegment[] = [];
  let rest = path.trim();
  const fail = (why: string): never => {
    const at = path.trim().length - rest.length;
    throw new OpsError('jsonpath', `"${path}" is not a valid JSON path: ${why} at character ${at + 1}.`);
  };
  if (rest.startsWith('$')) rest = rest.slice(1);
  let first = true;
  while (rest.length > 0) {
    if (rest.startsWith('[')) {
      const wildcard = /^\[\s*\*\s*\]/.exec(rest);
      const index = /^\[\s*(-?\d+)\s*\]/.exec(rest);
      const quoted = /^\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]/.exec(rest);
      if (wildcard) {
        segments.push({ kind: 'wildcard' });
        rest = rest.slice(wildcard[0].length);
      } else if (index) {
        segments.push({ kind: 'index', index: Number(index[1]) });
        rest = rest.slice(index[0].length);
      } else if (quoted) {
        const raw = quoted[1] ?? quoted[2] ?? '';
        segments.push({ kind: 'key', key: raw.replace(/\\(.)/g, '$1') });
        rest = rest.slice(quoted[0].length);
      } else {
        fail("expected [number], [*] or ['key']");
      }
    } else {
      if (rest.startsWith('.')) rest = rest.slice(1);
      else if (!first) fail('expected "." or "["');
      if (rest.startsWith('*')) {
        segments.push({ kind: 'wildcard' });
        rest = rest.slice(1);
      } else {
        const word = WORD.exec(rest);
        if (!word) fail('expected a key name');
        segments.push({ kind: 'key', key: word![0] });
        rest = rest.slice(word![0].length);
      }
    }
    first = false;
  }
  return segments;
}

/** The values `path` selects in `value`. Throws only for a malformed path, never for the data. */
export function selectJson(value: unknown, path: string | JsonPathSegment[]): JsonSelection {
  const segments = typeof path === 'string' ? parseJsonPath(path) : path;
  let current: unknown[] = [value];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const item of current) {
      if (segment.kind === 'wildcard') {
        if (Array.isArray(item)) next.push(...(item as unknown[]));
        else if (isPlainObject(item)) next.push(...Object.values(item));
      } else if (segment.kind === 'index') {
        if (Array.isArray(item)) {
          const at = segment.index < 0 ? item.length + segment.index : segment.index;
          if (at >= 0 && at < item.length) next.push(item[at]);
        }
      } else if (isPlainObject(item) && Object.hasOwn(item, segment.key)) {
        next.push(item[segment.key]);
      }
    }
    current = next;
  }
  return { values: current, multiple: segments.some((segment) => segment.kind === 'wildcard') };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
