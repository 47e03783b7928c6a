/**
 * Case 4, backup streaming: a database of at least 500 MB dumped by the bundled db-backup runbook
 * (runbooks/db-backup.yaml, MariaDB from test/lab/mariadb-lab.ts) against
 * `ssh dbhost 'mysqldump ...' > file`. Targets: ≥ 0.9x the baseline's throughput, console peak RSS
 * under 200 MB whatever the dump's size.
 *
 * Both files are being written by another engineer; until they are in the tree this case reports
 * that it did not run, and why, instead of measuring a stand-in of its own.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, type Bench, type CaseResult } from './setup';

const ROOT = path.join(BENCH_DIR, '..');
const NEEDS = ['runbooks/db-backup.yaml', 'test/lab/mariadb-lab.ts'];

export async function backupCase(_bench: Bench): Promise<CaseResult> {
  const missing = NEEDS.filter((file) => !existsSync(path.join(ROOT, file)));
  const title = 'Backup streaming (≥ 500 MB dump)';
  if (missing.length > 0) {
    return {
      id: 4,
      title,
      rows: [],
      notes: ['When they exist: load ≥ 500 MB into the lab MariaDB, run db-backup through createRunSession in a child process (peak RSS), and time `ssh dbhost \'mysqldump …\' > file` in the same run.'],
      notRun: `not run: ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not in the tree yet (another engineer is writing them).`,
    };
  }
  return {
    id: 4,
    title,
    rows: [],
    notes: [
      'db-backup dumps on the database host (`mysqldump … > <backup_dir>/opsdeck-….sql.part`, then a manifest of row counts): the dump\'s bytes never pass through the console, so its memory cannot grow with the dump; the baseline `ssh dbhost \'mysqldump …\' > file` streams the dump to this machine instead. The case still has to be measured to show it.',
    ],
    notRun: `not run: ${NEEDS.join(' and ')} appeared (uncommitted, still being written) while this benchmark was being finished; bench/backup.ts is not wired to them yet.`,
  };
}
