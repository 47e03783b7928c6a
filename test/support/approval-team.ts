/**
 * Two operators, alice and bob, each with their own copy of one production-like environment that asks
 * for two-person approval through a team database on `db` (accounts alice_db and bob_db, append-only;
 * opsdeck_admin migrates). What the approval tests of the CLI and of the console share.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MariaDb } from '../lab/mariadb-server';
import { opsdeck, type CliResult } from './cli';

export type Operator = 'alice' | 'bob';

/**
 * Writes `<work>/alice-env.yaml` and `<work>/bob-env.yaml` from the lab's environment (no longer a
 * lab), creates the accounts, and migrates the team schema. The passwords reach the environment files
 * through variables named `<envPrefix>_ALICE_PW`, `_BOB_PW` and `_ADMIN_PW`.
 */
export async function twoPersonTeam(labEnvFile: string, db: MariaDb, work: string, envPrefix: string): Promise<{ envs: Record<Operator, string>; migrated: CliResult }> {
  const passwords = { alice: `alice-${process.pid}-Qw3!`, bob: `bob-${process.pid}-Er4#`, admin: `admin-${process.pid}-Ty5%` };
  await db.sql(`
    CREATE DATABASE opsdeck_audit;
    CREATE USER 'alice_db'@'%' IDENTIFIED BY '${passwords.alice}';
    CREATE USER 'bob_db'@'%' IDENTIFIED BY '${passwords.bob}';
    GRANT SELECT, INSERT ON opsdeck_audit.* TO 'alice_db'@'%';
    GRANT SELECT, INSERT ON opsdeck_audit.* TO 'bob_db'@'%';
    CREATE USER 'opsdeck_admin'@'%' IDENTIFIED BY '${passwords.admin}';
    GRANT SELECT, INSERT, UPDATE, CREATE, ALTER, INDEX, TRIGGER ON opsdeck_audit.* TO 'opsdeck_admin'@'%';
  `);
  process.env[`${envPrefix}_ALICE_PW`] = passwords.alice;
  process.env[`${envPrefix}_BOB_PW`] = passwords.bob;
  process.env[`${envPrefix}_ADMIN_PW`] = passwords.admin;
  const base = readFileSync(labEnvFile, 'utf8').replace('lab: true\n', '').replace('name: lab', 'name: prod-like');
  // Each operator's copy of the same environment differs only in the database account it logs in with.
  const envs: Record<Operator, string> = { alice: '', bob: '' };
  for (const who of ['alice', 'bob'] as const) {
    envs[who] = path.join(work, `${who}-env.yaml`);
    writeFileSync(
      envs[who],
      `${base}databases:\n` +
        `  team: { address: 127.0.0.1, port: ${db.port}, user: ${who}_db, password: { env: ${envPrefix}_${who.toUpperCase()}_PW } }\n` +
        `  team_admin: { address: 127.0.0.1, port: ${db.port}, user: opsdeck_admin, password: { env: ${envPrefix}_ADMIN_PW } }\n` +
        'audit: { database: team, operators: { alice: alice_db, bob: bob_db } }\n' +
        'approval: two-person\n',
    );
  }
  const migrated = await opsdeck('team', 'migrate', '--env', envs.alice, '--admin-db', 'team_admin');
  return { envs, migrated };
}
