/**
 * The runbooks OpsDeck knows: every runbook file under some directories, indexed by id, with the
 * checks that span files — duplicate ids, `include` of a runbook that does not exist, include loops
 * (a includes b includes a), and `with:` that does not give an included runbook its required params.
 *
 * Which files are runbooks: every `*.yaml` / `*.yml` file under the given directories, at any depth,
 * except those under a directory named `profiles` or `environments` (deployment profiles and
 * environment files live there), hidden files and directories, and `node_modules`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { OpsError, type Problem, type SourcePosition } from '../errors';
import type { IncludeStep, Runbook, Step } from './model';
import { loadRunbookFile, sortProblems } from './parse';
import { nestedLists } from './step-lists';
import { didYouMean } from './yaml-source';

/** Directory names whose files are never runbooks. */
export const NON_RUNBOOK_DIRECTORIES = ['profiles', 'environments', 'node_modules'];

/** True when `relativePath` (relative to a runbook directory) names a runbook file by the rule above. */
export function isRunbookPath(relativePath: string): boolean {
  const parts = relativePath.split(/[\\/]/);
  const name = parts[parts.length - 1];
  if (!/\.ya?ml$/i.test(name)) return false;
  return parts.every((part, index) => !part.startsWith('.') && (index === parts.length - 1 || !NON_RUNBOOK_DIRECTORIES.includes(part)));
}

/** Every runbook file under `directory`, sorted, by the rule above. */
export async function findRunbookFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => isRunbookPath(relative(directory, file).split(sep).join('/')))
    .sort();
}

export class RunbookLibrary {
  private readonly byId = new Map<string, Runbook>();
  /** Every problem found, in every file, including those of files that are not usable. */
  readonly problems: Problem[];

  private constructor(runbooks: Runbook[], problems: Problem[], texts: Map<string, string>) {
    const all = [...problems];
    for (const runbook of runbooks) {
      const earlier = this.byId.get(runbook.id);
      if (earlier) {
        all.push({
          ...idPosition(runbook.file, texts.get(runbook.file)),
          severity: 'error',
          message: `The runbook id "${runbook.id}" is also the id of ${earlier.file}; runbook ids are unique.`,
        });
        continue;
      }
      this.byId.set(runbook.id, runbook);
    }
    all.push(...this.checkIncludes());
    this.problems = sortProblems(all);
  }

  /**
   * Loads every runbook file under `paths` (directories, by the rule above) and every file named
   * directly in `paths` (whatever its directory). A file reached twice is loaded once.
   */
  static async load(paths: string[]): Promise<RunbookLibrary> {
    const runbooks: Runbook[] = [];
    const problems: Problem[] = [];
    const texts = new Map<string, string>();
    const files: string[] = [];
    const seen = new Set<string>();
    for (const path of paths) {
      let found: string[];
      try {
        found = (await stat(path)).isDirectory() ? await findRunbookFiles(path) : [path];
      } catch (error) {
        problems.push({ file: path, line: 1, column: 1, severity: 'error', message: `The runbook file or directory cannot be read: ${(error as Error).message}.` });
        continue;
      }
      for (const file of found) {
        if (seen.has(resolve(file))) continue;
        seen.add(resolve(file));
        files.push(file);
      }
    }
    for (const file of files) {
      const result = await loadRunbookFile(file);
      problems.push(...result.problems);
      if (result.runbook) {
        runbooks.push(result.runbook);
        texts.set(file, await readFile(file, 'utf8'));
      }
    }
    return new RunbookLibrary(runbooks, problems, texts);
  }

  /**
   * What `opsdeck validate` checks: the runbooks named by `paths` (files, or directories by the rule
   * above), with their includes resolved as a run resolves them: among the runbooks beside each named
   * file and under `searchDirs` (the bundled and the user's runbooks). Only the named runbooks are
   * reported on; a broken runbook elsewhere shows only as an include that cannot be used.
   */
  static async loadForValidation(paths: string[], searchDirs: string[]): Promise<{ runbooks: Runbook[]; problems: Problem[] }> {
    const named = new Set<string>();
    const besides: string[] = [];
    for (const path of paths) {
      named.add(resolve(path));
      try {
        if ((await stat(path)).isDirectory()) for (const file of await findRunbookFiles(path)) named.add(resolve(file));
        else besides.push(dirname(resolve(path)));
      } catch {
        // Reported by load(), at the path as given.
      }
    }
    // The named paths first, so a problem is reported at the path as the operator wrote it.
    const library = await RunbookLibrary.load([...paths, ...besides, ...searchDirs]);
    return {
      runbooks: library.list().filter((runbook) => named.has(resolve(runbook.file))),
      problems: library.problems.filter((problem) => named.has(resolve(problem.file))),
    };
  }

  /** A library of runbooks already parsed (tests, or runbooks from elsewhere). */
  static fromRunbooks(runbooks: Runbook[], problems: Problem[] = []): RunbookLibrary {
    return new RunbookLibrary(runbooks, problems, new Map());
  }

  get(id: string): Runbook | undefined {
    return this.byId.get(id);
  }

  /** The runbook with this id; an OpsError (code `runbook-not-found`) naming close ids otherwise. */
  require(id: string): Runbook {
    const runbook = this.byId.get(id);
    if (runbook) return runbook;
    const suggestion = didYouMean(id, [...this.byId.keys()]);
    throw new OpsError('runbook-not-found', `There is no runbook "${id}"${suggestion ? `; did you mean "${suggestion}"?` : '.'}`);
  }

  /** The usable runbook loaded from `file` (compared as absolute paths). */
  getByFile(file: string): Runbook | undefined {
    return [...this.byId.values()].find((runbook) => resolve(runbook.file) === resolve(file));
  }

  /** Every usable runbook, sorted by id. */
  list(): Runbook[] {
    return [...this.byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The problems of one file. */
  problemsOf(file: string): Problem[] {
    return this.problems.filter((problem) => problem.file === file);
  }

  /** True when there is any error (not just warnings). */
  get hasErrors(): boolean {
    return this.problems.some((problem) => problem.severity === 'error');
  }

  private checkIncludes(): Problem[] {
    const problems: Problem[] = [];
    const error = (position: SourcePosition, message: string): void => {
      problems.push({ ...position, severity: 'error', message });
    };
    for (const runbook of this.byId.values()) {
      for (const step of includeSteps(runbook)) {
        const target = this.byId.get(step.runbook);
        if (!target) {
          const suggestion = didYouMean(step.runbook, [...this.byId.keys()]);
          error(step.source, `The step "${step.id}" includes the runbook "${step.runbook}", which does not exist${suggestion ? `; did you mean "${suggestion}"?` : '.'}`);
          continue;
        }
        const names = target.params.map((param) => param.name);
        for (const name of Object.keys(step.with)) {
          if (names.includes(name)) continue;
          const suggestion = didYouMean(name, names);
          error(
            step.source,
            `The step "${step.id}" gives "${name}" to the runbook "${target.id}", which has no such parameter${suggestion ? `; did you mean "${suggestion}"?` : names.length ? `; its parameters are ${names.join(', ')}.` : '; it takes none.'}`,
          );
        }
        for (const param of target.params) {
          if (param.required && param.default === undefined && !Object.hasOwn(step.with, param.name)) {
            error(step.source, `The step "${step.id}" includes "${target.id}" without its required parameter "${param.name}"; give it under with:.`);
          }
        }
      }
    }
    // Include loops: depth-first search, reporting each loop once, at the include that closes it.
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (id: string): void => {
      state.set(id, 'visiting');
      stack.push(id);
      const runbook = this.byId.get(id)!;
      for (const step of includeSteps(runbook)) {
        if (!this.byId.has(step.runbook)) continue;
        const seen = state.get(step.runbook);
        if (seen === 'visiting') {
          const loop = [...stack.slice(stack.indexOf(step.runbook)), step.runbook];
          if (loop.length > 2) error(step.source, `Runbooks include each other in a loop: ${loop.join(' includes ')}; a run would never end.`);
        } else if (seen === undefined) {
          visit(step.runbook);
        }
      }
      stack.pop();
      state.set(id, 'done');
    };
    for (const id of [...this.byId.keys()].sort()) if (!state.has(id)) visit(id);
    return problems;
  }
}

/** Every include step of a runbook, nested ones and those of rollback and finally included. */
export function includeSteps(runbook: Runbook): IncludeStep[] {
  const found: IncludeStep[] = [];
  const walk = (steps: Step[]): void => {
    for (const step of steps) {
      if (step.kind === 'include') found.push(step);
      for (const list of nestedLists(step)) walk(list.steps);
    }
  };
  walk(runbook.steps);
  walk(runbook.rollback.map((entry) => entry.step));
  walk(runbook.finally);
  return found;
}

function idPosition(file: string, text: string | undefined): SourcePosition {
  const lines = (text ?? '').split('\n');
  const index = lines.findIndex((line) => /^id\s*:/.test(line));
  if (index < 0) return { file, line: 1, column: 1 };
  const match = /^id\s*:\s*/.exec(lines[index])!;
  return { file, line: index + 1, column: match[0].length + 1 };
}
