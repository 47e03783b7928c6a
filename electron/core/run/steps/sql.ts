/** `sql:` — one query (or exact row counts) through mysql2 against a database of the environment. */
import type { CheckResult, StepStatus } from '../../audit/events';
import { OpsError, userMessageOf } from '../../errors';
import type { SqlStep } from '../../runbook/model';
import { resolveTemplateValue, type TemplateScope } from '../../runbook/template';
import { compareRowCounts, type RowCount } from '../../sql/mysql';
import { evaluateExpect, extractCaptures } from '../checks';
import { sleep } from '../concurrency';
import { formatMs } from '../format';
import { renderIn, valueIn, type RunScope } from '../scope';
import { basePreview, describeCapture, describeExpect, previewTemplate, withDestructive } from './preview';
import type { StepKindModule } from './types';

export const sqlStepKind: StepKindModule<SqlStep> = {
  async execute(step, key, frame, run) {
    const database = run.environment.databases[step.database];
    if (!database) {
      const known = Object.keys(run.environment.databases).join(', ') || 'none';
      throw new OpsError(
        'sql-database',
        `Step ${key} queries database "${step.database}", which environment "${run.environment.name}" does not declare (its databases: ${known}).`,
      );
    }
    if (!run.sql) throw new OpsError('sql-unavailable', `Step ${key} needs a database connection, and this run has none.`);
    const sql = run.sql;
    const label = databaseLabel(database.name);
    const schemas = step.rowCounts === undefined ? undefined : schemaList(step.rowCounts, frame.scope, key);
    const args = step.args.map((arg) => renderIn(arg, frame.scope, 'text'));
    const expected = step.compareWith === undefined ? undefined : valueIn(step.compareWith, frame.scope);
    await run.startStep(key, step, [label]);
    const started = Date.now();
    const described = step.query ? describeQuery(step.query, args) : describeRowCounts(schemas!);
    let stdout = '';
    let stderr = '';
    let exitCode = 0;
    let checks: CheckResult[] = [];
    for (let attempt = 1; ; attempt++) {
      await run.emitDurable({ type: 'step.command', step: key, host: label, command: run.masker.mask(described), attempt });
      const options = { timeoutMs: step.timeoutMs, signal: run.signal() };
      let counts: RowCount[] | undefined;
      try {
        const rows = step.query ? await sql.query(database, step.query, args, options) : (counts = await sql.rowCounts(database, schemas!, options));
        stdout = `${JSON.stringify(rows, null, 2)}\n`;
        stderr = '';
        exitCode = 0;
      } catch (error) {
        if (run.aborting()) throw error;
        stdout = '';
        stderr = `${userMessageOf(error)}\n`;
        exitCode = 1;
      }
      if (stdout) run.emit({ type: 'step.output', step: key, host: label, stream: 'stdout', data: run.masker.mask(stdout) });
      if (stderr) run.emit({ type: 'step.output', step: key, host: label, stream: 'stderr', data: run.masker.mask(stderr) });
      checks = evaluateExpect(step.expect, { exitCode, stdout, stderr });
      if (counts && expected !== undefined) {
        const differences = compareRowCounts(counts, expected);
        checks.push({
          name: 'row counts match the manifest',
          ok: differences.length === 0,
          detail: differences.length ? differences.slice(0, 20).join('; ') + (differences.length > 20 ? `; and ${differences.length - 20} more` : '') : undefined,
        });
      }
      const failed = checks.some((check) => !check.ok);
      if (!failed || attempt > step.retry.times) break;
      run.note('warning', `Attempt ${attempt} of ${step.retry.times + 1} failed; retrying in ${formatMs(step.retry.delayMs)}.`, key);
      await sleep(step.retry.delayMs, run.signal());
    }
    let status: StepStatus = checks.every((check) => check.ok) ? 'succeeded' : 'failed';
    let captures: Record<string, unknown> = {};
    let reason: string | undefined;
    if (status === 'succeeded' && step.capture.length > 0) {
      try {
        captures = extractCaptures(step.capture, { exitCode, stdout, stderr });
        Object.assign(frame.scope.captures, captures);
      } catch (error) {
        status = 'failed';
        reason = userMessageOf(error);
      }
    }
    if (status === 'failed' && !reason) {
      const failedCheck = checks.find((check) => !check.ok);
      reason = failedCheck ? `${failedCheck.name}${failedCheck.detail ? ` — ${failedCheck.detail}` : ''}` : undefined;
    }
    run.finishStep(key, started, { status, exitCode, checks, captures: run.masker.maskValue(captures), reason });
    return { status };
  },

  /** The database as its host, and the query as the journal will record it (arguments apart from the SQL). */
  preview(step, key, depth, context) {
    const { scope } = context;
    const entry = basePreview(step, key, depth, scope);
    const label = databaseLabel(context.environment.databases[step.database]?.name ?? step.database);
    entry.hosts = [label];
    if (!context.environment.databases[step.database]) entry.targetNote = `database ${step.database} is not declared by this environment`;
    const command = step.query
      ? describeQuery(
          step.query,
          step.args.map((arg) => previewTemplate(arg, scope, 'text')),
        )
      : describeRowCounts(previewSchemas(step.rowCounts!, scope));
    entry.commands = [{ host: label, command }];
    entry.checks = describeExpect(step.expect);
    if (step.compareWith !== undefined) entry.checks.push(`row counts match ${step.compareWith}`);
    entry.captures = step.capture.map(describeCapture);
    return [withDestructive(entry, step, scope)];
  },

  target: () => undefined,
  confirmsOnHosts: false,
};

/** How an sql step names its database where a host name would be (journal, terminals, plan). */
function databaseLabel(name: string): string {
  return `db:${name}`;
}

function describeQuery(query: string, args: string[]): string {
  return `${query}${args.length ? `  -- with ${JSON.stringify(args)}` : ''}`;
}

function describeRowCounts(schemas: string[]): string {
  return `exact row counts of every table in ${schemas.join(', ')}`;
}

function previewSchemas(rowCounts: string[] | string, scope: TemplateScope): string[] {
  if (Array.isArray(rowCounts)) return rowCounts;
  try {
    const value = resolveTemplateValue(rowCounts, scope);
    return Array.isArray(value) ? value.map(String) : [String(value)];
  } catch {
    return [previewTemplate(rowCounts, scope, 'text')];
  }
}

/** The schemas a row count covers; names only, since they become SQL identifiers. */
function schemaList(rowCounts: string[] | string, scope: RunScope, key: string): string[] {
  const value = Array.isArray(rowCounts) ? rowCounts : valueIn(rowCounts, scope);
  const names = Array.isArray(value)
    ? value.map(String)
    : String(value)
        .split(/[\s,]+/)
        .filter(Boolean);
  const bad = names.filter((name) => !/^[A-Za-z0-9_]+$/.test(name));
  if (names.length === 0 || bad.length > 0) {
    throw new OpsError('sql-schemas', `Step ${key}: row_counts needs schema names (letters, digits, _), got ${JSON.stringify(value)}.`);
  }
  return names;
}
