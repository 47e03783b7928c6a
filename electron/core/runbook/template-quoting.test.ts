/**
 * Security review, issue 11, item 7: a value stays literal text wherever its template sits in a
 * command (a word of its own, inside '…', inside "…", inside $( … ) in "…"), checked by running the
 * rendered command in dash (/bin/sh) and bash; a place where no rendering is safe is refused, by
 * validate with file:line:column and at run time; `| raw` on data is refused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunbook } from './parse';
import { commandTemplateProblems, raw, renderTemplate } from './template';

const sandbox = mkdtempSync(join(tmpdir(), 'opsdeck-quoting-'));
const canary = join(sandbox, 'pwned');
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

function run(shell: string, command: string): string {
  return execFileSync(shell, ['-c', command], { cwd: sandbox, encoding: 'utf8' });
}

const HOSTILE = [
  `'; touch ${canary}; echo '`,
  `"; touch ${canary}; echo "`,
  `$(touch ${canary})`,
  `\`touch ${canary}\``,
  `\${x:-$(touch ${canary})}`,
  `a\ntouch ${canary}\n`,
  `\\"; touch ${canary}; echo \\"`,
  `\\`,
  `'\\''`,
  `$HOME $((1+1)) !! * ?`,
  `) ; touch ${canary} ; (`,
  `esac; touch ${canary}; case x in x)`,
  '  spaces  ',
  '',
];

/** [where, template, what the command prints for value v] */
const PLACES: Array<[string, string, (v: string) => string]> = [
  ['a word of its own', 'printf %s {{ captures.v }}', (v) => v],
  ["inside '…'", "printf %s 'value={{ captures.v }};'", (v) => `value=${v};`],
  ['inside "…"', 'printf %s "value={{ captures.v }};"', (v) => `value=${v};`],
  ['inside "…" twice, with text between', 'printf %s "[{{ captures.v }}] [{{ captures.v }}]"', (v) => `[${v}] [${v}]`],
  ['glued to a word', 'printf %s pre{{ captures.v }}post', (v) => `pre${v}post`],
  ['in $( … ) inside "…"', 'printf %s "x$(printf %s {{ captures.v }})y"', (v) => `x${v.replace(/\n+$/, '')}y`],
  ['in "…" inside $( … ) inside "…"', 'printf %s "x$(printf %s "<{{ captures.v }}>")y"', (v) => `x<${v}>y`],
  ['after a case in $( … )', 'printf %s "$(case a in a) printf %s "{{ captures.v }}";; esac)"', (v) => v.replace(/\n+$/, '')],
  ['after a quoted ) in "…"', `printf %s ")'" "{{ captures.v }}" | tr -d "')"`, (v) => v.replace(/[')]/g, '')],
  ['after a here-document', "cat <<'EOF'\nbody 'x' \"y\nEOF\nprintf %s \"{{ captures.v }}\" >/dev/null; printf %s '{{ captures.v }}'", (v) => `body 'x' "y\n${v}`],
  ['after $((…)) and ${…}', 'n=$((1+2)); printf %s "${n}" {{ captures.v }}', (v) => `3${v}`],
  ['after a # glued to "$( … )"', `printf %s "$(printf a)"#'\n{{ captures.v }}'`, (v) => `a#\n${v}`],
  ['after a comment', "# a comment with a quote ' in it\nprintf %s {{ captures.v }}", (v) => v],
];

describe('commands render values as literal text in their quoting context', () => {
  for (const [where, template, expected] of PLACES) {
    it(`${where}: hostile values arrive byte-exact and run nothing, in dash and bash`, { timeout: 60_000 }, () => {
      expect(commandTemplateProblems(template)).toEqual([]);
      for (const value of HOSTILE) {
        const command = renderTemplate(template, { captures: { v: value } });
        for (const shell of ['/bin/sh', '/bin/bash']) {
          expect(run(shell, command), `${shell} -c ${JSON.stringify(command)}`).toBe(expected(value));
          expect(readdirSync(sandbox), `${shell} -c ${JSON.stringify(command)}`).toEqual([]);
        }
      }
    });
  }

  it('after [[ … ]] and let (bash), a value is placed as usual', () => {
    const template = 'n=1; let "n = n + 1"; [[ "$n" -eq 2 && "]]" == "]]" ]] && printf %s "<{{ captures.v }}>" {{ captures.v }}';
    expect(commandTemplateProblems(template)).toEqual([]);
    for (const value of HOSTILE) {
      expect(run('/bin/bash', renderTemplate(template, { captures: { v: value } }))).toBe(`<${value}>${value}`);
      expect(readdirSync(sandbox)).toEqual([]);
    }
  });

  it('a list in quotes is one text, its items separated by spaces', () => {
    const command = renderTemplate(`printf '<%s>' "{{ captures.v }}" '{{ captures.v }}' {{ captures.v }}`, { captures: { v: ["a'b", 'c"d', '$(x)'] } });
    expect(run('/bin/sh', command)).toBe(`<a'b c"d $(x)><a'b c"d $(x)><a'b><c"d><$(x)>`);
  });

  it('a preview renders whole: a known value is quoted for its place, an unknown one is marked', () => {
    const preview = renderTemplate(`echo "{{ params.p }} {{ captures.later }}" {{ params.p }}`, { params: { p: 'a"$b' } }, 'shell', {
      unresolved: (expression) => `⟨${expression.source}⟩`,
    });
    expect(preview).toBe(`echo "a\\"\\$b ⟨captures.later⟩" 'a"$b'`);
  });

  it('profile words are code, and what follows them is placed by the quotes they hold', () => {
    const scope = { env: { tool: raw("printf '%s|'"), opener: raw('printf %s "') }, captures: { v: '$(touch x)"' } };
    expect(run('/bin/sh', renderTemplate('{{ env.tool }} {{ captures.v }}', scope))).toBe('$(touch x)"|');
    expect(run('/bin/sh', renderTemplate('{{ env.opener }}{{ captures.v }}"', scope))).toBe('$(touch x)"');
    expect(existsSync(join(sandbox, 'x'))).toBe(false);
  });
});

/** [where, template, the phrase of the refusal] */
const REFUSED: Array<[string, string, string]> = [
  ['inside backticks', 'echo `echo {{ captures.v }}`', 'inside backticks'],
  ['inside backticks inside "…"', 'echo "`echo {{ captures.v }}`"', 'inside backticks'],
  ["inside $'…'", "echo $'{{ captures.v }}'", "inside $'…'"],
  ['inside ${…}', 'echo "${x:-{{ captures.v }}}"', 'inside ${…}'],
  ['inside $((…))', 'echo $(( {{ captures.v }} + 1 ))', 'arithmetic'],
  ['inside ((…))', '(( {{ captures.v }} > 1 )) && echo big', 'arithmetic'],
  ['inside a comment', 'true # {{ captures.v }}', 'comment'],
  ['inside [[ … ]], even quoted', '[[ 1 -eq "{{ captures.v }}" ]] && echo one', 'inside [[ … ]]'],
  ['an argument of let, even quoted', 'echo a; let "n = {{ captures.v }}"', 'argument of let'],
  ['inside a here-document body', 'cat <<EOF\n{{ captures.v }}\nEOF', 'here-document'],
  ['inside a quoted here-document body', "cat <<'EOF'\nx {{ captures.v }}\nEOF", 'here-document'],
  ['as a here-document delimiter', 'cat <<{{ captures.v }}\nx\n', 'ends a here-document'],
  ['after a backslash', 'echo \\{{ captures.v }}', 'follows a \\'],
  ['after a backslash inside "…"', 'echo "\\{{ captures.v }}"', 'follows a \\'],
  ['after a $', 'echo ${{ captures.v }}', 'follows a $'],
];

describe('places where no rendering is safe are refused', () => {
  it.each(REFUSED)('%s', (_, template, phrase) => {
    const problems = commandTemplateProblems(template);
    expect(problems).toHaveLength(1);
    expect(problems[0].offset).toBe(template.indexOf('{{'));
    expect(problems[0].message).toContain('{{ captures.v }} cannot be used here: it');
    expect(problems[0].message).toContain(phrase);
    expect(() => renderTemplate(template, { captures: { v: 'x' } })).toThrow(phrase);
  });

  it('| raw on parameters, captures and loop variables is refused; on env, run and host it is allowed', () => {
    for (const path of ['params.v', 'captures.v', 'instance.ID']) {
      const [problem] = commandTemplateProblems(`echo "{{ ${path} | raw }}"`);
      expect(problem.message).toBe(
        `{{ ${path} | raw }}: | raw would run this value as shell code, and values of parameters, captures and loop variables are data; remove | raw (the value is written as literal text wherever it sits: as a word, inside '…' or inside "…")`,
      );
      expect(() => renderTemplate(`echo {{ ${path} | raw }}`, { params: { v: 'x' }, captures: { v: 'x' }, locals: { instance: { ID: 'x' } } })).toThrow(
        '| raw would run this value',
      );
    }
    expect(commandTemplateProblems('{{ env.rabbitmqctl | raw }} {{ run.id | raw }} {{ host | raw }}')).toEqual([]);
  });
});

describe('validate refuses them with file:line:column', () => {
  it('in a one-line command and in a block command', () => {
    const text = [
      'id: t',
      'title: T',
      'params:',
      '  v: { type: string }',
      'steps:',
      '  - id: a',
      '    on: all',
      '    run: echo `id {{ params.v }}`',
      '  - id: b',
      '    on: all',
      '    run: |',
      '      echo ok',
      '      echo "value={{ params.v | raw }}"',
      '      # {{ params.v }}',
      '  - id: c',
      '    on: all',
      '    wait:',
      '      run: cat <<EOF',
      '      until: { exit: 0 }',
      '',
    ].join('\n');
    const problems = parseRunbook(text, 'rb.yaml').problems.map((problem) => `${problem.line}:${problem.column} ${problem.message}`);
    expect(problems).toEqual([
      '8:19 steps[0].run: {{ params.v }} cannot be used here: it sits inside backticks `…`, where quoting cannot be relied on; write $( … ) instead.',
      '13:19 steps[1].run: {{ params.v | raw }}: | raw would run this value as shell code, and values of parameters, captures and loop variables are data; remove | raw (the value is written as literal text wherever it sits: as a word, inside \'…\' or inside "…").',
      '14:9 steps[1].run: {{ params.v }} cannot be used here: it sits inside a shell comment (#…), which a value holding a line break would end; take it out of the comment.',
    ]);
  });
});
