/**
 * Outside review (issue 11), item 3: `npm run lab` handed root to any other local user. It used the
 * fixed /tmp/opsdeck-lab without asking who owned it, wrote authorized_keys there, ran sshd with
 * `StrictModes no`, and its user had password-less sudo that stayed after the lab stopped. A user
 * who made /tmp/opsdeck-lab first replaced authorized_keys and ran `sudo -n id` as root.
 * Real sshd, real users, real sudo: the lab must refuse a directory someone else made or may write,
 * keep its keys root's, and take its user and sudo rule away when it stops (also on Ctrl-C).
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantLabSudo, LAB_USER_PREFIX, startSshLab, type SshLab } from '../lab/sshd-lab';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const ONE_HOST = [{ name: 'safety01', roles: ['controller'] }];

let parent: string;
const labs: SshLab[] = [];

beforeAll(() => {
  parent = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-lab-safety-'));
});

afterAll(async () => {
  for (const lab of labs) await lab.stop();
  rmSync(parent, { recursive: true, force: true });
});

/** Runs a command on the lab's host over OpenSSH, as the lab user. */
async function ssh(lab: SshLab, command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const host = lab.hosts[0];
  const args = ['-i', lab.keyFile, '-o', `UserKnownHostsFile=${lab.knownHostsFile}`, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'];
  try {
    const { stdout, stderr } = await run('ssh', [...args, '-p', String(host.port), `${lab.user}@${host.address}`, command], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

function userExists(user: string): boolean {
  return readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .some((line) => line.startsWith(`${user}:`));
}

function expectNothingOfTheLabLeft(user: string): void {
  expect(user.startsWith(LAB_USER_PREFIX)).toBe(true);
  expect(existsSync(`/etc/sudoers.d/${user}`)).toBe(false);
  expect(userExists(user)).toBe(false);
  expect(existsSync(`/home/${user}`)).toBe(false);
  expect(readFileSync('/etc/group', 'utf8')).not.toMatch(new RegExp(`^${user}:`, 'm'));
}

describe('review item 3: the SSH lab on a machine other users share', () => {
  it('refuses a directory another user made (nobody), one others may write, a symbolic link, and one in a directory others may write', async () => {
    const nobody = Number((await run('id', ['-u', 'nobody'])).stdout.trim());
    const byNobody = path.join(parent, 'made-by-nobody');
    mkdirSync(byNobody);
    // What the reviewer's attacker planted: their own key and an sshd configuration.
    writeFileSync(path.join(byNobody, 'authorized_keys'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAttackerKeyAttackerKeyAttackerKeyAttacker attacker\n');
    writeFileSync(path.join(byNobody, 'sshd_config'), 'PermitRootLogin yes\n');
    chownSync(byNobody, nobody, nobody);
    for (const file of readdirSync(byNobody)) chownSync(path.join(byNobody, file), nobody, nobody);
    await expect(startSshLab({ hosts: ONE_HOST, dir: byNobody })).rejects.toThrow(
      new RegExp(`${byNobody} already exists and belongs to another user \\(uid ${nobody}\\).*start the lab without --dir`),
    );
    // Nothing was written into it, nothing changed hands.
    expect(readdirSync(byNobody).sort()).toEqual(['authorized_keys', 'sshd_config']);
    expect(readFileSync(path.join(byNobody, 'authorized_keys'), 'utf8')).toContain('attacker');
    expect(statSync(byNobody).uid).toBe(nobody);

    const worldWritable = path.join(parent, 'world-writable');
    mkdirSync(worldWritable);
    chmodSync(worldWritable, 0o777);
    await expect(startSshLab({ hosts: ONE_HOST, dir: worldWritable })).rejects.toThrow(/can be written by other users \(mode 777\)/);
    expect(readdirSync(worldWritable)).toEqual([]);

    const link = path.join(parent, 'a-link');
    symlinkSync(byNobody, link);
    await expect(startSshLab({ hosts: ONE_HOST, dir: link })).rejects.toThrow(/is not a directory \(a symbolic link/);

    const openParent = path.join(parent, 'open-parent');
    mkdirSync(openParent);
    chmodSync(openParent, 0o777);
    await expect(startSshLab({ hosts: ONE_HOST, dir: path.join(openParent, 'lab') })).rejects.toThrow(/which another user owns or may write/);
    expect(existsSync(path.join(openParent, 'lab'))).toBe(false);
  });

  it('makes a missing directory root’s with 0700, keeps authorized_keys root’s under StrictModes yes, and leaves no user or sudo rule after stop', async () => {
    const dir = path.join(parent, 'fresh');
    const lab = await startSshLab({ hosts: ONE_HOST, dir });
    labs.push(lab);
    const stat = statSync(dir);
    expect(stat.uid).toBe(0);
    expect(stat.mode & 0o777).toBe(0o700);
    const config = readFileSync(path.join(dir, 'hosts', 'safety01', 'sshd_config'), 'utf8');
    expect(config).toMatch(/^StrictModes yes$/m);
    expect(config).not.toMatch(/StrictModes no/);
    expect(config).toMatch(new RegExp(`^AllowUsers ${lab.user}$`, 'm'));

    expect((await ssh(lab, 'id -un')).stdout).toBe(`${lab.user}\n`);
    // The lab user cannot change who may log in as it, nor read the lab's keys.
    const authorizedKeys = path.join('/home', lab.user, '.ssh', 'authorized_keys');
    expect(statSync(authorizedKeys).uid).toBe(0);
    expect(statSync(authorizedKeys).mode & 0o022).toBe(0);
    expect((await ssh(lab, 'echo ssh-ed25519 AAAA planted >> ~/.ssh/authorized_keys')).code).not.toBe(0);
    expect((await ssh(lab, `cat ${lab.keyFile}`)).code).not.toBe(0);

    grantLabSudo(lab.user);
    expect((await ssh(lab, 'sudo -n id -u')).stdout).toBe('0\n');
    const user = lab.user;
    await lab.stop();
    expectNothingOfTheLabLeft(user);
  });

  it('two labs at once have users of their own: stopping one leaves the other’s login and sudo working', async () => {
    const [first, second] = await Promise.all([startSshLab({ hosts: ONE_HOST }), startSshLab({ hosts: ONE_HOST })]);
    labs.push(first, second);
    expect(first.user).not.toBe(second.user);
    grantLabSudo(first.user);
    grantLabSudo(second.user);
    const firstUser = first.user;
    await first.stop();
    expectNothingOfTheLabLeft(firstUser);
    expect((await ssh(second, 'sudo -n id -u')).stdout).toBe('0\n');
    const secondUser = second.user;
    await second.stop();
    expectNothingOfTheLabLeft(secondUser);
  });

  it('npm run lab: a new private directory, printed; Ctrl-C removes the directory, the user and its sudo rule', async () => {
    const script = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.lab;
    expect(script).not.toMatch(/--dir/);
    const [command, ...args] = script.split(' ');
    expect(command).toBe('tsx');
    const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!out.includes('Ctrl-C stops the lab.')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm run lab did not start:\n${out}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const dir = /SSH lab running in (\S+)/.exec(out)![1];
    const user = new RegExp(`(${LAB_USER_PREFIX}[0-9a-f]+)@`).exec(out)![1];
    expect(dir).toMatch(new RegExp(`^${os.tmpdir()}/opsdeck-lab-\\w{6}$`));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(path.join(dir, 'environment.yaml'), 'utf8')).toContain(`user: ${user}`);
    grantLabSudo(user);
    expect(existsSync(`/etc/sudoers.d/${user}`)).toBe(true);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('SSH lab stopped.');
    expectNothingOfTheLabLeft(user);
    expect(existsSync(dir)).toBe(false);
  });
});
