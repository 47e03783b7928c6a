import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { effectiveVars, hostsOf, readAnsibleInventory } from './ansible';

const FIXTURES = path.resolve(import.meta.dirname, '../../../../test/fixtures/inventory/ansible');
/** The variables an environment is built from (aliases included), compared with Ansible's. */
const KEYS = [
  'ansible_host',
  'ansible_ssh_host',
  'ansible_user',
  'ansible_ssh_user',
  'ansible_port',
  'ansible_ssh_port',
  'ansible_ssh_private_key_file',
  'ansible_private_key_file',
  'ansible_ssh_common_args',
  'ansible_connection',
];

interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: { hosts?: string[]; children?: string[] } | { hostvars: Record<string, Record<string, unknown>> };
}

/** What Ansible itself makes of the file. */
function ansibleList(file: string): AnsibleList {
  const output = execFileSync('ansible-inventory', ['-i', file, '--list'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, ANSIBLE_LOCAL_TEMP: os.tmpdir(), ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true' },
  });
  return JSON.parse(output) as AnsibleList;
}

function pick(vars: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(KEYS.filter((key) => vars[key] !== undefined).map((key) => [key, vars[key]]));
}

describe('readAnsibleInventory agrees with ansible-inventory --list', () => {
  for (const fixture of ['kolla-multinode', 'tripleo-overcloud.yaml', 'generic.yaml']) {
    it(fixture, () => {
      const file = path.join(FIXTURES, fixture);
      const expected = ansibleList(file);
      const inventory = readAnsibleInventory(file);
      expect(hostsOf(inventory).sort()).toEqual(Object.keys(expected._meta.hostvars).sort());
      for (const [host, vars] of Object.entries(expected._meta.hostvars)) {
        expect(pick(effectiveVars(inventory, host)), host).toEqual(pick(vars));
      }
      for (const [name, listed] of Object.entries(expected)) {
        if (name === '_meta') continue;
        const group = inventory.groups.get(name);
        const { hosts = [], children = [] } = listed as { hosts?: string[]; children?: string[] };
        expect(group?.hosts.slice().sort(), `hosts of ${name}`).toEqual([...hosts].sort());
        expect(group?.children.slice().sort(), `children of ${name}`).toEqual([...children].sort());
      }
    });
  }
});

describe('readAnsibleInventory on bad input', () => {
  const write = (text: string): { file: string; done: () => void } => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-ansible-'));
    const file = path.join(dir, 'hosts');
    writeFileSync(file, text);
    return { file, done: () => rmSync(dir, { recursive: true, force: true }) };
  };

  it('names the file and line of a host line that is not key=value', () => {
    const { file, done } = write('[control]\ncontrol01 ansible_host=10.0.0.1\ncontrol02 ansible_host\n');
    try {
      expect(() => readAnsibleInventory(file)).toThrow(`${file}:3: "ansible_host" after the host name is not key=value.`);
    } finally {
      done();
    }
  });

  it('names the file and line of a section that is not one', () => {
    const { file, done } = write('[control]\ncontrol01\n[control:hosts]\n');
    try {
      expect(() => readAnsibleInventory(file)).toThrow(`${file}:3: "[control:hosts]" is not an inventory section`);
    } finally {
      done();
    }
  });

  it('says when a YAML file is not an inventory', () => {
    const { file, done } = write('- just\n- a list\n');
    try {
      expect(() => readAnsibleInventory(file)).toThrow('this is not an Ansible inventory');
    } finally {
      done();
    }
  });

  it('says when the file cannot be read', () => {
    expect(() => readAnsibleInventory('/nonexistent/inventory')).toThrow('/nonexistent/inventory cannot be read: there is no such file.');
  });
});
