import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEnvironment } from '../environment';
import { importInventory } from './build';
import { parseMapFlags } from './mapping';
import { saveEnvironment } from './write';

const FIXTURES = path.resolve(import.meta.dirname, '../../../../test/fixtures/inventory');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-import-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const roleMap = (hosts: Array<{ name: string; roles: string[] }>) => Object.fromEntries(hosts.map((host) => [host.name, host.roles]));

describe('importInventory: Kolla multinode', () => {
  it('maps Kolla groups to roles, guesses the kolla profile, and writes a file the loader accepts', async () => {
    const result = importInventory(path.join(FIXTURES, 'ansible/kolla-multinode'), { name: 'kolla-prod', defaultUser: 'kolla' });
    expect(result.kind).toBe('kolla');
    expect(result.profile).toBe('kolla');
    expect(result.profileReason).toContain('kolla-ansible');
    expect(roleMap(result.hosts)).toEqual({
      control01: ['controller', 'db', 'mq'],
      control02: ['controller', 'db', 'mq'],
      control03: ['controller', 'db', 'mq'],
      network01: ['network'],
      network02: ['network'],
      compute01: ['compute'],
      compute02: ['compute'],
      compute03: ['compute'],
      monitoring01: ['monitoring'],
      storage01: ['storage'],
    });
    expect(result.hosts.find((host) => host.name === 'control03')).toMatchObject({ address: '10.0.0.13', port: 2222, user: 'kolla' });
    expect(result.hosts.find((host) => host.name === 'compute02')).toMatchObject({ address: 'compute02', key: '/home/kolla/.ssh/compute_ed25519' });
    // localhost (the deployment host) is Ansible's own, not a cloud host.
    expect(result.guesses.map((guess) => guess.message)).toEqual(expect.arrayContaining([expect.stringContaining('localhost is left out')]));
    // Kolla's multinode has groups whose children are empty ([bifrost:children] deployment...) but the mapped ones all have hosts.
    expect(result.warnings).toEqual([]);

    const out = path.join(dir, 'kolla.yaml');
    await saveEnvironment(result, out);
    const environment = await loadEnvironment(out);
    expect(environment.profile.id).toBe('kolla');
    expect(environment.hosts.map((host) => host.name)).toHaveLength(10);
    expect(environment.hosts.find((host) => host.name === 'compute01')?.keyFile).toBe('/home/kolla/.ssh/compute_ed25519');
  });

  it("takes the operator's mapping over the known groups", () => {
    const result = importInventory(path.join(FIXTURES, 'ansible/kolla-multinode'), { roles: parseMapFlags(['monitoring=', 'storage=storage,ceph']) });
    expect(roleMap(result.hosts).monitoring01).toEqual([]);
    expect(roleMap(result.hosts).storage01).toEqual(['storage', 'ceph']);
  });
});

describe('importInventory: TripleO', () => {
  it('maps TripleO roles and service groups, guesses tripleo-podman, and skips the undercloud', async () => {
    const result = importInventory(path.join(FIXTURES, 'ansible/tripleo-overcloud.yaml'));
    expect(result.kind).toBe('tripleo');
    expect(result.profile).toBe('tripleo-podman');
    expect(roleMap(result.hosts)).toEqual({
      'overcloud-controller-0': ['controller', 'db', 'mq'],
      'overcloud-novacompute-0': ['compute'],
      'overcloud-cephstorage-0': ['storage'],
    });
    expect(result.hosts[0]).toMatchObject({ address: '192.168.24.12', user: 'heat-admin' });
    const out = path.join(dir, 'overcloud.yaml');
    await saveEnvironment(result, out);
    expect((await loadEnvironment(out)).profile.id).toBe('tripleo-podman');
  });

  it('refuses a node in two TripleO roles, naming the file and both groups with their lines', () => {
    const file = path.join(dir, 'two-roles.yaml');
    writeFileSync(
      file,
      readFileSync(path.join(FIXTURES, 'ansible/tripleo-overcloud.yaml'), 'utf8').replace(
        '    overcloud-cephstorage-0: {',
        '    overcloud-novacompute-0: {}\n    overcloud-cephstorage-0: {',
      ),
    );
    expect(() => importInventory(file)).toThrow(/two-roles\.yaml: overcloud-novacompute-0 is in two TripleO roles, Compute \(line \d+\) and CephStorage \(line \d+\)/);
  });
});

describe('importInventory: generic Ansible YAML', () => {
  it('follows ProxyJump in ansible_ssh_common_args, guesses roles from group names, and warns about an empty group', async () => {
    const result = importInventory(path.join(FIXTURES, 'ansible/generic.yaml'));
    expect(result.kind).toBe('ansible');
    expect(result.profile).toBe('systemd');
    const byName = Object.fromEntries(result.hosts.map((host) => [host.name, host]));
    // ops@203.0.113.10:2200 is jump01's address and port: the jump is jump01.
    expect(byName.ctl1).toMatchObject({ jump: 'jump01', user: 'admin', roles: ['controller'] });
    expect(byName['cmp-a1']).toMatchObject({ jump: 'jump01', roles: ['compute'] });
    // "nowhere" is no host: a jump host is added for it, and said.
    expect(byName['cmp-b1']).toMatchObject({ jump: 'jump-nowhere' });
    expect(result.guesses.map((guess) => guess.message)).toEqual(expect.arrayContaining([expect.stringContaining('jump-nowhere: a jump host added')]));
    expect(result.warnings).toEqual(
      expect.arrayContaining([
        { message: 'group storage_nodes has no hosts, so no host gets the role storage.', source: { file: path.join(FIXTURES, 'ansible/generic.yaml'), line: 29 } },
      ]),
    );
    const out = path.join(dir, 'generic.yaml');
    await saveEnvironment(result, out);
    expect((await loadEnvironment(out)).hosts.find((host) => host.name === 'cmp-a1')?.jump).toBe('jump01');
  });
});

describe('importInventory: ssh_config', () => {
  it('imports every Host alias with its jump host and key, and the file loads', async () => {
    cpSync(path.join(FIXTURES, 'ssh'), dir, { recursive: true });
    const walk = (at: string): void => {
      for (const name of readdirSync(at)) {
        const file = path.join(at, name);
        if (statSync(file).isDirectory()) walk(file);
        else writeFileSync(file, readFileSync(file, 'utf8').replaceAll('@DIR@', dir));
      }
    };
    walk(dir);
    const result = importInventory(path.join(dir, 'config'), { name: 'ssh-cloud' });
    expect(result.format).toBe('ssh-config');
    const byName = Object.fromEntries(result.hosts.map((host) => [host.name, host]));
    expect(byName['compute-1']).toMatchObject({
      address: 'compute-1.ctlplane.example',
      port: 2022,
      user: 'heat-admin',
      jump: 'bastion',
      key: '~/.ssh/compute_compute-1.ctlplane.example',
      roles: ['compute'],
    });
    // ProxyJump ops@203.0.113.10:2200 is the bastion's address and port.
    expect(byName['db-0']).toMatchObject({ jump: 'bastion' });
    expect(byName['compute-9'].jump).toBeUndefined();
    const out = path.join(dir, 'env.yaml');
    await saveEnvironment(result, out);
    expect((await loadEnvironment(out)).hosts.length).toBe(result.hosts.length);
  });
});

describe('saveEnvironment', () => {
  it('never replaces an existing file without force', async () => {
    const result = importInventory(path.join(FIXTURES, 'ansible/kolla-multinode'));
    const out = path.join(dir, 'existing.yaml');
    writeFileSync(out, 'name: mine\n');
    await expect(saveEnvironment(result, out)).rejects.toThrow(`${out} already exists and was left as it is. Choose another file, or replace it with --force.`);
    expect(readFileSync(out, 'utf8')).toBe('name: mine\n');
    await saveEnvironment(result, out, { force: true });
    expect(readFileSync(out, 'utf8')).toContain('profile: kolla');
  });
});

describe('importInventory on bad input', () => {
  it('says a binary file is neither format', () => {
    const file = path.join(dir, 'blob');
    writeFileSync(file, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
    expect(() => importInventory(file)).toThrow(`${file} is not a text file: import reads an OpenSSH config or an Ansible inventory (INI or YAML).`);
  });

  it('says a text file that is no inventory is neither format, naming the file and line', () => {
    const file = path.join(dir, 'notes.txt');
    writeFileSync(file, 'remember to patch compute nodes\n');
    expect(() => importInventory(file)).toThrow(
      `${file}:1: "to" after the host name is not key=value. Is this an inventory? Import reads an OpenSSH config or an Ansible inventory (INI or YAML)`,
    );
  });

  it('says an empty file has nothing to import', () => {
    const file = path.join(dir, 'empty');
    writeFileSync(file, '# nothing\n');
    expect(() => importInventory(file)).toThrow(`${file} is empty (or only comments): there is nothing to import.`);
  });
});
