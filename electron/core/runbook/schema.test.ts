import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, schemaFileText } from './gen-schema';
import { runbookSchema } from './schema';

describe('runbooks/schema.json', () => {
  it('is in sync with the zod schema (run: npx tsx electron/core/runbook/gen-schema.ts)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(schemaFileText());
  });

  it('is draft 2020-12, refuses unknown fields and knows every step kind', () => {
    const schema = JSON.parse(schemaFileText());
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['id', 'title', 'steps']);
    const kinds = schema.$defs.step.anyOf.map((option: { required: string[] }) => option.required.find((key) => key !== 'id'));
    expect(kinds).toEqual(['run', 'wait', 'manual', 'decision', 'foreach', 'phase', 'include', 'sql']);
  });

  it('accepts the document form of a valid runbook', () => {
    const result = runbookSchema.safeParse({
      id: 'x',
      title: 'X',
      steps: [{ id: 'a', foreach: { items: '{{ params.h }}' }, steps: [{ id: 'b', run: 'echo', on: 'all' }] }],
      rollback: [{ undoes: 'a', id: 'c', manual: 'undo' }],
    });
    expect(result.success).toBe(true);
  });
});
