/**
 * Writes runbooks/schema.json, the JSON Schema of the runbook format, from the zod schema in
 * ./schema.ts. Run `npx tsx electron/core/runbook/gen-schema.ts` after changing the format; a unit
 * test fails while the committed file is out of date.
 */
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runbookJsonSchema } from './schema';

/** The path of the committed schema file. */
export const SCHEMA_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../runbooks/schema.json');

/** The schema file's exact text. */
export function schemaFileText(): string {
  return `${JSON.stringify(runbookJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_FILE, schemaFileText());
  console.log(`Wrote ${SCHEMA_FILE}`);
}
