/**
 * The checks a schema cannot make, run on every runbook after ./parse.ts:
 *
 * - step ids are unique across the whole runbook (nested steps, rollback and finally included), and
 *   none is `end` or `abort` (decision targets);
 * - a decision choice's `next` names a step LATER in the same list, `end` or `abort`. Jumping only
 *   forward makes loops impossible by construction: a run always reaches the end of its list. (To
 *   "try again", an operator retries a step from the console, which is recorded.)
 * - rollback `undoes` names a top-level step;
 * - template references resolve: `params.x` is declared; `captures.x` is captured by a step that
 *   comes before in plan order (a decision captures its `capture_as`, default its id); a loop
 *   variable is used only inside its foreach; `host` only in the command of a run or wait step.
 *   `env.*` and `run.*` are checked against the environment when a run starts.
 * - a `sql.query` holds no template: it is sent as written, its values go in `args` (bound);
 * - a command (`run`, `wait.run`) has no template where its value cannot be kept literal text, and no
 *   `| raw` on data (./template.ts);
 * - phases in one list are written in ascending priority; a phase's checks are run, wait or
 *   manual steps;
 * - a runbook does not include itself (loops through other runbooks: ./library.ts).
 *
 * Declarations (ids, captures) are read from the raw document, so a step with a schema error still
 * counts as declared and does not cause a second, misleading problem elsewhere.
 */
import type { Step } from './model';
import type { ParsedParts } from './parse-types';
import { commandTemplateProblems, formatTemplatePath, TEMPLATE_NAMESPACES, TemplateError, templateReferences } from './template';
import { didYouMean, formatPath, positionAt, positionInString, type ProblemCollector, type YamlPath } from './yaml-source';

const RESERVED_IDS = ['end', 'abort'];

interface Scope {
  captures: Set<string>;
  loopVariables: string[];
}

type RawStep = Record<string, unknown>;

/** Runs the checks above, adding problems to `collector`. */
export function validateRunbook(collector: ProblemCollector, parts: ParsedParts): void {
  new Validator(collector, parts).run();
}

/** Calls `visit` for every raw step mapping in `list` and the lists nested in it, in plan order. */
export function forEachRawStep(list: unknown, path: YamlPath, visit: (step: RawStep, path: YamlPath) => void): void {
  if (!Array.isArray(list)) return;
  list.forEach((item, index) => {
    if (!isRecord(item)) return;
    const itemPath = [...path, index];
    visit(item, itemPath);
    if (Object.hasOwn(item, 'foreach') || Object.hasOwn(item, 'phase')) {
      forEachRawStep(item.steps, [...itemPath, 'steps'], visit);
      if (Object.hasOwn(item, 'phase')) forEachRawStep(item.check, [...itemPath, 'check'], visit);
    }
  });
}

class Validator {
  private readonly raw: Record<string, unknown>;
  private readonly params: string[];
  /** Where each capture name is first declared (for "captured only later" messages). */
  private readonly captureDeclarations = new Map<string, YamlPath>();
  private readonly idPaths = new Map<string, YamlPath>();

  constructor(
    private readonly collector: ProblemCollector,
    private readonly parts: ParsedParts,
  ) {
    this.raw = parts.raw;
    this.params = isRecord(this.raw.params) ? Object.keys(this.raw.params) : [];
  }

  run(): void {
    this.checkIds();
    for (const list of ['steps', 'rollback', 'finally']) {
      forEachRawStep(this.raw[list], [list], (step, path) => {
        for (const name of rawCaptureNames(step)) if (!this.captureDeclarations.has(name)) this.captureDeclarations.set(name, path);
      });
    }
    if (isRecord(this.raw.defaults) && typeof this.raw.defaults.on === 'string') {
      this.checkTemplate(this.raw.defaults.on, ['defaults', 'on'], { captures: new Set(), loopVariables: [] }, false);
    }
    const mainCaptures = new Set<string>();
    this.walk(this.raw.steps, ['steps'], { captures: mainCaptures, loopVariables: [] });
    this.walk(this.raw.rollback, ['rollback'], { captures: new Set(mainCaptures), loopVariables: [] });
    this.walk(this.raw.finally, ['finally'], { captures: new Set(mainCaptures), loopVariables: [] });
    this.checkRollback();
  }

  private checkIds(): void {
    for (const list of ['steps', 'rollback', 'finally']) {
      forEachRawStep(this.raw[list], [list], (step, path) => {
        if (typeof step.id !== 'string') return;
        const idPath = [...path, 'id'];
        if (RESERVED_IDS.includes(step.id)) {
          this.collector.error(idPath, `${formatPath(idPath)}: "${step.id}" cannot be a step id; end and abort are the places a decision can go.`);
        }
        const earlier = this.idPaths.get(step.id);
        if (earlier) {
          const line = positionAt(this.collector.source, earlier).line;
          this.collector.error(
            idPath,
            `${formatPath(idPath)}: the step id "${step.id}" is already used by ${formatPath(earlier.slice(0, -1))} (line ${line}); step ids are unique in the whole runbook.`,
          );
        } else {
          this.idPaths.set(step.id, idPath);
        }
      });
    }
  }

  private walk(list: unknown, path: YamlPath, scope: Scope, checkList = false): void {
    if (!Array.isArray(list)) return;
    const siblingIds = list.map((item) => (isRecord(item) && typeof item.id === 'string' ? item.id : undefined));
    let lastPhase: { priority: number; path: YamlPath } | undefined;
    list.forEach((item, index) => {
      if (!isRecord(item)) return;
      const itemPath = [...path, index];
      const step = this.parts.stepsByPath.get(formatPath(itemPath));
      this.checkStepTemplates(item, itemPath, scope);
      if (step) {
        if (step.kind === 'decision') this.checkDecision(step, itemPath, index, siblingIds);
        if (step.kind === 'phase') {
          if (lastPhase && step.priority < lastPhase.priority) {
            this.collector.error(
              [...itemPath, 'phase', 'priority'],
              `${formatPath([...itemPath, 'phase', 'priority'])}: phase priority ${step.priority} comes after a phase with priority ${lastPhase.priority} (${formatPath(lastPhase.path)}); write the phases of a list in ascending priority, the order they run in.`,
            );
          }
          lastPhase = { priority: step.priority, path: itemPath };
        }
        if (step.kind === 'include' && step.runbook === this.parts.runbook.id) {
          this.collector.error([...itemPath, 'include'], `${formatPath([...itemPath, 'include'])}: the runbook includes itself, which would never end.`);
        }
        if (checkList && step.kind !== 'run' && step.kind !== 'wait' && step.kind !== 'manual') {
          this.collector.error(itemPath, `${formatPath(itemPath)}: a phase check is a run, wait or manual step, not a ${step.kind} step.`);
        }
      }
      if (Object.hasOwn(item, 'foreach')) {
        const foreach = isRecord(item.foreach) ? item.foreach : {};
        const variable = typeof foreach.as === 'string' ? foreach.as : 'item';
        if ((TEMPLATE_NAMESPACES as readonly string[]).includes(variable)) {
          this.collector.error(
            [...itemPath, 'foreach', 'as'],
            `${formatPath([...itemPath, 'foreach', 'as'])}: "${variable}" is a template namespace; name the loop variable after what it holds, like instance.`,
          );
        } else if (scope.loopVariables.includes(variable)) {
          this.collector.error(
            [...itemPath, 'foreach', Object.hasOwn(foreach, 'as') ? 'as' : 'items'],
            `${formatPath([...itemPath, 'foreach'])}: the loop variable "${variable}" is already the variable of an enclosing foreach; give this one another name with as:.`,
          );
        }
        this.walk(item.steps, [...itemPath, 'steps'], { captures: scope.captures, loopVariables: [...scope.loopVariables, variable] });
      } else if (Object.hasOwn(item, 'phase')) {
        this.walk(item.steps, [...itemPath, 'steps'], scope);
        this.walk(item.check, [...itemPath, 'check'], scope, true);
      }
      for (const name of rawCaptureNames(item)) scope.captures.add(name);
    });
  }

  /** Checked on the raw step, so a step with a schema error still has its templates checked. */
  private checkStepTemplates(raw: RawStep, path: YamlPath, scope: Scope): void {
    const fields: Array<[YamlPath, boolean]> = [
      [['title'], false],
      [['when'], false],
      [['when', 'value'], false],
      [['when', 'equals'], false],
      [['when', 'not_equals'], false],
      [['destructive', 'confirm'], false],
      [['destructive', 'warning'], false],
      [['on'], false],
      [['run'], true],
      [['wait', 'run'], true],
      [['stdin'], false],
      [['manual'], false],
      [['decision', 'question'], false],
      [['foreach', 'items'], false],
      [['sql', 'query'], false],
      [['concurrency'], false],
      [['timeout'], false],
      [['foreach', 'concurrency'], false],
      [['phase', 'concurrency'], false],
      [['wait', 'timeout'], false],
      [['wait', 'deadline'], false],
      [['wait', 'interval'], false],
      [['sql', 'timeout'], false],
      [['sql', 'compare_with'], false],
      [['sql', 'row_counts'], false],
    ];
    if (isRecord(raw.sql) && Array.isArray(raw.sql.args)) raw.sql.args.forEach((_, index) => fields.push([['sql', 'args', index], false]));
    if (isRecord(raw.with)) for (const name of Object.keys(raw.with)) fields.push([['with', name], false]);
    for (const [field, hostAllowed] of fields) {
      let value: unknown = raw;
      for (const segment of field) value = isRecord(value) ? value[segment as string] : Array.isArray(value) ? value[segment as number] : undefined;
      if (typeof value !== 'string') continue;
      if (field[0] === 'sql' && field[1] === 'query' && value.includes('{{')) {
        // The query goes to the database as written; a value belongs in a bound argument.
        const at = positionInString(this.collector.source, [...path, ...field], value.indexOf('{{'));
        this.collector.at(
          at,
          `${formatPath([...path, ...field])}: a query is sent to the database as written, so this template would not be replaced by its value; write ? where the value goes and give it under args: (like args: ["{{ params.host }}"]), where it is bound as a value.`,
        );
        continue;
      }
      this.checkTemplate(value, [...path, ...field], scope, hostAllowed);
      // The fields where {{ host }} is allowed are exactly the shell commands.
      if (hostAllowed) this.checkCommand(value, [...path, ...field]);
    }
  }

  /** A value where it cannot be kept literal text, and `| raw` on data (see ./template.ts). */
  private checkCommand(text: string, path: YamlPath): void {
    let problems;
    try {
      problems = commandTemplateProblems(text);
    } catch (error) {
      if (error instanceof TemplateError) return; // Reported by checkTemplate.
      throw error;
    }
    for (const problem of problems) {
      this.collector.at(positionInString(this.collector.source, path, problem.offset), `${formatPath(path)}: ${problem.message}.`);
    }
  }

  private checkTemplate(text: string, path: YamlPath, scope: Scope, hostAllowed: boolean): void {
    const { collector } = this;
    const field = formatPath(path);
    let references;
    try {
      references = templateReferences(text);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      collector.at(positionInString(collector.source, path, error.offset), `${field}: ${error.userMessage}`);
      return;
    }
    for (const reference of references) {
      const at = positionInString(collector.source, path, reference.offset);
      const written = `{{ ${reference.source} }}`;
      const first = reference.path[0];
      switch (reference.root) {
        case 'params': {
          if (typeof first !== 'string') {
            collector.at(at, `${field}: ${written} needs a parameter name, like {{ params.host }}.`);
          } else if (!this.params.includes(first)) {
            const suggestion = didYouMean(first, this.params);
            collector.at(at, `${field}: ${written} refers to the parameter "${first}", which is not declared under params${suggestion ? `; did you mean "${suggestion}"?` : '.'}`);
          }
          break;
        }
        case 'captures': {
          if (typeof first !== 'string') {
            collector.at(at, `${field}: ${written} needs a capture name, like {{ captures.instances }}.`);
          } else if (!scope.captures.has(first)) {
            const declared = this.captureDeclarations.get(first);
            if (declared) {
              collector.at(
                at,
                `${field}: ${written} uses the capture "${first}", which is captured only later, by ${formatPath(declared)} (line ${positionAt(collector.source, declared).line}); a step can use only what earlier steps captured.`,
              );
            } else {
              const suggestion = didYouMean(first, [...scope.captures]);
              collector.at(at, `${field}: ${written} uses the capture "${first}", but no step captures it${suggestion ? `; did you mean "${suggestion}"?` : '.'}`);
            }
          }
          break;
        }
        case 'env':
        case 'run':
          if (typeof first !== 'string')
            collector.at(at, `${field}: ${written} needs a name after ${reference.root}., like {{ ${reference.root === 'env' ? 'env.rabbitmqctl' : 'run.id'} }}.`);
          break;
        case 'host':
          if (!hostAllowed) {
            collector.at(at, `${field}: ${written} can be used only in the command of a run or wait step, where it is the host the command runs on.`);
          } else if (reference.path.length > 0) {
            collector.at(at, `${field}: ${written}: host is the host name itself; write {{ host }}.`);
          }
          break;
        default: {
          if (scope.loopVariables.includes(reference.root)) break;
          const names = [...TEMPLATE_NAMESPACES, ...scope.loopVariables];
          const suggestion = didYouMean(reference.root, names);
          collector.at(
            at,
            `${field}: ${written} refers to "${formatTemplatePath([reference.root])}", which is not known here; a template starts with params., captures., env., run., host${scope.loopVariables.length ? ` or the loop variable ${scope.loopVariables.join(', ')}` : ' or the loop variable of an enclosing foreach'}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}.`,
          );
        }
      }
    }
  }

  private checkDecision(step: Extract<Step, { kind: 'decision' }>, path: YamlPath, index: number, siblingIds: Array<string | undefined>): void {
    step.choices.forEach((choice, choiceIndex) => {
      if (choice.next === undefined || choice.next === 'end' || choice.next === 'abort') return;
      const nextPath = [...path, 'decision', 'choices', choiceIndex, 'next'];
      const field = formatPath(nextPath);
      const target = siblingIds.indexOf(choice.next);
      if (target > index) return;
      if (target >= 0) {
        this.collector.error(
          nextPath,
          `${field}: "${choice.next}" comes before this decision; a decision may only jump forward in its list (or to end or abort), so a run can never loop.`,
        );
      } else if (this.idPaths.has(choice.next)) {
        this.collector.error(
          nextPath,
          `${field}: the step "${choice.next}" is not in the same list as this decision (it is ${formatPath(this.idPaths.get(choice.next)!.slice(0, -1))}); a decision jumps only within its own list.`,
        );
      } else {
        const later = siblingIds.slice(index + 1).filter((id): id is string => id !== undefined);
        const suggestion = didYouMean(choice.next, [...later, 'end', 'abort']);
        this.collector.error(
          nextPath,
          `${field}: there is no step "${choice.next}"${suggestion ? `; did you mean "${suggestion}"?` : '; next names a later step of the same list, end or abort.'}`,
        );
      }
    });
  }

  private checkRollback(): void {
    if (!Array.isArray(this.raw.rollback)) return;
    const topLevel = Array.isArray(this.raw.steps)
      ? this.raw.steps
          .filter(isRecord)
          .map((step) => step.id)
          .filter((id): id is string => typeof id === 'string')
      : [];
    this.raw.rollback.forEach((entry, index) => {
      if (!isRecord(entry) || typeof entry.undoes !== 'string') return;
      const path = ['rollback', index, 'undoes'];
      if (topLevel.includes(entry.undoes)) return;
      const elsewhere = this.idPaths.get(entry.undoes);
      if (elsewhere) {
        this.collector.error(
          path,
          `${formatPath(path)}: "${entry.undoes}" is ${formatPath(elsewhere.slice(0, -1))}, not a top-level step; undoes names a step of the main steps list.`,
        );
      } else {
        const suggestion = didYouMean(entry.undoes, topLevel);
        this.collector.error(path, `${formatPath(path)}: there is no top-level step "${entry.undoes}" to undo${suggestion ? `; did you mean "${suggestion}"?` : '.'}`);
      }
    });
  }
}

/** The capture names a raw step declares, whether or not the rest of it is valid. */
function rawCaptureNames(step: RawStep): string[] {
  const names: string[] = [];
  if (isRecord(step.capture)) names.push(...Object.keys(step.capture));
  if (Object.hasOwn(step, 'decision')) {
    const decision = isRecord(step.decision) ? step.decision : {};
    if (typeof decision.capture_as === 'string') names.push(decision.capture_as);
    else if (typeof step.id === 'string') names.push(step.id);
  }
  // An include keeps the included run's captures under its own id: {{ captures.backup.dump_file }}.
  if (Object.hasOwn(step, 'include') && typeof step.id === 'string') names.push(step.id);
  return names;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
