import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors';
import { environmentScope } from '../run/scope';
import { maskerFor } from '../run/session';
import type { Runbook } from '../runbook/model';
import { loadEnvironment } from './environment';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-env-bmc-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(text: string): string {
  const file = path.join(dir, 'env.yaml');
  writeFileSync(file, text);
  return file;
}

const HEAD = `name: prod
profile: systemd
defaults: { user: heat-admin }
hosts:
  controller-0: { address: 192.0.2.10, roles: [controller] }
`;

describe("a host's BMC (hosts.<name>.bmc), for fencing", () => {
  it('is read with its defaults (port 623, lanplus), its password from a secret source, and shown to runbooks as env.bmc by host name', async () => {
    writeFileSync(path.join(dir, 'bmc.pass'), 'bmc-s3cret\n');
    const file = write(`${HEAD}  compute-0:
    address: 192.0.2.20
    roles: [compute]
    bmc: { address: 10.0.0.20, user: admin, password: { file: ./bmc.pass } }
  compute-1:
    address: 192.0.2.21
    roles: [compute]
    bmc: { address: 10.0.0.21, port: 6230, user: root, password: { env: BMC1 }, interface: lan, cipher_suite: 3 }
  compute-2: { address: 192.0.2.22, roles: [compute] }
`);
    const environment = await loadEnvironment(file, { processEnv: { BMC1: 'other-secret' } });
    expect(environment.hosts.find((host) => host.name === 'compute-0')!.bmc).toEqual({
      address: '10.0.0.20',
      port: 623,
      user: 'admin',
      password: 'bmc-s3cret',
      interface: 'lanplus',
    });
    expect(environment.hosts.find((host) => host.name === 'compute-1')!.bmc).toEqual({
      address: '10.0.0.21',
      port: 6230,
      user: 'root',
      password: 'other-secret',
      interface: 'lan',
      cipherSuite: 3,
    });
    expect(environment.hosts.find((host) => host.name === 'compute-2')!.bmc).toBeUndefined();

    const scope = environmentScope(environment);
    expect(Object.keys(scope.bmc as object)).toEqual(['compute-0', 'compute-1']);
    expect((scope.bmc as Record<string, unknown>)['compute-1']).toEqual({
      address: '10.0.0.21',
      port: 6230,
      user: 'root',
      password: 'other-secret',
      interface: 'lan',
      cipher_suite: 3,
    });

    // The passwords are secrets of every run in this environment: masked wherever they could be written.
    const runbook = { params: [] } as unknown as Runbook;
    const masker = maskerFor(runbook, environment, {});
    expect(masker.mask('ipmitool -P bmc-s3cret; IPMI_PASSWORD=other-secret')).not.toMatch(/bmc-s3cret|other-secret/);
  });

  it('refuses a literal password, a missing one, unknown fields, a bad interface and cipher suite, with positions', async () => {
    const file = write(`${HEAD}  compute-0:
    address: 192.0.2.20
    bmc: { address: 10.0.0.20, user: admin, password: hunter2 }
  compute-1:
    address: 192.0.2.21
    bmc: { address: 10.0.0.21, user: admin, interface: serial, cipher_suite: 99, passwd: x }
`);
    let problems: string[] = [];
    try {
      await loadEnvironment(file, { processEnv: {} });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      problems = error.problems.map((problem) => `${problem.line}: ${problem.message}`);
    }
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^8: password is a secret: write it as \{ env: VARIABLE \}/),
        expect.stringMatching(/^11: the BMC of host compute-1 has no field "passwd"/),
        expect.stringMatching(/^11: hosts\.compute-1\.bmc\.interface must be lanplus .* or lan/),
        expect.stringMatching(/^11: hosts\.compute-1\.bmc\.cipher_suite must be an IPMI cipher suite number from 0 to 17/),
        expect.stringMatching(/^11: the BMC of host compute-1 has no password/),
      ]),
    );
  });
});
