/**
 * No import circle in electron/ or renderer/ (issue 16 item 8). Type-only imports count: a circle of
 * types is still two modules that cannot be read, moved or tested one without the other, and every
 * circle found so far was one. The graph is TypeScript's own reading of each file's imports and
 * re-exports (`ts.preProcessFile`), relative specifiers only: packages cannot import us back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function sourceFiles(directory: string): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(file);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [file] : [];
  });
}

/** file → the files of `files` it imports or re-exports from. */
export function importGraph(files: string[], read: (file: string) => string = (file) => fs.readFileSync(file, 'utf8')): Map<string, string[]> {
  const known = new Set(files);
  const resolve = (from: string, specifier: string): string | undefined => {
    if (!specifier.startsWith('.')) return undefined;
    const base = path.resolve(path.dirname(from), specifier);
    return [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), path.join(base, 'index.tsx')].find((candidate) => known.has(candidate));
  };
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const imports = ts.preProcessFile(read(file), true, true).importedFiles;
    graph.set(file, [...new Set(imports.map((entry) => resolve(file, entry.fileName)).filter((target): target is string => target !== undefined))]);
  }
  return graph;
}

/** Every circle, one per strongly connected group, as `a -> b -> ... -> a` (Tarjan, then a path inside the group). */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (file: string) => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== file);
    if (group.length > 1 || (graph.get(file) ?? []).includes(file)) groups.push(group);
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return groups.map((group) => {
    // The shortest way back to the start inside the group (breadth first), so the message names a real circle.
    const members = new Set(group);
    const start = [...group].sort()[0];
    const cameFrom = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const file = queue.shift()!;
      for (const target of graph.get(file) ?? []) {
        if (!members.has(target)) continue;
        if (target === start) {
          const circle = [start];
          for (let at = file; at !== start; at = cameFrom.get(at)!) circle.splice(1, 0, at);
          return [...circle, start];
        }
        if (!cameFrom.has(target)) {
          cameFrom.set(target, file);
          queue.push(target);
        }
      }
    }
    return [...group, group[0]];
  });
}

describe('imports do not go round in circles', () => {
  it('finds a circle when there is one, type-only included', () => {
    const files = ['/x/a.ts', '/x/b.ts', '/x/c.ts', '/x/d.ts'];
    const sources: Record<string, string> = {
      '/x/a.ts': "import { b } from './b';\nexport const a = b;",
      '/x/b.ts': "export { c as b } from './c';",
      '/x/c.ts': "import type { A } from './a';\nexport const c = 1;\nexport type C = A;",
      '/x/d.ts': "import { a } from './a';\nimport x from 'node:fs';",
    };
    expect(importCycles(importGraph(files, (file) => sources[file]))).toEqual([['/x/a.ts', '/x/b.ts', '/x/c.ts', '/x/a.ts']]);
  });

  it('finds none in electron/ and renderer/', () => {
    const files = [...sourceFiles(path.join(root, 'electron')), ...sourceFiles(path.join(root, 'renderer'))];
    const circles = importCycles(importGraph(files)).map((circle) => circle.map((file) => path.relative(root, file)).join(' -> '));
    expect(circles, `Import circles (move the shared types into a file both import):\n${circles.join('\n')}`).toEqual([]);
  });
});
