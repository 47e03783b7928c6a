import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../cli';
import { loadEnvironment } from '../core/inventory/environment';
import { makeStyle } from './printer';

const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures/inventory/ansible');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-cli-import-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function opsdeck(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (text) => (out += text), err: (text) => (err += text), interactive: false, style: makeStyle(false) });
  return { code, out, err };
}

describe('opsdeck env import', () => {
  it('prints the preview of a TripleO inventory and writes an environment the loader accepts', async () => {
    const out = path.join(dir, 'overcloud.yaml');
    const result = await opsdeck('env', 'import', path.join(FIXTURES, 'tripleo-overcloud.yaml'), '--out', out);
    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain('Profile: tripleo-podman: the inventory was written by tripleo-ansible-inventory');
    expect(result.out).toMatch(/overcloud-controller-0\s+heat-admin@192\.168\.24\.12\s+controller, db, mq/);
    expect(result.out).toContain(`Wrote ${out} (3 hosts).`);
    expect((await loadEnvironment(out)).hosts.map((host) => host.name)).toEqual(['overcloud-controller-0', 'overcloud-novacompute-0', 'overcloud-cephstorage-0']);
  });

  it('takes a mapping file and --map flags, the flags winning', async () => {
    const mapping = path.join(dir, 'mapping.yaml');
    writeFileSync(mapping, 'profile: tripleo-docker\nroles:\n  Compute: [compute, hypervisor]\n  CephStorage: ceph\n');
    const result = await opsdeck('env', 'import', path.join(FIXTURES, 'tripleo-overcloud.yaml'), '--mapping', mapping, '--map', 'CephStorage=storage,ceph', '--dry-run');
    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain('Profile: tripleo-docker: given by the operator');
    expect(result.out).toMatch(/overcloud-novacompute-0\s+\S+\s+compute, hypervisor/);
    expect(result.out).toMatch(/overcloud-cephstorage-0\s+\S+\s+storage, ceph/);
    expect(result.out).toContain('profile: tripleo-docker');
  });

  it('refuses to overwrite an existing file without --force, and leaves it as it was', async () => {
    const out = path.join(dir, 'taken.yaml');
    writeFileSync(out, 'name: mine\n');
    const refused = await opsdeck('env', 'import', path.join(FIXTURES, 'kolla-multinode'), '--out', out);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(`${out} already exists and was left as it is. Choose another file, or replace it with --force.`);
    expect(readFileSync(out, 'utf8')).toBe('name: mine\n');
    const forced = await opsdeck('env', 'import', path.join(FIXTURES, 'kolla-multinode'), '--out', out, '--force');
    expect(forced.code, forced.err).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('profile: kolla');
  });

  it('names the file and line of a bad inventory line', async () => {
    const inventory = path.join(dir, 'hosts');
    writeFileSync(inventory, '[compute]\ncompute01 ansible_host=10.0.0.1\ncompute02 ansible_port\n');
    const result = await opsdeck('env', 'import', inventory, '--out', path.join(dir, 'x.yaml'));
    expect(result.code).toBe(2);
    expect(result.err).toContain(`${inventory}:3: "ansible_port" after the host name is not key=value.`);
  });

  it('says what is missing from the command line', async () => {
    expect((await opsdeck('env', 'import', path.join(FIXTURES, 'kolla-multinode'))).err).toContain('--out <env.yaml> names the environment file to write');
    expect((await opsdeck('env', 'import', '--discover', '--out', 'x.yaml')).err).toContain('--discover needs --env <environment file>');
    expect((await opsdeck('env', 'list')).err).toContain('env takes: import');
  });
});
