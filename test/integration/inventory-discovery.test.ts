/**
 * Discovery from the cloud through the controller, against the OpenStack stand-in lab (real sshd
 * hosts; `openstack` prints what python-openstackclient 6.0 prints). The stand-in has no neutron or
 * cinder commands, as a cloud without them answers: discovery goes on with nova alone and says so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnvironment } from '../../electron/core/inventory/environment';
import { discoverFromCloud } from '../../electron/core/inventory/import/discovery';
import { saveEnvironment } from '../../electron/core/inventory/import/write';
import type { Environment } from '../../electron/core/inventory/model';
import { SshPool } from '../../electron/core/ssh/pool';
import { startOpenStackLab, type OpenStackLab } from '../lab/openstack-lab';
import { opsdeck } from '../support/cli';

let lab: OpenStackLab;
let environment: Environment;
let out: string;

beforeAll(async () => {
  lab = await startOpenStackLab();
  // A compute node nova knows and the environment file does not (racked after the file was written).
  lab.updateState((state) => {
    state.services.push({ ...state.services.find((service) => service.binary === 'nova-compute')!, id: '5e7f0000-0000-4000-8000-000000000099', host: 'compute04' });
  });
  environment = await loadEnvironment(lab.envFile);
  out = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-discovery-'));
});

afterAll(async () => {
  await lab?.stop();
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('discovery through the controller', () => {
  it('proposes the hosts nova reports with their roles; reachable ones are marked so, the unknown one stays discovered', async () => {
    const ssh = new SshPool({ knownHostsFile: environment.knownHostsFile, readyTimeoutMs: 10_000 });
    try {
      const result = await discoverFromCloud({ environment, ssh });
      const byName = Object.fromEntries(result.hosts.map((host) => [host.name, host]));
      expect(byName.compute01).toMatchObject({ state: 'reachable', roles: ['compute'], groups: ['nova-compute'] });
      expect(byName.controller01).toMatchObject({ state: 'reachable', groups: ['nova-scheduler', 'nova-conductor'] });
      expect(byName.controller01.roles).toContain('controller');
      expect(byName.compute04).toMatchObject({ state: 'discovered', address: 'compute04', roles: ['compute'], user: environment.hosts[0].user });
      expect(byName.compute04.reachability).toBeTruthy();
      expect(result.warnings.map((warning) => warning.message)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^neutron: openstack network agent list -f json on controller01 did not answer/),
          expect.stringMatching(/^cinder: openstack volume service list/),
        ]),
      );

      const file = path.join(out, 'discovered.yaml');
      const saved = await saveEnvironment(result, file);
      expect(saved.text).toMatch(/# discovered \(nova-compute\): not yet reached over SSH with a known host key[^\n]*\n {2}compute04:/);
      expect(saved.text).toMatch(/# discovered \(nova-compute\) and reached over SSH with a known host key\n {2}compute01:/);
      const reloaded = await loadEnvironment(file);
      expect(reloaded.hosts.map((host) => host.name).sort()).toEqual(['compute01', 'compute02', 'compute03', 'compute04', 'controller01']);
    } finally {
      await ssh.close();
    }
  });

  it('opsdeck env import --discover writes the file, and refuses to overwrite it without --force', async () => {
    const file = path.join(out, 'cli.yaml');
    const first = await opsdeck('env', 'import', '--discover', '--env', lab.envFile, '--out', file);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain('compute04');
    expect(first.out).toContain('discovered');
    const again = await opsdeck('env', 'import', '--discover', '--env', lab.envFile, '--out', file);
    expect(again.code).toBe(2);
    expect(again.err).toContain(`${file} already exists and was left as it is`);
  });
});
