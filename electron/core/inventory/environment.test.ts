import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors';
import { loadEnvironment, loadProfile } from './environment';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-env-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function problemsOf(file: string): Promise<string[]> {
  try {
    await loadEnvironment(file, { processEnv: {} });
  } catch (error) {
    if (error instanceof ValidationError) return error.problems.map((p) => `${p.line}:${p.column} ${p.message}`);
    throw error;
  }
  return [];
}

describe('loadEnvironment', () => {
  it('loads hosts with defaults, roles, jump hosts, secrets and databases', async () => {
    write('pass', 'key-passphrase\n');
    const file = write(
      'prod.yaml',
      `name: prod
profile: tripleo-podman
known_hosts: ./known_hosts
defaults: { user: heat-admin, key: ./id_ed25519, passphrase: { file: ./pass } }
vars: { region: RegionOne }
secrets: { rabbit: { env: RABBIT_PASS } }
hosts:
  bastion: { address: 203.0.113.10, user: ops, roles: [] }
  controller-0: { address: 192.0.2.10, jump: bastion, roles: [controller, db, mq] }
  compute-0: { address: 192.0.2.20, port: 2222, jump: bastion, roles: [compute] }
databases:
  openstack: { host: controller-0, user: root, password: { env: DB_PASS } }
`,
    );
    const environment = await loadEnvironment(file, { processEnv: { RABBIT_PASS: 'r4bbit', DB_PASS: 'db-pass' } });
    expect(environment.name).toBe('prod');
    expect(environment.lab).toBe(false);
    expect(environment.profile.words.rabbitmqctl).toBe('podman exec rabbitmq-bundle-podman-0 rabbitmqctl');
    expect(environment.knownHostsFile).toBe(path.join(dir, 'known_hosts'));
    const compute = environment.hosts.find((host) => host.name === 'compute-0')!;
    expect(compute).toMatchObject({ address: '192.0.2.20', port: 2222, user: 'heat-admin', jump: 'bastion', roles: ['compute'], passphrase: 'key-passphrase' });
    expect(compute.keyFile).toBe(path.join(dir, 'id_ed25519'));
    expect(environment.hosts.find((host) => host.name === 'bastion')).toMatchObject({ user: 'ops', port: 22 });
    expect(environment.secrets).toEqual({ rabbit: 'r4bbit' });
    expect(environment.databases.openstack).toEqual({ name: 'openstack', host: 'controller-0', address: '127.0.0.1', port: 3306, user: 'root', password: 'db-pass' });
  });

  it('reports every problem at once with its line and column', async () => {
    const file = write(
      'bad.yaml',
      `name: broken
profile: sytemd
hosts:
  ok: { address: 10.0.0.1, user: u }
  noaddress: { user: u, roles: [compute] }
  badport: { address: 10.0.0.3, user: u, port: 70000 }
  typo: { address: 10.0.0.4, user: u, rolez: [compute] }
  leaky: { address: 10.0.0.5, user: u, password: hunter2 }
  lost: { address: 10.0.0.6, user: u, jump: nowhere }
`,
    );
    const problems = await problemsOf(file);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^2:10 No deployment profile "sytemd" \(known profiles: kolla, systemd, tripleo-docker, tripleo-podman\)/),
        expect.stringMatching(/^5:14 hosts\.noaddress\.address is missing/),
        expect.stringMatching(/^6:48 port must be a number from 1 to 65535/),
        expect.stringMatching(/^7:39 host typo has no field "rolez"/),
        expect.stringMatching(/^8:50 password is a secret: write it as \{ env: VARIABLE \}/),
        expect.stringMatching(/^9:45 jump host "nowhere" is not a host of this environment/),
      ]),
    );
    expect(problems).toHaveLength(6);
  });

  it('names an unset secret variable and a jump loop', async () => {
    const file = write(
      'loop.yaml',
      `name: loop
profile: systemd
defaults: { user: u }
hosts:
  a: { address: 10.0.0.1, jump: b, passphrase: { env: NOT_SET } }
  b: { address: 10.0.0.2, jump: a }
`,
    );
    const problems = await problemsOf(file);
    expect(problems.some((problem) => /variable NOT_SET, which is not set/.test(problem))).toBe(true);
    expect(problems.some((problem) => /jump hosts go round in a loop: a -> b -> a/.test(problem))).toBe(true);
  });

  it('refuses a file that is not YAML, with a position', async () => {
    const problems = await problemsOf(write('syntax.yaml', 'name: x\nhosts: [unclosed\n'));
    expect(problems[0]).toMatch(/^\d+:\d+ /);
  });
});

describe('profiles', () => {
  it('every bundled profile defines the same command words', async () => {
    const ids = ['systemd', 'tripleo-podman', 'tripleo-docker', 'kolla'];
    const profiles = await Promise.all(ids.map((id) => loadProfile(id)));
    const words = profiles.map((profile) => Object.keys(profile.words).sort());
    for (const list of words) expect(list).toEqual(words[0]);
    expect(words[0]).toEqual(expect.arrayContaining(['rabbitmqctl', 'service_restart', 'svc_nova_compute', 'mysqldump', 'openstack']));
  });
});
