/**
 * Secret masking for everything the audit trail writes or shows: journal events, transcripts, exports.
 *
 * A {@link Masker} knows two kinds of secrets:
 * - literal values it was given (parameters marked secret, environment secrets, key passphrases),
 *   masked wherever they occur, whatever their length (an empty value is ignored);
 * - patterns that reveal a secret by its context (`--password=…`, `OS_PASSWORD=…`, `user:pass@host`,
 *   private key blocks…), masked even when nobody told OpsDeck the value.
 *
 * The masked text keeps a visible marker, {@link MASK}, so a reader knows something was there.
 * Masking is idempotent: masking masked text changes nothing.
 */

/** What a masked secret is replaced with. */
export const MASK = '********';

/** Keys of objects whose values are secrets, whatever the value looks like. */
const SECRET_KEY = /passw(?:or)?d|passphrase|secret|token|credential|private_?key|api_?key|(?:^|[_.-])pass$/i;
/** `sshPass`, `dbPass`: camelCase keys ending in Pass. */
const SECRET_KEY_CAMEL = /[a-z0-9]Pass$/;

/** A shell variable reference (`$OS_PASSWORD`, `${DB_PASS}`) names a secret without revealing it. */
const VARIABLE_REFERENCE = /^["']?\$\{?[A-Za-z_][A-Za-z0-9_]*\}?["']?$/;

/** A value as a command line or a config file writes it: quoted, or up to the next blank or separator. */
const VALUE = String.raw`(?:'[^'\n]*'|"[^"\n]*"|[^\s'";&|)]+)`;
const SECRET_WORD = String.raw`(?:password|passwd|passphrase|secret|token)`;
/** {@link SECRET_WORD} for regexes that must stay case-sensitive elsewhere. */
const SECRET_WORD_ANY_CASE = String.raw`(?:[Pp]ass(?:word|wd|phrase)|PASS(?:WORD|WD|PHRASE)|[Ss]ecret|SECRET|[Tt]oken|TOKEN)`;

interface Pattern {
  name: string;
  regex: RegExp;
  /** Index of the capture group holding the secret; the other groups are kept as they are. */
  group?: number;
  /** For patterns that need more than one group: the replacement of the whole match. */
  replace?: (match: string) => string;
}

/**
 * Masks the password of every `user:password@host` in a URL's authority; transport URLs list several
 * hosts separated by commas. The password runs to the last `@` of its host entry (a raw `@` in it is
 * invalid but seen in the wild).
 */
function maskUrlCredentials(url: string): string {
  const schemeEnd = url.indexOf('://') + 3;
  const slash = url.indexOf('/', schemeEnd);
  const authorityEnd = slash < 0 ? url.length : slash;
  const authority = url
    .slice(schemeEnd, authorityEnd)
    .split(',')
    .map((entry) => {
      const at = entry.lastIndexOf('@');
      const colon = entry.indexOf(':');
      if (at < 0 || colon < 0 || colon > at) return entry;
      return entry.slice(0, colon + 1) + (entry.slice(colon + 1, at) === '' ? '' : MASK) + entry.slice(at);
    })
    .join(',');
  return url.slice(0, schemeEnd) + authority + url.slice(authorityEnd);
}

/**
 * Context patterns. Each regex's groups are (prefix…, value, suffix?): everything but `group` is kept.
 * They are line-local on purpose: the stream masker releases whole lines.
 */
const PATTERNS: Pattern[] = [
  {
    // `password = secret value` in an ini/yaml/json config line: the value runs to the end of the line.
    name: 'config line',
    // Not `OS_PASSWORD=x openstack …`: an upper-case name glued to `=` is a shell assignment, whose
    // value ends at the first blank (the assignment pattern below).
    regex: new RegExp(String.raw`^([ \t]*(?![A-Z0-9_]+=)["']?[\w.-]*${SECRET_WORD_ANY_CASE}[\w.-]*["']?[ \t]*[=:][ \t]*)(\S(?:[^\n]*\S)?)`, 'gm'),
    group: 2,
  },
  {
    // `OS_PASSWORD=…`, `export OS_TOKEN=…`, `--password=…`, `db_password=…` anywhere in a line.
    name: 'assignment',
    regex: new RegExp(String.raw`(?<![\w.-])([\w.-]*${SECRET_WORD}[\w.-]*[ \t]*=[ \t]*)(${VALUE})`, 'gi'),
    group: 2,
  },
  {
    // `--password secret`, `--os-password secret`, `--os-token gAAAA…` (not `--password --next-flag`).
    name: 'option',
    regex: new RegExp(String.raw`((?:^|[\s'"])--[\w-]*${SECRET_WORD}[\w-]*[ \t]+)((?!-)${VALUE})`, 'gim'),
    group: 2,
  },
  {
    // mysql-family clients take the password glued to -p: `mysql -uroot -pS3cret`. `-p secret` is not a
    // password there (it prompts, and `secret` is the database), and `-p` elsewhere means other things.
    name: 'mysql -p',
    // Case-sensitive: `-P3306` is the port.
    regex: new RegExp(String.raw`(\b(?:mysql|mariadb)[\w-]*\b[^\n;&|]*?\s-p)(${VALUE})`, 'g'),
    group: 2,
  },
  {
    // `rabbit://user:pass@host:5672,user:pass@host2/`, `mysql+pymysql://nova:pass@db/nova`.
    name: 'url credentials',
    regex: /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]*@[^\s'"<>]*/gi,
    replace: maskUrlCredentials,
  },
  {
    name: 'token header',
    regex: /(\bX-(?:Auth|Subject|Service)-Token[ \t]*:[ \t]*)([^\s'"]+)/gi,
    group: 2,
  },
  {
    name: 'authorization header',
    regex: /(\bAuthorization[ \t]*:[ \t]*(?:Bearer|Basic|Token)[ \t]+)([^\s'"]+)/gi,
    group: 2,
  },
  {
    // rabbitmqctl add_user NAME PASS / change_password NAME PASS.
    name: 'rabbitmqctl',
    regex: new RegExp(String.raw`(\b(?:add_user|change_password)[ \t]+${VALUE}[ \t]+)(${VALUE})`, 'gi'),
    group: 2,
  },
  {
    // SQL: CREATE USER … IDENTIFIED BY 'pass', GRANT … IDENTIFIED BY 'pass'.
    name: 'identified by',
    regex: new RegExp(String.raw`(\bIDENTIFIED[ \t]+BY[ \t]+(?:PASSWORD[ \t]+)?)(${VALUE})`, 'gi'),
    group: 2,
  },
];

/**
 * Every pattern above needs one of these words (case-insensitively) or `://` to match: a text without
 * any skips the patterns. Looking for them is several times cheaper than the nine patterns, and bulk
 * command output rarely contains them. A new pattern must add its word here (mask.test.ts checks).
 */
export const PATTERN_TRIGGER_WORDS: readonly string[] = ['pass', 'secret', 'token', 'mysql', 'mariadb', 'add_user', 'authorization', 'identified', '://'];

/**
 * True when `text` contains a {@link PATTERN_TRIGGER_WORDS} word in any case. Lower-casing once and
 * searching with indexOf is ~2.5x faster than one case-insensitive alternation over the same text
 * (bench/, case 3); it finds at least what that regex finds (ASCII letters fold the same way, and a
 * non-ASCII character that lower-cases to ASCII only adds a harmless second look).
 */
export function hasPatternTrigger(text: string): boolean {
  const lower = text.toLowerCase();
  for (const word of PATTERN_TRIGGER_WORDS) if (lower.includes(word)) return true;
  return false;
}

/** Texts shorter than this are not remembered as clean: masking them again is as cheap as looking. */
const CLEAN_MEMO_MIN_LENGTH = 1024;
/** How many clean texts a masker remembers (the runner, the journal and a transcript mask each chunk in turn). */
const CLEAN_MEMO_SIZE = 4;

const KEY_BEGIN = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----/;
const KEY_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----/;

/** Stream masking holds an incomplete last line back up to this many characters. */
const TAIL_LIMIT = 4096;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function maskToken(value: string): string {
  if (VARIABLE_REFERENCE.test(value)) return value;
  const quote = value[0];
  if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
    return quote + MASK + quote;
  }
  // A config value written as JSON keeps its trailing comma so the text stays readable.
  const json = /^(["'])(.*)\1(,?)$/.exec(value);
  if (json) return json[1] + MASK + json[1] + json[3];
  return MASK;
}

/** The state a stream masker carries between chunks. */
interface KeyBlockState {
  inKeyBlock: boolean;
}

/**
 * Masks secrets in text. Immutable: {@link Masker.with} returns a new masker with more secrets.
 */
export class Masker {
  private readonly secrets: string[];
  /**
   * The last few long texts {@link maskLine} returned unchanged. maskLine is a pure function, so the
   * same text is clean again: the journal and the transcript, which mask what the runner already masked,
   * find each chunk here instead of scanning it twice more. Not observable from outside.
   */
  private readonly cleanTexts: string[] = [];
  private readonly secretRegex: RegExp | null;
  /** Length of the longest single-line secret, and of the longest secret spanning lines. */
  readonly longestSecret: number;
  private readonly longestMultilineSecret: number;

  constructor(secrets: Iterable<string | null | undefined> = []) {
    const unique = new Set<string>();
    for (const secret of secrets) {
      // An empty secret would match between every two characters and mask everything.
      if (typeof secret === 'string' && secret.length > 0) unique.add(secret);
      // A value quoted in a config file or trimmed by a shell still has to be found.
      if (typeof secret === 'string' && secret.trim().length > 0 && secret.trim() !== secret) unique.add(secret.trim());
    }
    // Longest first, so a secret that contains another is masked whole.
    this.secrets = [...unique].sort((a, b) => b.length - a.length);
    this.secretRegex = this.secrets.length ? new RegExp(this.secrets.map(escapeRegExp).join('|'), 'g') : null;
    this.longestSecret = this.secrets.reduce((max, s) => Math.max(max, s.length), 0);
    this.longestMultilineSecret = this.secrets.filter((s) => s.includes('\n')).reduce((max, s) => Math.max(max, s.length), 0);
  }

  /** A masker that also masks `more`. */
  with(more: Iterable<string | null | undefined>): Masker {
    return new Masker([...this.secrets, ...more]);
  }

  /** The text with every known secret and every secret-looking value replaced by {@link MASK}. */
  mask(text: string): string {
    if (text.length === 0) return text;
    return this.maskBlocks(text, { inKeyBlock: false });
  }

  /**
   * A deep copy of `value` with strings masked and the values of secret-looking keys (`password`,
   * `token`, `secret`, `passphrase`…) replaced by {@link MASK}. Booleans and nulls under such keys are
   * kept (`passwordSet: false` reveals nothing).
   */
  maskValue<T>(value: T): T {
    return this.maskAny(value, false, 0) as T;
  }

  /** A masker for a stream of text chunks: a secret split across chunks is still masked. */
  createStreamMasker(): StreamMasker {
    return new StreamMasker(this);
  }

  /** @internal Masks literal secrets and patterns in text outside private key blocks. */
  maskLine(text: string): string {
    const memorable = text.length >= CLEAN_MEMO_MIN_LENGTH;
    if (memorable && this.cleanTexts.includes(text)) return text;
    // includes() first: a native search per secret is far cheaper than the alternation over clean text.
    let result = this.secretRegex && this.secrets.some((secret) => text.includes(secret)) ? text.replace(this.secretRegex, MASK) : text;
    if (hasPatternTrigger(result)) result = this.maskPatterns(result);
    if (memorable && result === text) {
      this.cleanTexts.unshift(text);
      if (this.cleanTexts.length > CLEAN_MEMO_SIZE) this.cleanTexts.pop();
    }
    return result;
  }

  private maskPatterns(text: string): string {
    let result = text;
    for (const pattern of PATTERNS) {
      pattern.regex.lastIndex = 0;
      if (!pattern.regex.test(result)) continue;
      pattern.regex.lastIndex = 0;
      const replace = pattern.replace;
      if (replace) {
        result = result.replace(pattern.regex, (match) => replace(match));
        continue;
      }
      result = result.replace(pattern.regex, (...args: unknown[]) => {
        const groups = args.slice(1, -2).filter((g): g is string | undefined => typeof g === 'string' || g === undefined);
        return groups.map((g, index) => (index === (pattern.group ?? 1) - 1 ? maskToken(g ?? '') : (g ?? ''))).join('');
      });
    }
    return result;
  }

  /** @internal Masks text, replacing private key bodies; `state` carries an open block across chunks. */
  maskBlocks(text: string, state: KeyBlockState): string {
    let out = '';
    let rest = text;
    for (;;) {
      if (state.inKeyBlock) {
        const end = KEY_END.exec(rest);
        if (!end) return out;
        out += end[0];
        rest = rest.slice(end.index + end[0].length);
        state.inKeyBlock = false;
        continue;
      }
      const begin = KEY_BEGIN.exec(rest);
      if (!begin) return out + this.maskLine(rest);
      out += this.maskLine(rest.slice(0, begin.index)) + begin[0] + '\n' + MASK + '\n';
      rest = rest.slice(begin.index + begin[0].length);
      state.inKeyBlock = true;
    }
  }

  /** @internal How much of a stream's tail must be held back so a secret split across chunks is seen. */
  holdBack(): { single: number; multiline: number } {
    return { single: Math.max(this.longestSecret - 1, 0), multiline: Math.max(this.longestMultilineSecret - 1, 0) };
  }

  /** @internal Where a literal secret overlaps `cut` in `text`, the start of that occurrence; else `cut`. */
  secretStartBefore(text: string, cut: number): number {
    if (!this.secretRegex) return cut;
    const regex = new RegExp(this.secretRegex.source, 'g');
    let match: RegExpExecArray | null;
    let safe = cut;
    while ((match = regex.exec(text))) {
      if (match.index >= cut) break;
      if (match.index + match[0].length > cut) safe = Math.min(safe, match.index);
    }
    return safe;
  }

  private maskAny(value: unknown, secretKey: boolean, depth: number): unknown {
    if (depth > 64) return MASK;
    if (typeof value === 'string') return secretKey && value.length > 0 ? maskToken(value) : this.mask(value);
    if (typeof value === 'number' || typeof value === 'bigint') return secretKey ? MASK : value;
    if (Array.isArray(value)) return value.map((item) => this.maskAny(item, secretKey, depth + 1));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        out[key] = this.maskAny(item, secretKey || isSecretKey(key), depth + 1);
      }
      return out;
    }
    return value;
  }
}

/**
 * Masks a stream of text chunks. Whole lines are released as soon as they are complete; the incomplete
 * last line is held back (patterns need the whole line) until it completes, until {@link flush}, or
 * until it grows past 4 KiB — then all but the last (longest secret − 1) characters are released, never
 * cutting through a known secret. A private key block opened in one chunk stays masked until its END
 * line, however many chunks later.
 */
export class StreamMasker {
  private pending = '';
  private readonly state: KeyBlockState = { inKeyBlock: false };

  constructor(private readonly masker: Masker) {}

  /** Characters held back, waiting for the rest of their line. */
  get pendingLength(): number {
    return this.pending.length;
  }

  /** Masks what can be released of `chunk` (plus what was held); may return ''. */
  push(chunk: string): string {
    if (chunk.length === 0) return '';
    this.pending += chunk;
    const text = this.pending;
    const { single, multiline } = this.masker.holdBack();
    let cut = text.lastIndexOf('\n') + 1;
    if (multiline > 0 && cut > text.length - multiline) {
      // A secret spanning lines may start in the last released line: hold whole lines back too.
      const limit = Math.max(text.length - multiline, 0);
      cut = text.lastIndexOf('\n', limit - 1) + 1;
    }
    if (text.length - cut > TAIL_LIMIT) {
      // A long line without a newline (progress bars, binary noise): release most of it.
      cut = Math.max(cut, text.length - Math.max(single, 256));
      cut = this.masker.secretStartBefore(text, cut);
      const code = text.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    }
    if (cut <= 0) return '';
    this.pending = text.slice(cut);
    return this.masker.maskBlocks(text.slice(0, cut), this.state);
  }

  /** Masks and releases everything held back. */
  flush(): string {
    const text = this.pending;
    this.pending = '';
    return text ? this.masker.maskBlocks(text, this.state) : '';
  }
}

/** True when an object key names a secret (`password`, `os_token`, `keyPassphrase`…). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || SECRET_KEY_CAMEL.test(key);
}
