/**
 * Templates: `{{ path | filter | ... }}` inside runbook strings, rendered at run time.
 *
 * Paths start with a namespace — `params.x`, `captures.x`, `env.x`, `run.id`, `host` — or a loop
 * variable (`instance.ID`, `instance["Disabled Reason"]`, `hosts[0]`). An index may itself be a
 * reference, looked up first: `env.bmc[params.host].address` (the BMC of the host a parameter names).
 * Filters: `raw` (insert unquoted), `json` (JSON text of the value), `join(",")` (a list as one
 * string), `default("x")` (used when the value is missing, null or empty).
 * `{{ "{{" }}` writes a literal `{{`.
 *
 * Two rendering modes:
 * - `shell` (commands): every substituted value stays literal text where it sits in the command, so a
 *   value can never become shell syntax — a hostname or instance name that came back from a remote
 *   command is data, not code. Where it sits is read as a shell reads it (./shell-context.ts): as a
 *   word of its own it becomes a single-quoted word (a list: space-separated quoted words); inside
 *   '…' a ' in it is written '\'' ; inside "…" its \ $ ` " are escaped. A place where no rendering is
 *   safe (backticks, a comment, a here-document, ...) is refused. `| raw` inserts the value as shell
 *   code: it is allowed only on `env.*`, `run.*` and `host` (configuration, not data), and must be
 *   written explicitly in the runbook where a reviewer sees it.
 * - `text` (titles, prompts, confirmations, `on:` targets): values are inserted as they are.
 *
 * A value wrapped in {@link RawText} is inserted unquoted in shell mode too. That is for the command
 * words of a deployment profile (`env.rabbitmqctl` = `podman exec rabbitmq-bundle-podman-0
 * rabbitmqctl`): they are reviewed code shipped with OpsDeck or the environment, not data. Whoever
 * builds the scope wraps profile words with {@link raw}; environment `vars` stay plain values and are
 * quoted like anything else.
 */
import { OpsError } from '../errors';
import { quoteFor, shellPlacements, type CommandPiece } from './shell-context';

export type RenderMode = 'shell' | 'text';

/** Trusted text inserted without quoting (deployment-profile command words). */
export class RawText {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

/** Marks reviewed command text as trusted: inserted unquoted even in shell mode. */
export function raw(text: string): RawText {
  return new RawText(text);
}

/** What a template can see at render time. */
export interface TemplateScope {
  params?: Record<string, unknown>;
  captures?: Record<string, unknown>;
  /** Environment vars and deployment-profile words (the latter as {@link RawText}). */
  env?: Record<string, unknown>;
  /** `run.id`, `run.operator`, ... */
  run?: Record<string, unknown>;
  /** The host a run/wait command is rendered for. */
  host?: string;
  /** Loop variables of the enclosing `foreach` steps. */
  locals?: Record<string, unknown>;
}

/** The namespaces a path can start with, besides loop variables. */
export const TEMPLATE_NAMESPACES = ['params', 'captures', 'env', 'run', 'host'] as const;

export type PathSegment = string | number | IndexReference;

/** An index that is a reference (`[params.host]`): its value, text or a number, is the key. */
export interface IndexReference {
  ref: [string, ...PathSegment[]];
  source: string;
}

export type TemplateFilter = { name: 'raw' } | { name: 'json' } | { name: 'join'; separator: string } | { name: 'default'; value: string | number | boolean };

export interface TemplateExpression {
  /** `undefined` for a literal (`{{ "{{" }}`). */
  path?: [string, ...PathSegment[]];
  literal?: string;
  filters: TemplateFilter[];
  /** The expression as written, e.g. `captures.instances | join(",")`. */
  source: string;
  /** Offset of the `{{` in the template. */
  offset: number;
}

export type TemplatePart = { text: string } | { expression: TemplateExpression };

/** A template that cannot be read; `offset` is where, in the template string. */
export class TemplateError extends OpsError {
  readonly offset: number;
  constructor(message: string, offset = 0) {
    super('template', message);
    this.offset = offset;
  }
}

/** A reference to a value, as the validator checks them statically. */
export interface TemplateReference {
  /** First segment: a namespace (`params`) or a loop variable name. */
  root: string;
  /** The path after the root (`['instances']` for `captures.instances`). */
  path: PathSegment[];
  /** The expression as written. */
  source: string;
  offset: number;
  hasDefault: boolean;
}

/** Splits a template into literal text and expressions; throws {@link TemplateError} when malformed. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let position = 0;
  while (position < template.length) {
    const open = template.indexOf('{{', position);
    if (open < 0) {
      parts.push({ text: template.slice(position) });
      break;
    }
    if (open > position) parts.push({ text: template.slice(position, open) });
    const expression = parseExpression(template, open);
    parts.push({ expression: expression.expression });
    position = expression.end;
  }
  return parts;
}

/** Every value reference in `template`; throws {@link TemplateError} when it is malformed. */
export function templateReferences(template: string): TemplateReference[] {
  const references: TemplateReference[] = [];
  for (const part of parseTemplate(template)) {
    if (!('expression' in part) || !part.expression.path) continue;
    const { path, source, offset, filters } = part.expression;
    references.push({
      root: String(path[0]),
      path: path.slice(1),
      source,
      offset,
      hasDefault: filters.some((filter) => filter.name === 'default'),
    });
    // An index that is a reference must be defined itself: it is checked like any reference.
    const nested = (segments: PathSegment[]): void => {
      for (const segment of segments) {
        if (typeof segment !== 'object') continue;
        references.push({ root: String(segment.ref[0]), path: segment.ref.slice(1), source: segment.source, offset, hasDefault: false });
        nested(segment.ref);
      }
    };
    nested(path);
  }
  return references;
}

/**
 * Renders `template` against `scope`. Throws an OpsError (code `template`) naming an undefined
 * reference, or a malformed template.
 */
export function renderTemplate(template: string, scope: TemplateScope, mode: RenderMode = 'shell', options: RenderOptions = {}): string {
  const parts = parseTemplate(template);
  if (mode === 'shell') return renderCommand(parts, scope, options);
  let out = '';
  for (const part of parts) {
    if ('text' in part) out += part.text;
    else if (part.expression.literal !== undefined) out += part.expression.literal;
    else {
      const value = lookupOr(part.expression, scope, options);
      out += typeof value === 'object' && value !== null && 'unresolved' in value ? String(value.unresolved) : toText(applyValueFilters(value, part.expression), ', ');
    }
  }
  return out;
}

export interface RenderOptions {
  /**
   * For a preview: what to write for a reference not defined yet (a capture, a loop variable) instead
   * of throwing. Written as it is, where the value would go.
   */
  unresolved?: (expression: TemplateExpression) => string;
}

/** The value of a reference, or (with `options.unresolved`) the marker written for one not defined yet. */
function lookupOr(expression: TemplateExpression, scope: TemplateScope, options: RenderOptions): unknown {
  if (!options.unresolved) return lookupOrThrow(expression, scope);
  try {
    return lookupOrThrow(expression, scope);
  } catch {
    return { unresolved: options.unresolved(expression) };
  }
}

/** Roots whose values are configuration (the environment, the run, the host), which `| raw` may insert as code. */
const RAW_ALLOWED_ROOTS = ['env', 'run', 'host'];

/**
 * What is wrong with using `| raw` on this expression in a command, or undefined when nothing is:
 * parameters, captures and loop variables are data, and data never becomes shell code.
 */
export function rawRefusal(expression: TemplateExpression): string | undefined {
  if (!expression.path || !expression.filters.some((filter) => filter.name === 'raw')) return undefined;
  if (RAW_ALLOWED_ROOTS.includes(String(expression.path[0]))) return undefined;
  return `{{ ${expression.source} }}: | raw would run this value as shell code, and values of parameters, captures and loop variables are data; remove | raw (the value is written as literal text wherever it sits: as a word, inside '…' or inside "…")`;
}

/**
 * The problems of a command template that can be known before a run: a value in a place of the
 * command where it cannot be kept literal, and `| raw` on data (sentences without a final full stop). Throws {@link TemplateError} when the
 * template is malformed.
 */
export function commandTemplateProblems(template: string): Array<{ offset: number; message: string }> {
  const parts = parseTemplate(template);
  const problems: Array<{ offset: number; message: string }> = [];
  const expressions: TemplateExpression[] = [];
  const pieces: CommandPiece[] = parts.map((part) => {
    if ('text' in part) return { syntax: part.text };
    if (part.expression.literal !== undefined) return { syntax: part.expression.literal };
    const refusal = rawRefusal(part.expression);
    if (refusal) problems.push({ offset: part.expression.offset, message: refusal });
    expressions.push(part.expression);
    // env.* may be a profile's command words, inserted as code: unknown until the run, read as a word.
    return { value: expressions.length - 1 };
  });
  for (const [index, placement] of shellPlacements(pieces)) {
    if ('refusal' in placement) {
      const expression = expressions[index];
      problems.push({ offset: expression.offset, message: `{{ ${expression.source} }} cannot be used here: ${placement.refusal}` });
    }
  }
  return problems.sort((a, b) => a.offset - b.offset);
}

/** A command: each value rendered as literal text in the place it sits (see the top of this file). */
function renderCommand(parts: TemplatePart[], scope: TemplateScope, options: RenderOptions): string {
  const values: Array<{ expression: TemplateExpression; value: unknown }> = [];
  const pieces: CommandPiece[] = parts.map((part) => {
    if ('text' in part) return { syntax: part.text };
    const { expression } = part;
    if (expression.literal !== undefined) return { syntax: expression.literal };
    const refusal = rawRefusal(expression);
    if (refusal) throw new OpsError('template', `${refusal}.`);
    const found = lookupOr(expression, scope, options);
    if (typeof found === 'object' && found !== null && 'unresolved' in found) return { syntax: String(found.unresolved) };
    const value = applyValueFilters(found, expression);
    if (expression.filters.some((filter) => filter.name === 'raw')) return { syntax: toText(value, ' ') };
    // Reviewed profile words are code: read as part of the command, so what follows is placed right.
    if (value instanceof RawText) return { syntax: value.text };
    values.push({ expression, value });
    return { value: values.length - 1 };
  });
  const placements = shellPlacements(pieces);
  let out = '';
  for (const piece of pieces) {
    if ('syntax' in piece) {
      out += piece.syntax;
      continue;
    }
    const { expression, value } = values[piece.value];
    const placement = placements.get(piece.value)!;
    if ('refusal' in placement) throw new OpsError('template', `{{ ${expression.source} }} cannot be used here: ${placement.refusal}.`);
    const words = Array.isArray(value) ? value.map((item) => toText(item, ' ')) : [toText(value, ' ')];
    if (words.some((word) => word.includes('\0'))) {
      throw new OpsError('template', 'A value holds a NUL byte, which no shell command can carry; it was not used.');
    }
    out += placement.context === 'unquoted' ? words.map((word) => quoteFor('unquoted', word)).join(' ') : quoteFor(placement.context, words.join(' '));
  }
  return out;
}

/**
 * The value of a template that is exactly one `{{ expression }}` (surrounding spaces ignored), as a
 * value rather than text: a list stays a list (for `foreach.items`, `on:` naming a `hosts` param).
 * Any other template is rendered in text mode.
 */
export function resolveTemplateValue(template: string, scope: TemplateScope): unknown {
  const parts = parseTemplate(template).filter((part) => !('text' in part && part.text.trim() === ''));
  if (parts.length === 1 && 'expression' in parts[0] && parts[0].expression.path) {
    const { expression } = parts[0];
    if (expression.filters.every((filter) => filter.name === 'default')) {
      return applyValueFilters(lookupOrThrow(expression, scope), expression);
    }
  }
  return renderTemplate(template, scope, 'text');
}

/** Quotes `text` as one POSIX shell word: `'...'`, with `'` written as `'\''`. */
export function shellQuote(text: string): string {
  if (text.includes('\0')) {
    throw new OpsError('template', 'A value holds a NUL byte, which no shell command can carry; it was not used.');
  }
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Looks a path up in the scope; `undefined` when any part is missing. */
export function lookupPath(scope: TemplateScope, path: [string, ...PathSegment[]]): unknown {
  const [root, ...rest] = path;
  let current: unknown;
  if (root === 'host') current = scope.host;
  else if (root === 'params' || root === 'captures' || root === 'env' || root === 'run') current = scope[root];
  else current = scope.locals && Object.hasOwn(scope.locals, String(root)) ? scope.locals[String(root)] : undefined;
  for (const written of rest) {
    if (current === null || current === undefined) return undefined;
    let segment: string | number;
    if (typeof written === 'object') {
      const key = lookupPath(scope, written.ref);
      if (typeof key === 'number' && Array.isArray(current)) segment = key;
      else if (typeof key === 'string' || typeof key === 'number') segment = String(key);
      else return undefined;
    } else {
      segment = written;
    }
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[segment < 0 ? current.length + segment : segment];
    } else if (typeof current === 'object' && !Array.isArray(current) && !(current instanceof RawText)) {
      const record = current as Record<string, unknown>;
      current = Object.hasOwn(record, segment) ? record[segment] : undefined;
    } else {
      return undefined;
    }
  }
  return current;
}

/** Writes a path back as text: `instance["Disabled Reason"]`, `captures.hosts[0]`. */
export function formatTemplatePath(path: PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'object') out += `[${segment.source}]`;
    else if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function lookupOrThrow(expression: TemplateExpression, scope: TemplateScope): unknown {
  const path = expression.path!;
  const value = lookupPath(scope, path);
  const hasDefault = expression.filters.some((filter) => filter.name === 'default');
  if ((value === undefined || value === null) && !hasDefault) {
    throw new OpsError('template', `{{ ${expression.source} }} refers to ${formatTemplatePath(path)}, which is not defined at this point of the run.`);
  }
  return value;
}

function applyValueFilters(input: unknown, expression: TemplateExpression): unknown {
  let value = input;
  for (const filter of expression.filters) {
    if (filter.name === 'default') {
      if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) {
        value = filter.value;
      }
    } else if (filter.name === 'json') {
      value = JSON.stringify(value instanceof RawText ? value.text : value);
    } else if (filter.name === 'join') {
      value = Array.isArray(value) ? value.map((item) => toText(item, filter.separator)).join(filter.separator) : toText(value, filter.separator);
    }
  }
  return value;
}

function toText(value: unknown, listSeparator: string): string {
  if (value instanceof RawText) return value.text;
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item) => toText(item, listSeparator)).join(listSeparator);
  if (typeof value === 'object') return JSON.stringify(value);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only a number or a boolean is left here
  return String(value);
}

const IDENTIFIER = /^[A-Za-z_][\w-]*/;

function parseExpression(template: string, open: number): { expression: TemplateExpression; end: number } {
  let position = open + 2;
  const fail = (why: string): never => {
    throw new TemplateError(`The template "${abbreviate(template.slice(open))}" ${why}.`, open);
  };
  const skipSpaces = (): void => {
    while (position < template.length && /\s/.test(template[position])) position += 1;
  };
  const readString = (): string => {
    const quote = template[position];
    let value = '';
    position += 1;
    while (position < template.length && template[position] !== quote) {
      if (template[position] === '\\' && position + 1 < template.length) position += 1;
      value += template[position];
      position += 1;
    }
    if (position >= template.length) fail(`has a string with no closing ${quote}`);
    position += 1;
    return value;
  };

  /** `[params.host]`: a name, then `.name` parts (no deeper nesting: one level is all a runbook needs). */
  const readIndexReference = (): IndexReference => {
    const begin = position;
    const first = IDENTIFIER.exec(template.slice(position))!;
    const ref: [string, ...PathSegment[]] = [first[0]];
    position += first[0].length;
    while (template[position] === '.') {
      const word = IDENTIFIER.exec(template.slice(position + 1));
      if (!word) fail('has a "." not followed by a name');
      ref.push(word![0]);
      position += 1 + word![0].length;
    }
    return { ref, source: template.slice(begin, position) };
  };

  skipSpaces();
  let path: [string, ...PathSegment[]] | undefined;
  let literal: string | undefined;
  const start = position;
  if (template[position] === '"' || template[position] === "'") {
    literal = readString();
  } else {
    const first = IDENTIFIER.exec(template.slice(position));
    if (!first) fail('needs a name after "{{", like {{ params.host }}');
    path = [first![0]];
    position += first![0].length;
    for (;;) {
      if (template[position] === '.') {
        const word = IDENTIFIER.exec(template.slice(position + 1)) ?? /^\d+/.exec(template.slice(position + 1));
        if (!word) fail('has a "." not followed by a name');
        position += 1 + word![0].length;
        path.push(/^\d+$/.test(word![0]) ? Number(word![0]) : word![0]);
      } else if (template[position] === '[') {
        position += 1;
        skipSpaces();
        if (template[position] === '"' || template[position] === "'") {
          path.push(readString());
        } else if (IDENTIFIER.test(template.slice(position))) {
          path.push(readIndexReference());
        } else {
          const index = /^-?\d+/.exec(template.slice(position));
          if (!index) fail('has a "[" not followed by a number, a quoted key or a reference (like [params.host])');
          path.push(Number(index![0]));
          position += index![0].length;
        }
        skipSpaces();
        if (template[position] !== ']') fail('has a "[" with no closing "]"');
        position += 1;
      } else {
        break;
      }
    }
  }
  const sourceEnd = position;
  const filters: TemplateFilter[] = [];
  skipSpaces();
  while (template[position] === '|') {
    position += 1;
    skipSpaces();
    const name = /^[a-z_]+/.exec(template.slice(position));
    if (!name) fail('has a "|" not followed by a filter name (raw, json, join, default)');
    position += name![0].length;
    skipSpaces();
    const args: Array<string | number | boolean> = [];
    if (template[position] === '(') {
      position += 1;
      skipSpaces();
      if (template[position] === '"' || template[position] === "'") args.push(readString());
      else {
        const word = /^(?:-?\d+(?:\.\d+)?|true|false)/.exec(template.slice(position));
        if (!word) fail(`has a filter ${name![0]}( ) whose argument is not a quoted string`);
        args.push(word![0] === 'true' ? true : word![0] === 'false' ? false : Number(word![0]));
        position += word![0].length;
      }
      skipSpaces();
      if (template[position] !== ')') fail(`has a filter ${name![0]}( with no closing ")"`);
      position += 1;
      skipSpaces();
    }
    switch (name![0]) {
      case 'raw':
      case 'json':
        if (args.length) fail(`has a filter ${name![0]} that takes no argument`);
        filters.push({ name: name![0] });
        break;
      case 'join':
        if (args.length !== 1 || typeof args[0] !== 'string') fail('has join without a separator; write join(",")');
        filters.push({ name: 'join', separator: args[0] as string });
        break;
      case 'default':
        if (args.length !== 1) fail('has default without a value; write default("x")');
        filters.push({ name: 'default', value: args[0] });
        break;
      default:
        fail(`uses an unknown filter "${name![0]}"; the filters are raw, json, join(",") and default("x")`);
    }
  }
  if (template.slice(position, position + 2) !== '}}') {
    if (template.indexOf('}}', position) < 0) fail('has no closing "}}"');
    fail(`has unexpected text "${abbreviate(template.slice(position, template.indexOf('}}', position)))}" before "}}"`);
  }
  const source = template.slice(start, position).trim() || template.slice(start, sourceEnd);
  return { expression: { path, literal, filters, source, offset: open }, end: position + 2 };
}

function abbreviate(text: string): string {
  const line = text.split('\n')[0];
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
