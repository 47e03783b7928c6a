/**
 * The shared part of the RabbitMQ and MariaDB labs: a work directory with a copy of the wrappers in
 * test/fixtures/lab-services/ (stand-ins for systemctl, the RabbitMQ service and the openstack client,
 * and an AMQP stand-in for OpenStack services), the lab deployment profile made from
 * test/fixtures/profiles/lab-services.yaml, the sudo rule the SSH lab user needs, and an environment
 * file pointing the SSH lab at that profile.
 *
 * The runbooks' privileged steps say `sudo: true`, as they must on real nodes; so the SSH lab's own
 * user gets password-less sudo through /etc/sudoers.d/<that user> when the environment is written
 * (the file names only that user; the SSH lab's stop() removes both), and every wrapper runs as root.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, chmodSync, chownSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureSudoInstalled, grantLabSudo, labUserIds, type SshLab } from './sshd-lab';

const run = promisify(execFile);

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
const WRAPPERS = ['lab-service', 'lab-rabbit', 'lab-rabbitmqctl', 'lab-openstack', 'amqp-standin.mjs'];

export interface ServiceLab {
  /** The work directory (also `@LAB@` in the profile). */
  dir: string;
  /** The wrappers (`@BIN@`). */
  binDir: string;
  /** The lab deployment profile, placeholders filled in. */
  profileFile: string;
  /** Sets values in bin/lab.env, read by every wrapper on each call. */
  setEnv(values: Record<string, string>): void;
  /** Runs a lab-service action locally as if on `host` (the wrappers key their state by host name). */
  service(action: 'start' | 'stop' | 'restart' | 'is-active', name: string, host: string): Promise<string>;
  /** Lines `<epoch> <host> <service> <start|stop>` of every start and stop, in order. */
  actions(): Array<{ at: number; host: string; service: string; action: string }>;
  /** The stand-in's log of one service on one host. */
  serviceLog(name: string, host: string): string;
  /**
   * Lets the openstack stand-in's "API" read `db` as the real APIs read theirs: a SELECT-only account
   * whose options file only root and the operator (`sshLab`'s user) can read, so the client runs
   * unprivileged with the session's OS_* credentials ({@link STANDIN_OS_ENV}), as on a real cloud.
   */
  connectApi(db: { sql(statement: string): Promise<string>; port: number }, sshLab: SshLab): Promise<void>;
  /** Writes an environment file: the SSH lab's, with this profile and `extra` YAML appended; gives the SSH lab's user sudo. */
  writeEnvironment(sshLab: SshLab, extra?: string): string;
  /** Kills every stand-in service process (by the PIDs in their pid files). */
  stopServices(): void;
}

/**
 * The operator's openstack credentials (what a sourced keystonerc sets), for the SSH lab's sessions
 * (`startSshLab({ sessionEnv })`): the stand-in client fails without them, as the real one does.
 */
export const STANDIN_OS_ENV: Readonly<Record<string, string>> = {
  OS_AUTH_URL: 'http://controller01:5000/v3',
  OS_USERNAME: 'admin',
  OS_PROJECT_NAME: 'admin',
  OS_USER_DOMAIN_NAME: 'Default',
  OS_PROJECT_DOMAIN_NAME: 'Default',
  OS_IDENTITY_API_VERSION: '3',
};

export async function startServiceLab(options: { dir?: string } = {}): Promise<ServiceLab> {
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'opsdeck-svclab-'));
  const binDir = path.join(dir, 'bin');
  mkdirSync(binDir, { recursive: true });
  mkdirSync(path.join(dir, 'services'), { recursive: true });
  chmodSync(dir, 0o755);
  for (const name of WRAPPERS) {
    copyFileSync(path.join(FIXTURES, 'lab-services', name), path.join(binDir, name));
    chmodSync(path.join(binDir, name), 0o755);
  }
  const envValues: Record<string, string> = {
    LAB_DIR: dir,
    NODE: process.execPath,
    STANDIN: path.join(binDir, 'amqp-standin.mjs'),
  };
  const writeEnv = () =>
    writeFileSync(
      path.join(binDir, 'lab.env'),
      Object.entries(envValues)
        .map(([key, value]) => `${key}=${shellQuote(value)}`)
        .join('\n') + '\n',
    );
  writeEnv();
  const profileFile = path.join(dir, 'lab-services.profile.yaml');
  writeFileSync(
    profileFile,
    readFileSync(path.join(FIXTURES, 'profiles', 'lab-services.yaml'), 'utf8')
      .replaceAll('@BIN@', binDir)
      .replaceAll('@LAB@', dir),
  );
  await ensureSudoInstalled();

  const pidFiles = () => {
    const files: string[] = [];
    const root = path.join(dir, 'services');
    for (const host of readdirSync(root, { withFileTypes: true })) {
      if (!host.isDirectory()) continue;
      for (const file of readdirSync(path.join(root, host.name))) {
        if (file.endsWith('.pid')) files.push(path.join(root, host.name, file));
      }
    }
    return files;
  };

  return {
    dir,
    binDir,
    profileFile,
    setEnv(values) {
      Object.assign(envValues, values);
      writeEnv();
    },
    async service(action, name, host) {
      const { stdout } = await run(path.join(binDir, 'lab-service'), [action, name], { env: { ...process.env, LAB_HOSTNAME: host } });
      return stdout;
    },
    actions() {
      const file = path.join(dir, 'services', 'actions.log');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [at, host, service, action] = line.split(' ');
          return { at: Number(at), host, service, action };
        });
    },
    serviceLog(name, host) {
      const file = path.join(dir, 'services', host, `${name}.log`);
      return existsSync(file) ? readFileSync(file, 'utf8') : '';
    },
    async connectApi(db, sshLab) {
      const password = randomBytes(18).toString('hex');
      await db.sql(`CREATE USER IF NOT EXISTS 'lab_api'@'127.0.0.1' IDENTIFIED BY '${password}'; GRANT SELECT ON *.* TO 'lab_api'@'127.0.0.1';`);
      const cnf = path.join(binDir, 'api.cnf');
      writeFileSync(cnf, `[client]\nhost=127.0.0.1\nport=${db.port}\nuser=lab_api\npassword=${password}\n`, { mode: 0o640 });
      chownSync(cnf, 0, labUserIds(sshLab.user).gid);
      chmodSync(cnf, 0o640);
      envValues.LAB_API_MYSQL = `mysql --defaults-file=${cnf}`;
      writeEnv();
    },
    writeEnvironment(sshLab, extra = '') {
      grantLabSudo(sshLab.user);
      const text = readFileSync(sshLab.envFile, 'utf8').replace(/^profile: .*$/m, `profile: ${profileFile}`);
      const file = path.join(dir, 'environment.yaml');
      writeFileSync(file, text + extra);
      return file;
    },
    stopServices() {
      for (const file of pidFiles()) {
        const pid = Number(readFileSync(file, 'utf8').trim());
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    },
  };
}

export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number, name: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, name);
  } catch {
    // gone
  }
}

export function alive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
