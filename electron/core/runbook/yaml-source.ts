/**
 * YAML text with positions, for any file OpsDeck reads from people (runbooks, environments).
 *
 * {@link parseYamlSource} turns text into a plain JS value while keeping the document, so that
 * {@link positionAt} can later say where any value came from (`file:line:column`, 1-based). Every YAML
 * syntax error is reported, not just the first. Hostile or broken input is a {@link Problem}, never a
 * crash or a hang: files over a size limit, binary data, alias bombs, absurd nesting.
 */
import { isUtf8 } from 'node:buffer';
import { firstInvalidUtf8 } from '../utf8';
import { readFile, stat } from 'node:fs/promises';
import { CST, isAlias, isMap, isPair, isScalar, isSeq, Lexer, LineCounter, parseDocument, Parser, type Document, type Node } from 'yaml';
import type { Problem, SourcePosition } from '../errors';

export interface YamlLimits {
  /** Largest accepted text, in bytes of UTF-8. */
  maxBytes: number;
  /** Most alias expansions allowed when building the value (yaml's guard against billion laughs). */
  maxAliasCount: number;
  /** Deepest nesting of mappings and lists. */
  maxDepth: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = {
  maxBytes: 2 * 1024 * 1024,
  maxAliasCount: 1000,
  maxDepth: 64,
};

/** A parsed YAML file: its value and what is needed to find where each part of it was written. */
export interface YamlSource {
  file: string;
  text: string;
  document: Document.Parsed;
  lineCounter: LineCounter;
  /** The document as plain JS (mappings are objects, aliases expanded). */
  value: unknown;
}

/** A path into a YAML value: keys of mappings and indexes of lists. */
export type YamlPath = ReadonlyArray<string | number>;

export interface YamlParseResult {
  /** Absent when the file cannot be used at all. */
  source?: YamlSource;
  problems: Problem[];
}

/** Parses YAML text, reporting every syntax error and every limit crossed as a {@link Problem}. */
export function parseYamlSource(text: string, file: string, limits: Partial<YamlLimits> = {}): YamlParseResult {
  const { maxBytes, maxAliasCount, maxDepth } = { ...DEFAULT_YAML_LIMITS, ...limits };
  const at = (line: number, column: number, message: string): Problem => ({ file, line, column, message, severity: 'error' });

  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    return { problems: [at(1, 1, `The file is ${formatBytes(bytes)}; files larger than ${formatBytes(maxBytes)} are refused (is this really the file you meant?).`)] };
  }
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const lines = text.slice(0, nul).split('\n');
    return {
      problems: [at(lines.length, lines[lines.length - 1].length + 1, 'The file holds binary data (a NUL byte), not YAML text.')],
    };
  }

  // Measured before composing: yaml composes nested collections by recursion, and near the end of the
  // stack V8 can die compiling a regular expression (a fatal out-of-memory, not a catchable error).
  const deepAt = findTooDeepInText(text, maxDepth);
  if (deepAt !== undefined) {
    const lines = text.slice(0, deepAt).split('\n');
    return { problems: [at(lines.length, lines[lines.length - 1].length + 1, tooDeepMessage(maxDepth))] };
  }

  const lineCounter = new LineCounter();
  let document: Document.Parsed;
  try {
    document = parseDocument(text, { lineCounter, keepSourceTokens: true, prettyErrors: false, uniqueKeys: true });
  } catch (error) {
    // The parser recurses on flow collections; a stack overflow is a limit crossed, not a bug.
    return { problems: [at(1, 1, `The file cannot be read as YAML: ${(error as Error).message}.`)] };
  }
  const position = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  const problems: Problem[] = [];
  for (const error of document.errors) {
    const { line, column } = position(error.pos[0]);
    problems.push({ ...at(line, column, yamlMessage(error.code, error.message)) });
  }
  for (const warning of document.warnings) {
    const { line, column } = position(warning.pos[0]);
    problems.push({ file, line, column, message: yamlMessage(warning.code, warning.message), severity: 'warning' });
  }
  if (problems.some((problem) => problem.severity === 'error')) return { problems };

  const tooDeep = findTooDeep(document.contents, maxDepth);
  if (tooDeep) {
    const { line, column } = position(tooDeep.range?.[0] ?? 0);
    problems.push(at(line, column, tooDeepMessage(maxDepth)));
    return { problems };
  }

  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount });
  } catch (error) {
    const message = (error as Error).message;
    if (/alias/i.test(message)) {
      problems.push(
        at(
          1,
          1,
          `The file uses YAML aliases (*name) so many times that expanding them would exhaust memory (more than ${maxAliasCount} expansions); write the values out or use fewer aliases.`,
        ),
      );
    } else {
      problems.push(at(1, 1, `The YAML cannot be turned into values: ${message}`));
    }
    return { problems };
  }
  return { source: { file, text, document, lineCounter, value }, problems };
}

/** Reads a file (refusing one over the size limit before reading it) and parses it. */
export async function loadYamlFile(path: string, limits: Partial<YamlLimits> = {}): Promise<YamlParseResult & { text?: string }> {
  const maxBytes = limits.maxBytes ?? DEFAULT_YAML_LIMITS.maxBytes;
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    return { problems: [{ file: path, line: 1, column: 1, severity: 'error', message: `The file cannot be read: ${describeFsError(error)}.` }] };
  }
  if (size > maxBytes) {
    return {
      problems: [
        {
          file: path,
          line: 1,
          column: 1,
          severity: 'error',
          message: `The file is ${formatBytes(size)}; files larger than ${formatBytes(maxBytes)} are refused (is this really the file you meant?).`,
        },
      ],
    };
  }
  const text = await readYamlText(path);
  if (typeof text !== 'string') return { problems: [text] };
  return { ...parseYamlSource(text, path, limits), text };
}

/** Reads a file as UTF-8 text, or a Problem explaining why it cannot be. */
export async function readYamlText(path: string): Promise<string | Problem> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    return { file: path, line: 1, column: 1, severity: 'error', message: `The file cannot be read: ${describeFsError(error)}.` };
  }
  // Decoding would silently turn bad bytes into U+FFFD, and a runbook would run something else than
  // its reviewers read: refuse it, saying where.
  // NUL bytes are binary data, which the parser names as such.
  if (!isUtf8(bytes) && !bytes.includes(0)) {
    const at = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, at).toString('utf8');
    const lines = before.split('\n');
    return {
      file: path,
      line: lines.length,
      column: lines[lines.length - 1].length + 1,
      severity: 'error',
      message: `The file is not UTF-8 text (byte 0x${bytes[at].toString(16).padStart(2, '0')} here cannot be read); save it as UTF-8.`,
    };
  }
  return bytes.toString('utf8');
}

/**
 * Where the value at `path` was written. With `part: 'key'`, where its key was written (for
 * "unknown field" messages). When the path leads nowhere (a missing field), the position of the
 * deepest mapping or list that exists on the way — where the field should have been written.
 */
export function positionAt(source: YamlSource, path: YamlPath, part: 'value' | 'key' = 'value'): SourcePosition {
  let node: unknown = source.document.contents;
  let keyNode: unknown;
  let found: unknown = node;
  let depth = 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(source.document);
    let next: unknown;
    keyNode = undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (pair) {
        keyNode = pair.key;
        next = pair.value ?? pair.key;
      }
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
    }
    if (next === undefined || next === null) break;
    node = next;
    found = next;
    depth += 1;
  }
  const target = depth === path.length && part === 'key' && keyNode ? keyNode : found;
  const offset = (target as Node | undefined)?.range?.[0] ?? 0;
  const { line, col } = source.lineCounter.linePos(offset);
  return { file: source.file, line, column: col };
}

/** The position of a character offset in the text. */
export function positionOfOffset(source: YamlSource, offset: number): SourcePosition {
  const { line, col } = source.lineCounter.linePos(offset);
  return { file: source.file, line, column: col };
}

/**
 * The position of character `index` inside the string value at `path`, when the scalar is written on
 * one line (plain or quoted without escapes); otherwise the position of the value.
 */
export function positionInString(source: YamlSource, path: YamlPath, index: number): SourcePosition {
  const start = positionAt(source, path);
  const node: unknown = source.document.getIn(path as Array<string | number>, true);
  if (isAlias(node)) return start;
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return start;
  const written = source.text.slice(node.range[0], node.range[1]);
  if (node.type === 'BLOCK_LITERAL') return positionInBlockLiteral(source, written, node.range[0], node.value, index) ?? start;
  const quoteWidth = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : node.type === 'PLAIN' ? 0 : -1;
  if (quoteWidth < 0 || written.includes('\n') || written.length !== node.value.length + 2 * quoteWidth) return start;
  return { ...start, column: start.column + quoteWidth + index };
}

/**
 * In a literal block scalar (`|`), each line of the value is a line of the text after the header,
 * less the block's indentation: the position of character `index` of the value, or undefined when
 * the text does not read that way (an explicit indentation indicator, a tab, ...).
 */
function positionInBlockLiteral(source: YamlSource, written: string, offset: number, value: string, index: number): SourcePosition | undefined {
  const header = /^\|[+-]?[ \t]*(?:#[^\n]*)?\n/.exec(written);
  if (!header) return undefined;
  const body = written.slice(header[0].length);
  const indent = /^ */.exec(body.split('\n').find((line) => line.trim() !== '') ?? '')![0].length;
  const before = value.slice(0, index).split('\n');
  const lineIndex = before.length - 1;
  const bodyLine = body.split('\n')[lineIndex];
  if (bodyLine === undefined || bodyLine.slice(indent) !== value.split('\n')[lineIndex]) return undefined;
  const lineOffset =
    offset +
    header[0].length +
    body
      .split('\n')
      .slice(0, lineIndex)
      .reduce((sum, line) => sum + line.length + 1, 0);
  return positionOfOffset(source, lineOffset + indent + before[lineIndex].length);
}

/** Where a path is, for the start of a message: `steps[3].timeout`, or `the runbook` for the root. */
export function where(path: YamlPath): string {
  return path.length === 0 ? 'the runbook' : formatPath(path);
}

/** Writes a path the way messages show it: `steps[3].timeout`, `params.host.type`. */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Collects problems against one source file. */
export class ProblemCollector {
  readonly problems: Problem[] = [];
  constructor(readonly source: YamlSource) {}

  /** An error at the value (or, with part 'key', the key) at `path`. */
  error(path: YamlPath, message: string, part: 'value' | 'key' = 'value'): void {
    this.at(positionAt(this.source, path, part), message);
  }

  warning(path: YamlPath, message: string): void {
    this.at(positionAt(this.source, path), message, 'warning');
  }

  at(position: SourcePosition, message: string, severity: Problem['severity'] = 'error'): void {
    this.problems.push({ ...position, message, severity });
  }

  get errorCount(): number {
    return this.problems.filter((problem) => problem.severity === 'error').length;
  }
}

/** The closest of `candidates` to `word`, when close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const snake = word
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();
  if (snake !== word && candidates.includes(snake)) return snake;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.floor(word.length / 3));
  return bestDistance <= allowed ? best : undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

const LEXER_CONTROL_TOKENS = new Set([CST.DOCUMENT, CST.FLOW_END, CST.SCALAR]);

function tooDeepMessage(maxDepth: number): string {
  return `The YAML is nested more than ${maxDepth} levels deep here; no runbook or environment needs that.`;
}

/**
 * The offset of the first collection nested deeper than `maxDepth`, read from yaml's concrete syntax
 * tree (its lexer and parser keep their own stacks, so they do not recurse), walked without recursion.
 */
function findTooDeepInText(text: string, maxDepth: number): number | undefined {
  // Flow collections first, from the lexer's tokens: it stops at the first one too deep, where the
  // parser would read the whole text first.
  let offset = 0;
  let flowDepth = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      flowDepth += 1;
      if (flowDepth > maxDepth) return offset;
    } else if (token === ']' || token === '}') {
      flowDepth -= 1;
    }
    // The lexer's control tokens (document start, flow end, scalar) are not text of the source.
    if (!LEXER_CONTROL_TOKENS.has(token)) offset += token.length;
  }
  const stack: Array<{ token: CST.Token | undefined; depth: number }> = [];
  for (const token of new Parser().parse(text)) stack.push({ token, depth: 0 });
  while (stack.length > 0) {
    const { token, depth } = stack.pop()!;
    if (!token) continue;
    if (token.type === 'document') {
      stack.push({ token: token.value, depth });
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth >= maxDepth) return token.offset;
      for (const item of token.items) {
        if ('key' in item) stack.push({ token: item.key ?? undefined, depth: depth + 1 });
        stack.push({ token: item.value, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/** The first node deeper than `maxDepth`, found without recursion so depth itself cannot hurt. */
function findTooDeep(root: unknown, maxDepth: number): Node | undefined {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: root, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (isMap(node) || isSeq(node)) {
      if (depth >= maxDepth) return node;
      for (const item of node.items) {
        if (isPair(item)) {
          stack.push({ node: item.value, depth: depth + 1 });
          stack.push({ node: item.key, depth: depth + 1 });
        } else {
          stack.push({ node: item, depth: depth + 1 });
        }
      }
    }
  }
  return undefined;
}

function yamlMessage(code: string, message: string): string {
  const text = message.replace(/\s+at line \d+, column \d+[\s\S]*$/, '').trim();
  if (code === 'DUPLICATE_KEY') return 'This key is written twice in the same mapping; keep one.';
  if (code === 'MULTIPLE_DOCS') return 'The file holds several YAML documents (separated by ---); a file holds one.';
  if (code === 'RESOURCE_EXHAUSTION') return `The YAML is nested too deeply to read (${text}).`;
  if (code === 'TAB_AS_INDENT') return 'A tab is used for indentation; YAML indents with spaces.';
  return `YAML syntax: ${text}${/[.!?]$/.test(text) ? '' : '.'}`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'it does not exist';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return (error as Error)?.message ?? String(error);
}

/** Edit distance counting a swap of two neighbouring letters as one edit (a common typo). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }
  return rows[a.length][b.length];
}
