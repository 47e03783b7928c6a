/**
 * Case 4, backup streaming: the bundled db-backup runbook (runbooks/db-backup.yaml) dumping a real
 * MariaDB (test/lab/mariadb-lab.ts, the lab profile test/fixtures/profiles/lab-services.yaml) through
 * the SSH lab, at two sizes of dump (250 MB and 500 MB+), against `ssh dbhost 'mysqldump …' > file`.
 * Targets: the dump step's throughput ≥ 0.9x the baseline's; the console's peak RSS under 200 MB
 * whatever the dump's size.
 *
 * What each side does, which differ: db-backup writes the dump ON THE DATABASE HOST (`mysqldump … >
 * <backup_dir>/…sql.part`, checked and renamed); the console only reads the command's few lines of
 * output. The baseline streams the dump over SSH to a file on the console's machine. Here both
 * "machines" are this one (loopback), so both write the same bytes to the same disk; the baseline
 * also pays SSH encryption of every byte, db-backup does not.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startMariaDbLab, type MariaDbLab } from '../test/lab/mariadb-lab';
import { startServiceLab } from '../test/lab/service-standins';
import {
  BENCH_DIR,
  type Bench,
  type CaseResult,
  type ChildEngineRun,
  ensureDebianPackages,
  expectSuccess,
  formatMs,
  formatRatio,
  median,
  openSshOptions,
  openSshTarget,
  progress,
  repeat,
  runEngineInChild,
  runProcess,
  timed,
} from './setup';

const BACKUP_RUNBOOK = path.join(BENCH_DIR, '..', 'runbooks', 'db-backup.yaml');
const PASSWORD_ENV = 'OPSDECK_BENCH_DB_PASSWORD';
const MB = 1_000_000;
/** The big table: nova's instance faults, whose `details` (tracebacks) make real nova databases large. */
const TABLE = 'nova.instance_faults';
/** Each generated row takes at least this much of the dump (its `details` alone are 896 bytes). */
const ROW_DUMP_BYTES = 1000;
const INSERT_CHUNK_ROWS = 50_000;

/** Adds rows to {@link TABLE} until its dump takes at least `dumpBytes`; returns the rows it has. */
async function growTable(db: MariaDbLab, dumpBytes: number): Promise<number> {
  await db.sql(
    `CREATE TABLE IF NOT EXISTS ${TABLE} (id INT PRIMARY KEY AUTO_INCREMENT, instance_uuid CHAR(36), code INT, message VARCHAR(255), details MEDIUMTEXT, host VARCHAR(255), created_at DATETIME, deleted INT DEFAULT 0)`,
  );
  const target = Math.ceil(dumpBytes / ROW_DUMP_BYTES);
  let rows = Number((await db.sql(`SELECT COUNT(*) FROM ${TABLE}`)).trim());
  while (rows < target) {
    const last = Math.min(target, rows + INSERT_CHUNK_ROWS);
    // seq_N_to_M: MariaDB's SEQUENCE engine, a table of the integers N..M.
    await db.sql(
      `INSERT INTO ${TABLE} (instance_uuid, code, message, details, host, created_at) ` +
        `SELECT UUID(), 500, CONCAT('Connection to libvirt lost: ', seq), REPEAT(MD5(seq), 28), 'compute01', NOW() FROM nova.seq_${rows + 1}_to_${last}`,
    );
    rows = last;
  }
  return rows;
}

interface ConsoleBackup extends ChildEngineRun {
  /** The dump step alone, from its step.started to its step.finished in the journal. */
  dumpMs: number;
  dumpBytes: number;
}

/** step.started → step.finished of `step` in a journal, ms; and the captures of every finished step. */
function journalSteps(journalFile: string): { stepMs: (step: string) => number; captures: Record<string, unknown> } {
  const started = new Map<string, number>();
  const finished = new Map<string, number>();
  const captures: Record<string, unknown> = {};
  for (const line of readFileSync(journalFile, 'utf8').split('\n')) {
    if (!line.includes('"type":"step.')) continue;
    const record = JSON.parse(line) as { type: string; step: string; ts: string; captures?: Record<string, unknown> };
    if (record.type === 'step.started') started.set(record.step, Date.parse(record.ts));
    if (record.type === 'step.finished') {
      finished.set(record.step, Date.parse(record.ts));
      Object.assign(captures, record.captures);
    }
  }
  return { stepMs: (step) => (finished.get(step) ?? Number.NaN) - (started.get(step) ?? Number.NaN), captures };
}

export async function backupCase(bench: Bench): Promise<CaseResult> {
  const quick = bench.options.quick;
  await ensureDebianPackages({ '/usr/sbin/mariadbd': 'mariadb-server', '/usr/bin/mariadb-install-db': 'mariadb-server', '/usr/bin/mysqldump': 'mariadb-client' });
  const lab = await bench.lab('backup-lab', 1);
  const host = lab.hosts[0];
  const dir = bench.dir('backup');
  // The lab profile (mysqldump → the lab MariaDB's client.cnf) and the lab user's sudo.
  const services = await startServiceLab({ dir });
  progress('starting MariaDB');
  const db = await startMariaDbLab({ dir });
  bench.onCleanup('mariadb', () => db.stop());
  process.env[PASSWORD_ENV] = db.password;
  bench.onCleanup('database password', () => void delete process.env[PASSWORD_ENV]);
  const envFile = services.writeEnvironment(lab, db.databasesYaml('openstack', host.name, PASSWORD_ENV));
  const backupDir = path.join(dir, 'backups');
  const baselineFile = path.join(dir, 'baseline.sql');
  const mysqldump = `mysqldump --defaults-file=${db.clientCnf}`;
  // The runbook's own command (sudo: true, as its steps run), streamed to this machine instead.
  const baselineCommand = `sudo -n ${mysqldump} --opt --single-transaction --all-databases`;
  const ssh = [...openSshOptions(lab), ...openSshTarget(host)];

  let auditIndex = 0;
  const consoleBackup = async (): Promise<ConsoleBackup> => {
    const auditDir = path.join(dir, `audit-${auditIndex++}`);
    const run = await runEngineInChild(BACKUP_RUNBOOK, envFile, auditDir, {
      params: { database: 'all', backup_dir: backupDir, db_host: host.name },
      timeoutMs: 1_200_000,
    });
    if (run.status !== 'succeeded') throw new Error(`db-backup ended ${run.status} (journal: ${run.runDirectory}/journal.jsonl)`);
    const { stepMs, captures } = journalSteps(path.join(run.runDirectory, 'journal.jsonl'));
    // Each dump is removed once measured: the next run must not find the disk fuller.
    rmSync(backupDir, { recursive: true, force: true });
    return { ...run, dumpMs: stepMs('dump'), dumpBytes: Number(captures.size) };
  };
  const openSsh = async (): Promise<{ ms: number; bytes: number }> => {
    const result = expectSuccess(await runProcess('ssh', [...ssh, baselineCommand], { stdout: { file: baselineFile }, timeoutMs: 1_200_000 }), 'ssh mysqldump');
    const bytes = readFileSync(baselineFile).length;
    rmSync(baselineFile);
    return { ms: result.ms, bytes };
  };

  const sizes = quick ? [20 * MB, 50 * MB] : [250 * MB, 500 * MB];
  const reps = quick ? 1 : 3;
  const measured: Array<{ size: number; rows: number; generateMs: number; console: ConsoleBackup[]; ssh: Array<{ ms: number; bytes: number }> }> = [];
  for (const size of sizes) {
    let rows = 0;
    progress(`filling ${TABLE} for a dump of ${size / MB} MB`);
    const generateMs = await timed(async () => (rows = await growTable(db, size)));
    const consoleRuns: ConsoleBackup[] = [];
    const sshRuns: Array<{ ms: number; bytes: number }> = [];
    await repeat(`db-backup, ssh mysqldump > file (${size / MB} MB)`, reps, async () => {
      consoleRuns.push(await consoleBackup());
      sshRuns.push(await openSsh());
    });
    measured.push({ size, rows, generateMs, console: consoleRuns, ssh: sshRuns });
  }

  const rate = (bytes: number, ms: number) => `${(bytes / MB / (ms / 1000)).toFixed(0)} MB/s`;
  const rows = measured.flatMap(({ console: consoleRuns, ssh: sshRuns }) => {
    const dumpMs = median(consoleRuns.map((run) => run.dumpMs));
    const dumpBytes = consoleRuns[0].dumpBytes;
    const sshMs = median(sshRuns.map((run) => run.ms));
    const sshBytes = sshRuns[0].bytes;
    const ratio = dumpBytes / dumpMs / (sshBytes / sshMs);
    const label = `${(dumpBytes / MB).toFixed(0)} MB dump`;
    return [
      {
        figure: `db-backup's dump step, ${label} written on the DB host (median of ${reps}): ${rate(dumpBytes, dumpMs)}`,
        value: formatMs(dumpMs),
        baseline: `ssh dbhost 'mysqldump …' > file here, ${(sshBytes / MB).toFixed(0)} MB: ${formatMs(sshMs)} (${rate(sshBytes, sshMs)})`,
        ratio: `${formatRatio(ratio)}x the throughput`,
        target: '≥ 0.9x',
        met: ratio >= 0.9,
      },
      {
        figure: `the whole db-backup run, ${label}: dump, sha256, schemas, row counts, manifest, retention (median of ${reps})`,
        value: formatMs(median(consoleRuns.map((run) => run.ms))),
        baseline: `ssh mysqldump > file: ${formatMs(sshMs)}`,
        ratio: `${formatRatio(sshMs / median(consoleRuns.map((run) => run.ms)))}x the throughput`,
        target: '(context)',
        met: null,
      },
    ];
  });
  const peaks = measured.map(({ console: consoleRuns }) => Math.max(...consoleRuns.map((run) => run.peakRssMiB)));
  const peakMB = (mib: number) => (mib * 1024 * 1024) / MB;
  const [small, large] = measured;
  rows.push({
    figure: `console peak RSS (engine child, VmHWM), ${(large.console[0].dumpBytes / MB).toFixed(0)} MB dump (worst of ${reps})`,
    value: `${peakMB(peaks[1]).toFixed(0)} MB`,
    baseline: `${(small.console[0].dumpBytes / MB).toFixed(0)} MB dump: ${peakMB(peaks[0]).toFixed(0)} MB`,
    ratio: `${formatRatio(peaks[1] / peaks[0])}x`,
    target: '< 200 MB at both sizes',
    met: Math.max(...peaks.map(peakMB)) < 200,
  });

  return {
    id: 4,
    title: 'Backup streaming (250 MB and 500 MB+ dumps)',
    rows,
    notes: [
      "Console side: runbooks/db-backup.yaml as bundled (`database=all`, `db_host` = the lab host, `backup_dir` under bench/work) through createRunSession in a child process (bench/engine-child.ts) with a real journal, against the lab MariaDB through the lab profile (`mysqldump --defaults-file=<lab client.cnf>`, sudo as the runbook says). The dump is written on the database host; the console receives only the step's output lines (`dump-file: …`). Its throughput is the dump's size (the `checksum` step's capture) over the dump step's time in the journal (step.started → step.finished: the SSH connection, mysqldump to the .part file, the completion-line check and the rename).",
      `Baseline: \`ssh <lab host> '${baselineCommand.replace(db.clientCnf, '<lab client.cnf>')}' > file\` with OpenSSH (a fresh connection, inside the time), the dump streamed over SSH to a file on this machine. Both sides run mysqldump on the same server with the same options, one after the other; both write to the same disk (the "DB host" is this machine on loopback).`,
      'The whole db-backup run adds what the baseline does not do: sha256 of the dump, the row count of every table of the OpenStack schemas (COUNT(*) over the big table included), the manifest and retention.',
      `Data: the lab's seeded OpenStack schemas plus \`${TABLE}\`, rows of ~1 KB (uuid, message, 896-byte details) generated with INSERT … SELECT from MariaDB's SEQUENCE engine: ${measured.map((entry) => `${entry.rows.toLocaleString('en')} rows in ${formatMs(entry.generateMs)}`).join(', then ')} (generation not timed in any figure). innodb_buffer_pool_size 32M (the lab's).`,
      `Peak RSS is the whole engine child's VmHWM (Node, tsx, ssh2, the journal): ${measured.map((entry) => `${(entry.console[0].dumpBytes / MB).toFixed(0)} MB: ${entry.console.map((run) => peakMB(run.peakRssMiB).toFixed(0)).join(', ')} MB`).join('; ')}. The baseline's ssh client streams the dump but is not the console; its memory is not a target.`,
      `All runs: ${measured
        .map(
          (entry) =>
            `${(entry.size / MB).toFixed(0)} MB: dump step ${entry.console.map((run) => formatMs(run.dumpMs)).join(', ')}; whole run ${entry.console.map((run) => formatMs(run.ms)).join(', ')}; ssh ${entry.ssh.map((run) => formatMs(run.ms)).join(', ')}`,
        )
        .join('; ')}.`,
    ],
  };
}
