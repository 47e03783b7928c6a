/**
 * The systemd profile's package words pick the package manager the host has: apt on Debian and
 * Ubuntu (this test machine is Debian 12, with the real dpkg and apt), dnf (or yum) on RHEL-family
 * hosts (a host whose PATH has dnf and rpm but no apt: stand-ins that print what they were asked).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProfile } from './environment';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-pkg-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function sh(command: string, options: { path?: string; input?: string } = {}): string {
  return execFileSync('/bin/sh', ['-c', command], {
    encoding: 'utf8',
    input: options.input ?? '',
    env: { ...process.env, PATH: options.path ?? process.env.PATH },
  });
}

describe('the systemd profile on a Debian host', () => {
  it('lists installed packages with dpkg and simulates the upgrade with apt-get -s', async () => {
    const words = (await loadProfile('systemd')).words;
    const installed = sh(words.installed_versions);
    const dpkg = sh("dpkg-query -W -f '${Version}' dpkg");
    expect(installed).toContain(`\ndpkg ${dpkg}\n`);
    expect(
      installed
        .split('\n')
        .filter(Boolean)
        .every((line) => /^\S+ \S+$/.test(line)),
    ).toBe(true);
    const simulated = sh(words.package_upgrade_simulate);
    expect(simulated).toMatch(/^Reading package lists\.\.\./);
    expect(simulated).toMatch(/\d+ upgraded, \d+ newly installed, \d+ to remove and \d+ not upgraded\./);
  }, 60_000);
});

describe('the systemd profile on a host with dnf and no apt', () => {
  it('upgrades, simulates, lists and downgrades with dnf and rpm', async () => {
    const words = (await loadProfile('systemd')).words;
    // Only these tools exist on this "host": no apt-get, no dpkg-query.
    for (const tool of ['awk', 'xargs', 'cat']) symlinkSync(execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), path.join(dir, tool));
    const log = path.join(dir, 'calls.log');
    for (const tool of ['dnf', 'rpm']) {
      const file = path.join(dir, tool);
      // dnf check-update exits 100 when updates are available, as dnf does.
      writeFileSync(
        file,
        `#!/bin/sh\nprintf '%s\\n' "${tool} $*" >> ${log}\n[ "${tool} $1" = "dnf check-update" ] && exit 100\n[ "${tool}" = rpm ] && echo "openstack-nova-api 26.2.2-1.el9"\nexit 0\n`,
      );
      chmodSync(file, 0o755);
    }
    const PATH = dir;
    expect(sh(words.installed_versions, { path: PATH })).toBe('openstack-nova-api 26.2.2-1.el9\n');
    sh(words.package_upgrade, { path: PATH });
    sh(words.package_upgrade_simulate, { path: PATH });
    sh(words.package_install_versions, { path: PATH, input: 'openstack-nova-api 26.2.2-1.el9\n' });
    expect(sh(`cat ${log}`).split('\n').filter(Boolean)).toEqual([
      'rpm -qa --qf %{NAME} %{VERSION}-%{RELEASE}\\n',
      'dnf -y upgrade',
      'dnf check-update',
      'dnf -y downgrade openstack-nova-api-26.2.2-1.el9',
    ]);
  });
});
