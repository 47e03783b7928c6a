/**
 * Every step kind is one module, registered by kind: the registry's type refuses a missing kind (the
 * `@ts-expect-error` lines below fail `npm run typecheck` the day they compile), and at run time every
 * kind the YAML format knows has an executor, a preview and its hosts.
 */
import { describe, expect, it } from 'vitest';
import { STEP_KIND_KEYS } from '../../runbook/schema';
import { STEP_KINDS } from './index';
import type { StepKindRegistry } from './types';

describe('the step kind registry', () => {
  it('has a module for every kind of the runbook format', () => {
    expect(Object.keys(STEP_KINDS).sort()).toEqual([...STEP_KIND_KEYS].sort());
    for (const kind of STEP_KIND_KEYS) {
      expect(typeof STEP_KINDS[kind].execute, kind).toBe('function');
      expect(typeof STEP_KINDS[kind].preview, kind).toBe('function');
      expect(typeof STEP_KINDS[kind].target, kind).toBe('function');
    }
  });

  it('does not compile without a kind, or with a module given for the wrong kind', () => {
    const { sql: _sql, ...withoutSql } = STEP_KINDS;
    // @ts-expect-error sql is missing: a kind added to the model must be registered.
    const incomplete: StepKindRegistry = withoutSql;
    // @ts-expect-error a run module cannot stand for sql steps.
    const mismatched: StepKindRegistry = { ...STEP_KINDS, sql: STEP_KINDS.run };
    expect(Object.keys(incomplete)).not.toContain('sql');
    expect(mismatched.sql).toBe(STEP_KINDS.run);
  });
});
