/**
 * Where a template sits in a shell command, read the way a POSIX shell (sh, bash) reads it, so that
 * ./template.ts can render each value as literal text in that place:
 *
 * - `unquoted` (a word of its own, or part of one): `echo {{ v }}`, `f={{ v }}.gz`, inside `$( … )`;
 * - `single`, inside `'…'`: `echo 'value={{ v }}'`;
 * - `double`, inside `"…"`: `echo "value={{ v }}"`, also in `"$( … "…" )"` and so on.
 *
 * Any other place is refused with a sentence saying why, because no rendering keeps a value literal
 * there (or this reader cannot tell for sure what the shell will do): inside backticks, `$'…'`,
 * `${…}`, arithmetic `$(( … ))` / `(( … ))` / `[[ … ]]` / `let` (bash evaluates arithmetic there even
 * from quoted text, and arithmetic can run commands: `[[ 1 -eq 'a[$(id)]' ]]`), a comment, a
 * here-document (body or delimiter), or directly after a `\` or a `$`.
 *
 * The command is read with every value replaced by a placeholder: a rendered value never changes the
 * syntax around it (that is the point), so where one value sits does not depend on another. Text that
 * IS syntax (the `{{ "{{" }}` literal, trusted profile words) is read as part of the command.
 */

export type ShellQuoteContext = 'unquoted' | 'single' | 'double';

/** Where one template sits: a context to render in, or the reason it cannot be rendered there. */
export type ShellPlacement = { context: ShellQuoteContext } | { refusal: string };

/** A piece of a command: text that is shell syntax, or a value (a placeholder, by its index). */
export type CommandPiece = { syntax: string } | { value: number };

type Frame =
  | {
      kind: 'code';
      /** `)` for a `$( … )`, undefined for the command itself. */
      closer?: ')';
      /** Open `(` not yet closed, inside this frame. */
      parens: number;
      /** `case` words not yet closed by `esac`: a `)` there ends a pattern, not a `$(`. */
      cases: number;
      /** In the arguments of `let`, which evaluates them as arithmetic. */
      letCommand?: boolean;
    }
  | { kind: 'test' }
  | { kind: 'double' }
  | { kind: 'single' }
  | { kind: 'ansi' }
  | { kind: 'backtick' }
  | { kind: 'brace'; depth: number }
  | { kind: 'arith'; depth: number }
  | { kind: 'comment' };

const REFUSALS: Record<Exclude<Frame['kind'], 'code' | 'double' | 'single'>, string> = {
  ansi: "it sits inside $'…', where the shell decodes backslash escapes in it; use '…' or \"…\"",
  backtick: 'it sits inside backticks `…`, where quoting cannot be relied on; write $( … ) instead',
  brace: 'it sits inside ${…}; assign the value to a shell variable first (v={{ … }}) and use ${v…}',
  arith: 'it sits inside $(( … )) or (( … )), where the shell evaluates text as arithmetic (which can run commands); assign it to a shell variable first',
  comment: 'it sits inside a shell comment (#…), which a value holding a line break would end; take it out of the comment',
  test: 'it sits inside [[ … ]], where bash evaluates the operands of -eq, -lt and the like as arithmetic (which can run commands, even from quoted text); use [ … ] instead',
};
const IN_LET = 'it is an argument of let, which evaluates it as arithmetic (which can run commands, even from quoted text); compare with [ … ] instead';
const AFTER_BACKSLASH = "it follows a \\ directly, which would take the value's first character out of its quoting; remove the \\";
const AFTER_DOLLAR = 'it follows a $ directly, which would make the shell read the value as syntax; remove the $ or put a space after it';
const IN_HEREDOC = 'it sits inside a here-document (<<…), where a value cannot be kept literal; pass it as an argument or through printf instead';
const HEREDOC_WORD = 'it is part of the word that ends a here-document (<<…); write that word out';

/** Characters that end a word in code. */
const METACHARACTERS = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);
/** Words after which a command (such as `case` or `esac`) can start. */
const COMMAND_PREFIXES = new Set(['then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', '{', '}', 'time', 'in']);

/**
 * The placement of every value of `pieces`, by value index. Malformed quoting (an unclosed quote) is
 * not reported here: the shell reports it when the command runs.
 */
export function shellPlacements(pieces: CommandPiece[]): Map<number, ShellPlacement> {
  // One string with one placeholder character per value; `holes` says which positions are values.
  let text = '';
  const holes = new Map<number, number>();
  for (const piece of pieces) {
    if ('syntax' in piece) {
      text += piece.syntax;
    } else {
      holes.set(text.length, piece.value);
      text += 'x';
    }
  }
  return new CommandReader(text, holes).read();
}

class CommandReader {
  private readonly placements = new Map<number, ShellPlacement>();
  private readonly stack: Frame[] = [{ kind: 'code', parens: 0, cases: 0 }];
  private position = 0;
  /** The word being read in code, and whether a command can start with it. */
  private word = '';
  private inWord = false;
  private commandStart = true;
  private heredocs: Array<{ delimiter: string; stripTabs: boolean }> = [];

  constructor(
    private readonly text: string,
    private readonly holes: Map<number, number>,
  ) {}

  read(): Map<number, ShellPlacement> {
    while (this.position < this.text.length) {
      const frame = this.stack[this.stack.length - 1];
      if (this.holes.has(this.position)) {
        this.place(this.position, this.contextOf(frame));
        if (frame.kind === 'code') this.wordChar('x');
        this.position += 1;
        continue;
      }
      switch (frame.kind) {
        case 'code':
          this.code(frame);
          break;
        case 'test':
          this.test();
          break;
        case 'single':
          if (this.text[this.position] === "'") this.stack.pop();
          this.position += 1;
          break;
        case 'double':
          this.double();
          break;
        case 'ansi':
        case 'backtick': {
          const c = this.text[this.position];
          if (c === '\\') this.position += 2;
          else {
            if ((frame.kind === 'ansi' && c === "'") || (frame.kind === 'backtick' && c === '`')) this.stack.pop();
            this.position += 1;
          }
          break;
        }
        case 'brace': {
          const c = this.text[this.position];
          if (c === '\\') this.position += 1;
          else if (c === '{') frame.depth += 1;
          else if (c === '}') {
            if (frame.depth === 0) this.stack.pop();
            else frame.depth -= 1;
          }
          this.position += 1;
          break;
        }
        case 'arith': {
          const c = this.text[this.position];
          if (c === '(') frame.depth += 1;
          else if (c === ')') {
            if (frame.depth === 0 && this.text[this.position + 1] === ')') {
              this.stack.pop();
              this.position += 1;
            } else if (frame.depth > 0) frame.depth -= 1;
          }
          this.position += 1;
          break;
        }
        case 'comment':
          // The line break itself is code: it ends the command and may start here-documents.
          if (this.text[this.position] === '\n') this.stack.pop();
          else this.position += 1;
          break;
      }
    }
    return this.placements;
  }

  private contextOf(frame: Frame): ShellPlacement {
    // Quotes do not protect a value from the arithmetic of [[ … ]] around them (up to the nearest
    // command, a $( … ) inside the test being one of its own).
    for (let index = this.stack.length - 1; index >= 0; index -= 1) {
      const around = this.stack[index];
      if (around.kind === 'test') return { refusal: REFUSALS.test };
      if (around.kind === 'code') {
        if (around.letCommand) return { refusal: IN_LET };
        break;
      }
    }
    switch (frame.kind) {
      case 'code':
        return { context: 'unquoted' };
      case 'double':
        return { context: 'double' };
      case 'single':
        return { context: 'single' };
      default:
        return { refusal: REFUSALS[frame.kind] };
    }
  }

  private place(at: number, placement: ShellPlacement): void {
    const index = this.holes.get(at);
    if (index !== undefined && !this.placements.has(index)) this.placements.set(index, placement);
  }

  /** A `\` escapes the next character; a value right after it is refused. Moves past both. */
  private escape(): void {
    if (this.holes.has(this.position + 1)) this.place(this.position + 1, { refusal: AFTER_BACKSLASH });
    this.position += 2;
  }

  /** `$` at the current position, in code or inside "…". */
  private dollar(): void {
    const next = this.text[this.position + 1];
    if (this.holes.has(this.position + 1)) {
      this.place(this.position + 1, { refusal: AFTER_DOLLAR });
      this.position += 2;
    } else if (next === "'" && this.stack[this.stack.length - 1].kind === 'code') {
      this.stack.push({ kind: 'ansi' });
      this.position += 2;
    } else if (next === '(' && this.text[this.position + 2] === '(') {
      this.stack.push({ kind: 'arith', depth: 0 });
      this.position += 3;
    } else if (next === '(') {
      this.stack.push({ kind: 'code', closer: ')', parens: 0, cases: 0 });
      this.inWord = false;
      this.commandStart = true;
      this.position += 2;
    } else if (next === '{') {
      this.stack.push({ kind: 'brace', depth: 0 });
      this.position += 2;
    } else {
      this.position += 1;
    }
  }

  /** Inside `[[ … ]]`: quotes and substitutions as in code, up to the closing `]]`. */
  private test(): void {
    const c = this.text[this.position];
    if (c === '\\') this.escape();
    else if (c === "'") {
      this.stack.push({ kind: 'single' });
      this.position += 1;
    } else if (c === '"') {
      this.stack.push({ kind: 'double' });
      this.position += 1;
    } else if (c === '`') {
      this.stack.push({ kind: 'backtick' });
      this.position += 1;
    } else if (c === '$') this.dollar();
    else if (this.text.startsWith(']]', this.position) && this.endsWord(this.position + 2)) {
      this.stack.pop();
      this.position += 2;
      this.inWord = true;
      this.word = ']]';
      this.commandStart = false;
    } else this.position += 1;
  }

  private endsWord(at: number): boolean {
    return at >= this.text.length || METACHARACTERS.has(this.text[at]);
  }

  private double(): void {
    const c = this.text[this.position];
    if (c === '\\') this.escape();
    else if (c === '"') {
      this.stack.pop();
      this.position += 1;
      // A quoted part is part of a word: a # right after it starts no comment.
      this.inWord = true;
    } else if (c === '`') {
      this.stack.push({ kind: 'backtick' });
      this.position += 1;
    } else if (c === '$') this.dollar();
    else this.position += 1;
  }

  private code(frame: Extract<Frame, { kind: 'code' }>): void {
    const c = this.text[this.position];
    if (METACHARACTERS.has(c)) this.endWord(frame);
    switch (c) {
      case '\\':
        this.wordChar(c);
        this.escape();
        return;
      case "'":
        this.wordChar(c);
        this.stack.push({ kind: 'single' });
        this.position += 1;
        return;
      case '"':
        this.wordChar(c);
        this.stack.push({ kind: 'double' });
        this.position += 1;
        return;
      case '`':
        this.wordChar(c);
        this.stack.push({ kind: 'backtick' });
        this.position += 1;
        return;
      case '$':
        this.wordChar(c);
        this.dollar();
        return;
      case '#':
        if (!this.inWord) {
          this.stack.push({ kind: 'comment' });
          this.position += 1;
          return;
        }
        break;
      case '\n':
        this.commandStart = true;
        frame.letCommand = false;
        this.position += 1;
        this.heredocBodies();
        return;
      case ';':
      case '&':
      case '|':
        this.commandStart = true;
        frame.letCommand = false;
        break;
      case '<':
        if (this.text[this.position + 1] === '<') {
          if (this.text[this.position + 2] === '<') this.position += 3;
          else this.heredocOperator();
          return;
        }
        break;
      case '(':
        if (this.commandStart && this.text[this.position + 1] === '(') {
          this.stack.push({ kind: 'arith', depth: 0 });
          this.position += 2;
          return;
        }
        frame.parens += 1;
        this.commandStart = true;
        break;
      case ')':
        if (frame.parens > 0) frame.parens -= 1;
        else if (frame.cases === 0 && frame.closer === ')') {
          this.stack.pop();
          this.position += 1;
          // The `$( … )` was one word (or part of one) of the frame around it.
          this.inWord = this.stack[this.stack.length - 1].kind === 'code';
          this.word = '$()';
          this.commandStart = false;
          return;
        }
        // Else the end of a case pattern: a command follows.
        this.commandStart = true;
        break;
      default:
        if (!this.inWord && this.commandStart && this.text.startsWith('[[', this.position) && this.endsWord(this.position + 2)) {
          this.stack.push({ kind: 'test' });
          this.position += 2;
          return;
        }
        if (!METACHARACTERS.has(c)) this.wordChar(c);
    }
    this.position += 1;
  }

  private wordChar(c: string): void {
    if (!this.inWord) {
      this.inWord = true;
      this.word = '';
    }
    this.word += c;
  }

  private endWord(frame: Extract<Frame, { kind: 'code' }>): void {
    if (!this.inWord) return;
    this.inWord = false;
    if (this.commandStart) {
      if (this.word === 'let') frame.letCommand = true;
      if (this.word === 'case') frame.cases += 1;
      else if (this.word === 'esac' && frame.cases > 0) frame.cases -= 1;
    }
    this.commandStart = COMMAND_PREFIXES.has(this.word);
  }

  /** `<<word` or `<<-word` at the current position: the body starts at the next line. */
  private heredocOperator(): void {
    let at = this.position + 2;
    const stripTabs = this.text[at] === '-';
    if (stripTabs) at += 1;
    while (this.text[at] === ' ' || this.text[at] === '\t') at += 1;
    let delimiter = '';
    let quote: string | undefined;
    while (at < this.text.length) {
      const c = this.text[at];
      if (this.holes.has(at)) this.place(at, { refusal: HEREDOC_WORD });
      if (quote) {
        if (c === quote) quote = undefined;
        else delimiter += c;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === '\\') {
        at += 1;
        delimiter += this.text[at] ?? '';
      } else if (METACHARACTERS.has(c)) break;
      else delimiter += c;
      at += 1;
    }
    this.heredocs.push({ delimiter, stripTabs });
    this.position = at;
  }

  /** After a line break: the bodies of the here-documents started on the line before. */
  private heredocBodies(): void {
    for (const { delimiter, stripTabs } of this.heredocs) {
      while (this.position < this.text.length) {
        let end = this.text.indexOf('\n', this.position);
        if (end < 0) end = this.text.length;
        for (let at = this.position; at < end; at += 1) if (this.holes.has(at)) this.place(at, { refusal: IN_HEREDOC });
        const line = this.text.slice(this.position, end);
        this.position = end + 1;
        if ((stripTabs ? line.replace(/^\t+/, '') : line) === delimiter) break;
      }
    }
    this.heredocs = [];
  }
}

/** `text` as literal text in `context`: one quoted word unquoted, escaped text inside '…' or "…". */
export function quoteFor(context: ShellQuoteContext, text: string): string {
  switch (context) {
    case 'unquoted':
      return `'${text.replace(/'/g, `'\\''`)}'`;
    case 'single':
      // Close the quote, write an escaped ', open it again.
      return text.replace(/'/g, `'\\''`);
    case 'double':
      // Inside "…" only \ $ ` " are special (and ! in an interactive bash, which commands are not).
      return text.replace(/[\\$`"]/g, '\\$&');
  }
}
