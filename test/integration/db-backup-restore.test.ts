/**
 * runbooks/db-backup.yaml and runbooks/db-restore.yaml against a REAL MariaDB server
 * (test/lab/mariadb-lab.ts), run through the real CLI over real SSH (the SSH lab): mysqldump and mysql
 * through the lab profile's words, the manifest's row counts through the `sql` step (mysql2 through
 * an SSH tunnel to controller01), stand-in OpenStack services stopped and started by the runbook.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../electron/core/audit/events';
import { startMariaDbLab, type MariaDbLab } from '../lab/mariadb-lab';
import { startServiceLab, STANDIN_OS_ENV, type ServiceLab } from '../lab/service-standins';
import { STANDARD_LAB_HOSTS, startSshLab, type SshLab } from '../lab/sshd-lab';
import { opsdeck, runIdOf, journal as readJournal, lastFinished as finished } from '../support/cli';

/** The run's journal, read back. */
const journal = (runId: string) => readJournal(auditDir, runId);

const BACKUP = path.resolve(import.meta.dirname, '../../runbooks/db-backup.yaml');
const RESTORE = path.resolve(import.meta.dirname, '../../runbooks/db-restore.yaml');
const SCHEMAS = ['nova', 'nova_api', 'keystone', 'glance'];
const PASSWORD_ENV = 'OPSDECK_LAB_DB_PASSWORD';
const CONTROLLER_SERVICES = [
  'keystone',
  'glance-api',
  'neutron-server',
  'cinder-api',
  'cinder-scheduler',
  'cinder-volume',
  'nova-conductor',
  'nova-scheduler',
  'nova-novncproxy',
  'nova-api',
];

let ssh: SshLab;
let services: ServiceLab;
let db: MariaDbLab;
let envFile: string;
let auditDir: string;
let backupDir: string;
let stateDir: string;
let configDir: string;
/** Captured by the first backup, used by the restores. */
let fullDump: { dump: string; archive: string; counts: Map<string, number> };

beforeAll(async () => {
  [ssh, services] = await Promise.all([
    // The operator's session has the openstack credentials (as a sourced keystonerc gives them).
    startSshLab({ hosts: STANDARD_LAB_HOSTS, sessionEnv: { ...STANDIN_OS_ENV } }),
    startServiceLab(),
  ]);
  db = await startMariaDbLab({ dir: services.dir });
  process.env[PASSWORD_ENV] = db.password;
  services.setEnv({ LAB_MYSQL: `mysql --defaults-file=${db.clientCnf}` });
  await services.connectApi(db, ssh);
  for (const name of CONTROLLER_SERVICES) await services.service('start', name, 'controller01');
  for (const host of ['compute01', 'compute02']) {
    for (const name of ['nova-compute', 'neutron-openvswitch-agent']) await services.service('start', name, host);
  }
  envFile = services.writeEnvironment(ssh, db.databasesYaml('openstack', 'controller01', PASSWORD_ENV));
  auditDir = path.join(services.dir, 'audit');
  backupDir = path.join(services.dir, 'backups');
  // The project's state and configuration directories, as /var/lib/nova and /etc/nova would be.
  stateDir = path.join(services.dir, 'var/lib/nova');
  configDir = path.join(services.dir, 'etc/nova');
  mkdirSync(path.join(stateDir, 'instances/8c2b5e4e-0000-4000-8000-000000000001'), { recursive: true });
  writeFileSync(path.join(stateDir, 'instances/8c2b5e4e-0000-4000-8000-000000000001/disk'), 'instance disk');
  mkdirSync(path.join(stateDir, 'buckets'), { recursive: true });
  writeFileSync(path.join(stateDir, 'buckets/state.txt'), 'state as backed up\n');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(path.join(configDir, 'nova.conf'), '[database]\nconnection = mysql+pymysql://nova:PASS@controller/nova\n');
}, 120_000);

afterAll(async () => {
  services?.stopServices();
  await db?.stop();
  await ssh?.stop();
  delete process.env[PASSWORD_ENV];
  if (services) rmSync(services.dir, { recursive: true, force: true });
});

describe('db-backup and db-restore on a real MariaDB', () => {
  it('dumps every database with its sha256 and row-count manifest, archives the files, and deletes only old backups', async () => {
    mkdirSync(backupDir, { recursive: true });
    const old = ['opsdeck-all-databases-20200101T000000Z.sql', 'opsdeck-all-databases-20200101T000000Z.sql.manifest.json', 'opsdeck-files-controller01-20200101T000000Z.tar.gz'];
    const recent = ['opsdeck-nova-20200105T000000Z.sql.gz', 'opsdeck-nova-20200105T000000Z.sql.gz.manifest.json'];
    const foreign = ['nightly.sql'];
    for (const name of [...old, ...recent, ...foreign]) writeFileSync(path.join(backupDir, name), `-- ${name}\n`);
    for (const name of [...old, ...foreign]) ageDays(path.join(backupDir, name), 5);
    for (const name of recent) ageDays(path.join(backupDir, name), 2);

    const run = await opsdeck(
      'run',
      BACKUP,
      '--env',
      envFile,
      '--audit-dir',
      auditDir,
      '-p',
      'database=all',
      '-p',
      `backup_dir=${backupDir}`,
      '-p',
      'db_host=controller01',
      '-p',
      'backup_files=true',
      '-p',
      `file_paths=${configDir},${stateDir},${services.dir}/etc/swift`,
      '-p',
      'files_on=controller01',
    );
    expect(run.err).toBe('');
    expect(run.code, run.out.slice(-3000)).toBe(0);
    const records = journal(runIdOf(run.out));
    logDurations('backup', records);

    // The dump: where the run says, complete, its size and sha256 as captured.
    const dump = finished(records, 'dump')?.captures?.dump_file as string;
    expect(dump).toMatch(new RegExp(`^${escape(backupDir)}/opsdeck-all-databases-\\d{8}T\\d{6}Z\\.sql$`));
    const bytes = readFileSync(dump);
    expect(bytes.toString('utf8')).toMatch(/-- Dump completed on .*\n$/);
    expect(bytes.toString('utf8')).toContain('CREATE DATABASE /*!32312 IF NOT EXISTS*/ `nova_api`');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(finished(records, 'checksum')?.captures).toEqual({ size: String(bytes.length), sha256 });

    // The manifest: beside the dump, with the sha256, size and the exact count of every table.
    const manifest = JSON.parse(readFileSync(`${dump}.manifest.json`, 'utf8'));
    expect(manifest).toMatchObject({ dump, sha256, size_bytes: bytes.length, database: 'all', schemas: SCHEMAS });
    const counts = await db.counts(SCHEMAS);
    expect(new Map(manifest.row_counts.map((entry: { schema: string; table: string; rows: number }) => [`${entry.schema}.${entry.table}`, entry.rows]))).toEqual(counts);
    expect(counts.get('nova.instances')).toBe(5);
    expect(manifest.row_counts_by_schema.glance).toHaveLength(2);
    expect(manifest.row_counts_by_schema.glance).toEqual(
      expect.arrayContaining([
        { schema: 'glance', table: 'image_locations', rows: 2 },
        { schema: 'glance', table: 'images', rows: 2 },
      ]),
    );

    // The files: configuration and state, without the instance disks; absent paths skipped.
    const archive = (finished(records, 'files')?.captures?.files_archive as string[])[0];
    const members = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).split('\n');
    expect(members).toContain(`${configDir.slice(1)}/nova.conf`);
    expect(members).toContain(`${stateDir.slice(1)}/buckets/state.txt`);
    expect(members.some((member) => member.includes('instances'))).toBe(false);
    expect(run.out).toContain(`skipped (not on this node): ${services.dir}/etc/swift`);

    // Retention: listed first, then exactly the opsdeck-* files older than three days deleted.
    expect((finished(records, 'old-backups')?.captures?.old_files as string[]).map((file) => path.basename(file)).sort()).toEqual([...old].sort());
    const left = readdirSync(backupDir);
    for (const name of old) expect(left).not.toContain(name);
    for (const name of [...recent, ...foreign]) expect(left).toContain(name);
    expect(left).toContain(path.basename(dump));
    expect(left).toContain(`${path.basename(dump)}.manifest.json`);

    fullDump = { dump, archive, counts };
  }, 120_000);

  it('restores every database and the /var/lib directory: the data is as it was, services stopped around the import', async () => {
    expect(fullDump).toBeDefined();
    // Damage: rows deleted and added, a table dropped, a table created after the dump, state changed.
    await db.sql(
      "DELETE FROM nova.instances WHERE host = 'compute02'; INSERT INTO nova_api.flavors (name, vcpus, memory_mb, root_gb) VALUES ('x1.huge', 64, 262144, 500);" +
        ' DROP TABLE glance.image_locations; CREATE TABLE nova.shadow_new (id INT); UPDATE keystone.project SET enabled = 0;',
    );
    writeFileSync(path.join(stateDir, 'buckets/state.txt'), 'state after the damage\n');
    expect(await db.counts(SCHEMAS)).not.toEqual(fullDump.counts);
    const manifest = JSON.parse(readFileSync(`${fullDump.dump}.manifest.json`, 'utf8'));
    const actionsBefore = services.actions().length;

    const run = await opsdeck(
      'run',
      RESTORE,
      '--env',
      envFile,
      '--audit-dir',
      auditDir,
      '-p',
      `dump=${fullDump.dump}`,
      '-p',
      'project=all',
      '-p',
      'db_host=controller01',
      '-p',
      'restore_files=true',
      '-p',
      `files_archive=${fullDump.archive}`,
      '-p',
      'files_host=controller01',
      '-p',
      `state_dirs=${stateDir}`,
      '--decide',
      'go=go',
      '--confirm',
      `import=restore ${manifest.schemas.join(',')}`,
    );
    expect(run.err).toBe('');
    expect(run.code, run.out.slice(-3000)).toBe(0);
    const records = journal(runIdOf(run.out));
    logDurations('restore', records);

    // The data is as it was: every count, the dropped table back, the later table gone, the values back.
    expect(await db.counts(SCHEMAS)).toEqual(fullDump.counts);
    expect((await db.sql('SELECT COUNT(*) FROM keystone.project WHERE enabled = 1')).trim()).toBe('3');
    expect((await db.sql("SELECT display_name FROM nova.instances WHERE uuid = '8c2b5e4e-0000-4000-8000-000000000004'")).trim()).toBe("it's; $(reboot)");
    for (const schema of SCHEMAS) expect(finished(records, `verify-${schema.replace('_', '-')}`)?.status, schema).toBe('succeeded');
    expect(finished(records, 'api-answers')?.status).toBe('succeeded');

    // /var/lib restored from the archive; the damaged copy moved aside, not deleted.
    expect(readFileSync(path.join(stateDir, 'buckets/state.txt'), 'utf8')).toBe('state as backed up\n');
    const aside = readdirSync(path.dirname(stateDir)).filter((name) => name.startsWith('nova.before-restore-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(path.dirname(stateDir), aside[0], 'buckets/state.txt'), 'utf8')).toBe('state after the damage\n');

    // Every service was stopped before the import and started after it, nova-compute included.
    const importStarted = Date.parse(records.find((record) => record.type === 'step.started' && record.step === 'import')!.ts);
    const importFinished = Date.parse(finished(records, 'import')!.ts);
    const actions = services.actions().slice(actionsBefore);
    const expected = [...CONTROLLER_SERVICES.map((name) => ['controller01', name]), ['compute01', 'nova-compute'], ['compute02', 'nova-compute']];
    for (const [host, name] of expected) {
      const stop = actions.find((action) => action.host === host && action.service === name && action.action === 'stop');
      const start = actions.find((action) => action.host === host && action.service === name && action.action === 'start');
      expect(stop, `${name} on ${host} stopped`).toBeDefined();
      expect(stop!.at * 1000).toBeLessThan(importStarted);
      expect(start!.at * 1000, `${name} on ${host} started after the import`).toBeGreaterThan(importFinished);
    }
  }, 120_000);

  it('refuses a dump whose sha256 does not match before stopping anything, and catches a broken import by its row counts', async () => {
    // A fresh single-database dump of nova, gzipped.
    const backup = await opsdeck(
      'run',
      BACKUP,
      '--env',
      envFile,
      '--audit-dir',
      auditDir,
      '-p',
      'database=nova',
      '-p',
      `backup_dir=${backupDir}`,
      '-p',
      'db_host=controller01',
      '-p',
      'compress=true',
    );
    expect(backup.code, backup.out.slice(-3000)).toBe(0);
    const dump = finished(journal(runIdOf(backup.out)), 'dump')?.captures?.dump_file as string;
    expect(dump).toMatch(/opsdeck-nova-\d{8}T\d{6}Z\.sql\.gz$/);
    const manifestFile = `${dump}.manifest.json`;
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    expect(manifest.schemas).toEqual(['nova']);

    // Edit the dump: drop two instances from its INSERT (a truncated or tampered dump).
    const text = gunzipSync(readFileSync(dump)).toString('utf8');
    const edited = text.replace(/(INSERT INTO `instances` VALUES\n)\(1,'8c2b5e4e-0000-4000-8000-000000000001',.*,\n\(2,.*,\n/, '$1');
    expect(edited).not.toBe(text);
    writeFileSync(dump, gzipSync(edited));

    // 1. The manifest still has the original sha256: the restore stops before touching anything.
    const actionsBefore = services.actions().length;
    const refused = await opsdeck(
      'run',
      RESTORE,
      '--env',
      envFile,
      '--audit-dir',
      auditDir,
      '-p',
      `dump=${dump}`,
      '-p',
      'project=nova',
      '-p',
      'db_host=controller01',
      '--decide',
      'go=go',
      '--confirm',
      'import=restore nova',
    );
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('MISMATCH');
    const refusedRecords = journal(runIdOf(refused.out));
    expect(finished(refusedRecords, 'verify-sha256')?.status).toBe('failed');
    expect(finished(refusedRecords, 'stop-controller-services')).toBeUndefined();
    expect(services.actions().length).toBe(actionsBefore);
    expect((await db.sql('SELECT COUNT(*) FROM nova.instances')).trim()).toBe('5');

    // 2. Someone "fixes" the manifest's sha256 to the edited file: the import runs, and the row-count
    //    comparison against the manifest fails, naming the table.
    manifest.sha256 = createHash('sha256').update(readFileSync(dump)).digest('hex');
    writeFileSync(manifestFile, JSON.stringify(manifest));
    const broken = await opsdeck(
      'run',
      RESTORE,
      '--env',
      envFile,
      '--audit-dir',
      auditDir,
      '-p',
      `dump=${dump}`,
      '-p',
      'project=nova',
      '-p',
      'db_host=controller01',
      '--decide',
      'go=go',
      '--confirm',
      'import=restore nova',
    );
    expect(broken.code).toBe(1);
    const records = journal(runIdOf(broken.out));
    expect(finished(records, 'import')?.status).toBe('succeeded');
    const verify = finished(records, 'verify-nova');
    expect(verify?.status).toBe('failed');
    expect(verify?.reason).toContain('nova.instances: 3 rows, the manifest says 5');
    expect(verify?.reason).not.toContain('nova.instance_actions');
    expect(verify?.reason).not.toContain('nova.services');
    expect((await db.sql('SELECT COUNT(*) FROM nova.instances')).trim()).toBe('3');
  }, 120_000);
});

// ---- helpers --------------------------------------------------------------------------------

function ageDays(file: string, days: number): void {
  const when = new Date(Date.now() - days * 86_400_000);
  utimesSync(file, when, when);
  expect(statSync(file).mtimeMs).toBeLessThan(Date.now() - (days - 0.5) * 86_400_000);
}

function logDurations(what: string, records: JournalRecord[]): void {
  const steps = records.flatMap((record) => (record.type === 'step.finished' && record.status !== 'skipped' ? [`${record.step} ${(record.durationMs / 1000).toFixed(1)}s`] : []));
  console.log(`${what}: ${steps.join(', ')}`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
