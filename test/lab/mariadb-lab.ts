/**
 * An isolated MariaDB server for tests (see /work/shared/MACHINE-NOTES.md, "MariaDB for tests"): its
 * own datadir, a free port on 127.0.0.1, its own socket and pid file, `--no-defaults` so /etc/mysql is
 * never read, binary log off. Seeded with OpenStack-like databases (nova, nova_api, keystone, glance:
 * a few tables each, with rows) and a password user for TCP clients (the `sql` step's mysql2 through
 * the SSH tunnel, and the lab profile's mysql/mysqldump words through `<dir>/mariadb/client.cnf`).
 *
 * stop() kills mariadbd by PID; process exit does too.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { alive, signal } from './service-standins';
import { freePort } from './ports';

const run = promisify(execFile);

export interface MariaDbLab {
  port: number;
  user: string;
  password: string;
  socket: string;
  /** The [client] options file of the TCP user (the lab profile's `--defaults-file`). */
  clientCnf: string;
  /** Runs SQL as root over the socket; returns tab-separated rows without headers. */
  sql(statement: string): Promise<string>;
  /** Exact row counts of every table of the schemas: "schema.table" → rows. */
  counts(schemas: string[]): Promise<Map<string, number>>;
  /** The `databases:` entry for an environment file, tunnelled through `host`. */
  databasesYaml(name: string, host: string, passwordEnv: string): string;
  stop(): Promise<void>;
}

/** The OpenStack-like schemas the lab creates, with their tables and rows. */
export const SEED_SQL = `
CREATE DATABASE nova;
CREATE TABLE nova.services (id INT PRIMARY KEY AUTO_INCREMENT, host VARCHAR(255), \`binary\` VARCHAR(255), topic VARCHAR(255), disabled TINYINT DEFAULT 0, deleted INT DEFAULT 0);
INSERT INTO nova.services (host, \`binary\`, topic) VALUES
  ('controller01', 'nova-conductor', 'conductor'), ('controller01', 'nova-scheduler', 'scheduler'),
  ('compute01', 'nova-compute', 'compute'), ('compute02', 'nova-compute', 'compute');
CREATE TABLE nova.compute_nodes (id INT PRIMARY KEY AUTO_INCREMENT, hypervisor_hostname VARCHAR(255), vcpus INT, memory_mb INT, deleted INT DEFAULT 0);
INSERT INTO nova.compute_nodes (hypervisor_hostname, vcpus, memory_mb) VALUES ('compute01', 32, 131072), ('compute02', 32, 131072);
CREATE TABLE nova.instances (id INT PRIMARY KEY AUTO_INCREMENT, uuid CHAR(36), display_name VARCHAR(255), host VARCHAR(255), vm_state VARCHAR(255), deleted INT DEFAULT 0);
INSERT INTO nova.instances (uuid, display_name, host, vm_state) VALUES
  ('8c2b5e4e-0000-4000-8000-000000000001', 'web-1', 'compute01', 'active'),
  ('8c2b5e4e-0000-4000-8000-000000000002', 'web-2', 'compute01', 'active'),
  ('8c2b5e4e-0000-4000-8000-000000000003', 'db-1', 'compute02', 'active'),
  ('8c2b5e4e-0000-4000-8000-000000000004', 'it''s; $(reboot)', 'compute02', 'stopped'),
  ('8c2b5e4e-0000-4000-8000-000000000005', 'batch-1', 'compute02', 'active');
CREATE TABLE nova.instance_actions (id INT PRIMARY KEY AUTO_INCREMENT, instance_uuid CHAR(36), action VARCHAR(255));
INSERT INTO nova.instance_actions (instance_uuid, action) VALUES
  ('8c2b5e4e-0000-4000-8000-000000000001', 'create'), ('8c2b5e4e-0000-4000-8000-000000000002', 'create'),
  ('8c2b5e4e-0000-4000-8000-000000000003', 'create'), ('8c2b5e4e-0000-4000-8000-000000000003', 'reboot');
CREATE DATABASE nova_api;
CREATE TABLE nova_api.flavors (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(255), vcpus INT, memory_mb INT, root_gb INT);
INSERT INTO nova_api.flavors (name, vcpus, memory_mb, root_gb) VALUES ('m1.tiny', 1, 512, 1), ('m1.small', 1, 2048, 20), ('m1.medium', 2, 4096, 40);
CREATE TABLE nova_api.cell_mappings (id INT PRIMARY KEY AUTO_INCREMENT, uuid CHAR(36), name VARCHAR(255), transport_url TEXT, database_connection TEXT);
INSERT INTO nova_api.cell_mappings (uuid, name, transport_url, database_connection) VALUES
  ('00000000-0000-0000-0000-000000000000', 'cell0', 'none:///', 'mysql+pymysql://nova:PASS@controller/nova_cell0'),
  ('5f0f6a1e-0000-4000-8000-00000000c001', 'cell1', 'rabbit://openstack:PASS@controller', 'mysql+pymysql://nova:PASS@controller/nova');
CREATE TABLE nova_api.host_mappings (id INT PRIMARY KEY AUTO_INCREMENT, cell_id INT, host VARCHAR(255));
INSERT INTO nova_api.host_mappings (cell_id, host) VALUES (2, 'compute01'), (2, 'compute02');
CREATE DATABASE keystone;
CREATE TABLE keystone.project (id VARCHAR(64) PRIMARY KEY, name VARCHAR(64), domain_id VARCHAR(64), enabled TINYINT);
INSERT INTO keystone.project VALUES ('admin', 'admin', 'default', 1), ('service', 'service', 'default', 1), ('demo', 'demo', 'default', 1);
CREATE TABLE keystone.user (id VARCHAR(64) PRIMARY KEY, enabled TINYINT, domain_id VARCHAR(64));
INSERT INTO keystone.user VALUES ('u-admin', 1, 'default'), ('u-nova', 1, 'default'), ('u-glance', 1, 'default'), ('u-neutron', 1, 'default');
CREATE DATABASE glance;
CREATE TABLE glance.images (id VARCHAR(36) PRIMARY KEY, name VARCHAR(255), size BIGINT, status VARCHAR(30), deleted TINYINT DEFAULT 0);
INSERT INTO glance.images VALUES ('img-cirros', 'cirros-0.6.2', 21430272, 'active', 0), ('img-ubuntu', 'ubuntu-24.04', 612368384, 'active', 0);
CREATE TABLE glance.image_locations (id INT PRIMARY KEY AUTO_INCREMENT, image_id VARCHAR(36), value TEXT);
INSERT INTO glance.image_locations (image_id, value) VALUES ('img-cirros', 'file:///var/lib/glance/images/img-cirros'), ('img-ubuntu', 'file:///var/lib/glance/images/img-ubuntu');
`;

export async function startMariaDbLab(options: { dir: string; user?: string }): Promise<MariaDbLab> {
  const base = path.join(options.dir, 'mariadb');
  const dataDir = path.join(base, 'data');
  const runDir = path.join(base, 'run');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(runDir, { recursive: true });
  await run('chown', ['-R', 'mysql:mysql', base]);
  chmodSync(base, 0o755);
  const socket = path.join(runDir, 'mysqld.sock');
  const pidFile = path.join(runDir, 'mysqld.pid');
  const errorLog = path.join(base, 'error.log');
  const port = await freePort();
  const user = options.user ?? 'opsdeck';
  const password = `lab-${randomBytes(9).toString('base64url')}`;

  await run('mariadb-install-db', ['--no-defaults', '--user=mysql', `--datadir=${dataDir}`, '--auth-root-authentication-method=socket', '--skip-test-db'], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const server: ChildProcess = spawn(
    '/usr/sbin/mariadbd',
    [
      '--no-defaults',
      '--user=mysql',
      `--datadir=${dataDir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${socket}`,
      `--pid-file=${pidFile}`,
      `--log-error=${errorLog}`,
      '--skip-log-bin',
      '--innodb-buffer-pool-size=32M',
      '--skip-name-resolve',
    ],
    { stdio: 'ignore', detached: true },
  );
  server.unref();
  const pid = server.pid ?? 0;
  const kill = () => signal(pid, 'SIGKILL');
  process.once('exit', kill);

  const sql = async (statement: string) => {
    const { stdout } = await run('mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', '-N', '-B', '-e', statement], { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await sql('SELECT 1');
      break;
    } catch (error) {
      if (!alive(pid) || Date.now() > deadline) {
        kill();
        const log = existsSync(errorLog) ? readFileSync(errorLog, 'utf8').slice(-2000) : '';
        throw new Error(`The lab's MariaDB did not start: ${(error as Error).message}\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await sql(
    `CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'; GRANT ALL PRIVILEGES ON *.* TO '${user}'@'127.0.0.1' WITH GRANT OPTION;` +
      `CREATE USER '${user}'@'localhost' IDENTIFIED BY '${password}'; GRANT ALL PRIVILEGES ON *.* TO '${user}'@'localhost' WITH GRANT OPTION;`,
  );
  await sql(SEED_SQL);
  const clientCnf = path.join(base, 'client.cnf');
  writeFileSync(clientCnf, `[client]\nhost=127.0.0.1\nport=${port}\nuser=${user}\npassword=${password}\n`, { mode: 0o600 });

  return {
    port,
    user,
    password,
    socket,
    clientCnf,
    sql,
    async counts(schemas) {
      const tables = (
        await sql(
          `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA IN (${schemas.map((s) => `'${s}'`).join(',')}) ORDER BY 1, 2`,
        )
      )
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t'));
      const result = new Map<string, number>();
      for (const [schema, table] of tables) {
        result.set(`${schema}.${table}`, Number((await sql(`SELECT COUNT(*) FROM \`${schema}\`.\`${table}\``)).trim()));
      }
      return result;
    },
    databasesYaml(name, host, passwordEnv) {
      return `databases:\n  ${name}: { host: ${host}, address: 127.0.0.1, port: ${port}, user: ${user}, password: { env: ${passwordEnv} } }\n`;
    },
    async stop() {
      process.removeListener('exit', kill);
      signal(pid, 'SIGTERM');
      const until = Date.now() + 10_000;
      while (alive(pid) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
      kill();
    },
  };
}
