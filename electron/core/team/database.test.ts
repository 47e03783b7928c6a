import { describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION, teamGrants } from './database';

describe('the team schema', () => {
  it('numbers its migrations 1, 2, ... and grants the console only SELECT and INSERT', () => {
    expect(MIGRATIONS.map((migration) => migration.version)).toEqual(MIGRATIONS.map((_, index) => index + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    // Safe to run again after a migration failed part-way.
    for (const statement of MIGRATIONS.flatMap((migration) => migration.statements))
      expect(statement).toMatch(/^(CREATE TABLE IF NOT EXISTS|ALTER TABLE \w+ ADD COLUMN IF NOT EXISTS|CREATE TRIGGER IF NOT EXISTS)/);
    expect(teamGrants('opsdeck_audit', 'opsdeck', 'opsdeck_admin')).toEqual([
      "GRANT SELECT, INSERT ON `opsdeck_audit`.* TO 'opsdeck'@'%';",
      "GRANT SELECT, INSERT, UPDATE, CREATE, ALTER, INDEX, TRIGGER ON `opsdeck_audit`.* TO 'opsdeck_admin'@'%';",
    ]);
  });
});
