import { describe, expect, it } from 'vitest';
import { didYouMean, parseYamlSource, positionAt, positionInString } from './yaml-source';

const errorsOf = (text: string) => parseYamlSource(text, 'f.yaml').problems.filter((problem) => problem.severity === 'error');

describe('parseYamlSource', () => {
  it('gives values and finds the position of any path, following aliases', () => {
    const text = 'base: &b\n  port: 22\nhosts:\n  - name: c1\n    ssh: *b\n  - name: "c2"\n';
    const { source, problems } = parseYamlSource(text, 'f.yaml');
    expect(problems).toEqual([]);
    expect(source!.value).toEqual({ base: { port: 22 }, hosts: [{ name: 'c1', ssh: { port: 22 } }, { name: 'c2' }] });
    expect(positionAt(source!, ['hosts', 1, 'name'])).toEqual({ file: 'f.yaml', line: 6, column: 11 });
    expect(positionAt(source!, ['hosts', 1, 'name'], 'key')).toEqual({ file: 'f.yaml', line: 6, column: 5 });
    expect(positionAt(source!, ['hosts', 0, 'ssh', 'port'])).toMatchObject({ line: 2, column: 9 });
    // A missing field points at where it should have been written: its mapping.
    expect(positionAt(source!, ['hosts', 0, 'user'])).toMatchObject({ line: 4, column: 5 });
    expect(positionInString(source!, ['hosts', 1, 'name'], 1)).toMatchObject({ line: 6, column: 13 });
  });

  it('reports every syntax error, not just the first', () => {
    const problems = errorsOf('a: [1, 2\nb: "x\nc: 1\n');
    expect(problems.length).toBeGreaterThanOrEqual(2);
    expect(problems.every((problem) => problem.line >= 1 && problem.column >= 1)).toBe(true);
    expect(problems[0].message).toMatch(/^YAML syntax: /);
  });

  it('refuses files over the size limit with a clear message', () => {
    const [problem] = errorsOf(`a: "${'x'.repeat(2 * 1024 * 1024)}"\n`);
    expect(problem).toMatchObject({ line: 1, column: 1 });
    expect(problem.message).toContain('larger than 2.0 MiB are refused');
  });

  it('refuses binary data', () => {
    const [problem] = errorsOf('a: 1\nb: x\0y\n');
    expect(problem).toMatchObject({ line: 2, column: 5 });
    expect(problem.message).toContain('binary data');
  });

  it('refuses an alias bomb without expanding it', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let level = 1; level < 9; level += 1) {
      const previous = String.fromCharCode(96 + level);
      const current = String.fromCharCode(97 + level);
      lines.push(`${current}: &${current} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    const started = Date.now();
    const problems = errorsOf(`${lines.join('\n')}\n`);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(problems[0].message).toContain('aliases');
  });

  it('refuses very deep nesting, block or flow, without crashing', () => {
    let block = '';
    for (let depth = 0; depth < 100; depth += 1) block += `${'  '.repeat(depth)}k:\n`;
    expect(errorsOf(block)[0].message).toContain('nested more than 64 levels');
    const flow = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const problems = errorsOf(flow);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0].message).toMatch(/nested too deeply|nested more than/);
  });

  it('reports duplicate keys and several documents', () => {
    expect(errorsOf('a: 1\na: 2\n')[0]).toMatchObject({ line: 2, column: 1, message: expect.stringContaining('written twice') });
    expect(errorsOf('a: 1\n---\nb: 2\n')[0].message).toContain('several YAML documents');
  });
});

describe('didYouMean', () => {
  it('suggests close words, including swapped letters and camelCase', () => {
    expect(didYouMean('tiemout', ['timeout', 'title'])).toBe('timeout');
    expect(didYouMean('hots', ['host', 'hosts'])).toBe('host');
    expect(didYouMean('continueOnFailure', ['continue_on_failure'])).toBe('continue_on_failure');
    expect(didYouMean('banana', ['timeout', 'title'])).toBeUndefined();
  });
});
