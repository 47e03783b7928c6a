import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnvironment } from '../inventory/environment';
import { environmentSecrets } from './launch';

const work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-launch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('environmentSecrets (the masker of runs and of host terminals)', () => {
  it('holds the database passwords (the masker of console host terminals once missed them)', async () => {
    writeFileSync(path.join(work, 'db-password'), 'db-pa55word\n');
    const file = path.join(work, 'env.yaml');
    writeFileSync(
      file,
      [
        'name: masked',
        'profile: systemd',
        `known_hosts: ${path.join(work, 'known_hosts')}`,
        'defaults: { user: ops }',
        'hosts:',
        '  controller01: { address: 192.0.2.10, roles: [controller] }',
        'databases:',
        `  openstack: { host: controller01, address: 127.0.0.1, port: 3306, user: ops, password: { file: ${path.join(work, 'db-password')} } }`,
        '',
      ].join('\n'),
    );
    const environment = await loadEnvironment(file);
    expect(environmentSecrets(environment)).toContain('db-pa55word');
    expect(environment.databases.openstack.password).toBe('db-pa55word');
  });
});
