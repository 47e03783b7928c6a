/**
 * The error taxonomy of the engine. Every failure an operator can meet is an {@link OpsError}: it has
 * a stable `code` for programs (the CLI's exit code, the API's error reply, the audit journal) and a
 * `userMessage`, one or two sentences a person at 2 a.m. understands without reading a stack trace.
 * Anything that is not an OpsError is a bug in OpsDeck and is reported as such.
 */
import type { ErrorCode } from './error-types';

export type { ErrorCode };
export class OpsError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;

  constructor(code: ErrorCode, userMessage: string, options?: { cause?: unknown }) {
    super(userMessage, options);
    this.name = new.target.name;
    this.code = code;
    this.userMessage = userMessage;
  }
}

/** True when `error` is an expected, explained failure rather than a bug. */
export function isOpsError(error: unknown): error is OpsError {
  return error instanceof OpsError;
}

/** The person-readable message of any thrown value; bugs are labelled as such. */
export function userMessageOf(error: unknown): string {
  if (error instanceof OpsError) return error.userMessage;
  if (error instanceof Error) return `Internal error in OpsDeck: ${error.message}`;
  return `Internal error in OpsDeck: ${String(error)}`;
}

/** The stable code of any thrown value (`internal` for bugs). */
export function codeOf(error: unknown): ErrorCode {
  return error instanceof OpsError ? error.code : 'internal';
}

/** Thrown when an operation was cancelled on purpose (abort, shutdown): not a failure. */
export class CancelledError extends OpsError {
  constructor(what = 'The operation') {
    super('cancelled', `${what} was cancelled.`);
  }
}

/** A position in a source file, 1-based, as editors and `file:line:column` messages use. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** One problem found in a runbook or environment file. */
export interface Problem extends SourcePosition {
  message: string;
  severity: 'error' | 'warning';
}

/** Formats a problem as `file:line:column: message`, the form editors and CI logs link. */
export function formatProblem(problem: Problem): string {
  const prefix = problem.severity === 'warning' ? 'warning: ' : '';
  return `${problem.file}:${problem.line}:${problem.column}: ${prefix}${problem.message}`;
}

/** A runbook or environment file that cannot be used; carries every problem found, not just the first. */
export class ValidationError extends OpsError {
  readonly problems: Problem[];

  constructor(problems: Problem[], what = 'The file') {
    const errors = problems.filter((p) => p.severity === 'error');
    const first = errors[0] ?? problems[0];
    const summary = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
    super('validation', `${what} has ${summary}${first ? `; the first: ${formatProblem(first).replace(/\.$/, '')}` : ''}.`);
    this.problems = problems;
  }
}
