import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSshConfig } from './ssh-config';

const FIXTURE = path.resolve(import.meta.dirname, '../../../../test/fixtures/inventory/ssh');

let dir: string;

/** The fixture copied to a temporary directory, its `@DIR@` placeholders pointing there. */
function copyFixture(): string {
  const target = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-sshconfig-'));
  cpSync(FIXTURE, target, { recursive: true });
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const file = path.join(at, name);
      if (statSync(file).isDirectory()) walk(file);
      else writeFileSync(file, readFileSync(file, 'utf8').replaceAll('@DIR@', target));
    }
  };
  walk(target);
  return target;
}

/** What OpenSSH itself resolves for `alias` (`ssh -G` connects nowhere). */
function sshG(config: string, alias: string): Record<string, string[]> {
  const output = execFileSync('ssh', ['-G', '-F', config, alias], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const values: Record<string, string[]> = {};
  for (const line of output.split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) continue;
    (values[line.slice(0, space)] ??= []).push(line.slice(space + 1));
  }
  return values;
}

beforeAll(() => {
  dir = copyFixture();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readSshConfig', () => {
  it('resolves every Host alias exactly as ssh -G does (first value wins, wildcards, !negation, Include, case)', () => {
    const config = path.join(dir, 'config');
    const { hosts } = readSshConfig(config);
    const aliases = hosts.map((host) => host.alias);
    expect(aliases).toEqual(expect.arrayContaining(['bastion', 'controller-0', 'controller-1', 'compute-0', 'compute-1', 'compute-9', 'db-0', 'mq-0', 'orphan', 'Web1']));
    for (const host of hosts) {
      const openssh = sshG(config, host.alias);
      const mine = {
        hostname: host.hostname,
        user: host.user ?? os.userInfo().username,
        port: String(host.port ?? 22),
        proxyjump: host.proxyJump,
      };
      expect(mine, host.alias).toEqual({
        hostname: openssh.hostname[0],
        user: openssh.user[0],
        port: openssh.port[0],
        proxyjump: openssh.proxyjump?.[0],
      });
      // ssh -G lists the IdentityFiles given, or its defaults when none is.
      if (host.identityFiles.length > 0) expect(host.identityFiles, host.alias).toEqual(openssh.identityfile);
    }
  });

  it('keeps the first value of a keyword, as OpenSSH does', () => {
    const { hosts } = readSshConfig(path.join(dir, 'config'));
    const controller = hosts.find((host) => host.alias === 'controller-0');
    expect(controller).toMatchObject({ hostname: '192.0.2.10', user: 'heat-admin', port: 2222 });
  });

  it('evaluates Match host with the HostName known so far, as OpenSSH does', () => {
    const { hosts } = readSshConfig(path.join(dir, 'config'));
    // db-0's HostName comes before the Match line, mq-0's after it.
    expect(hosts.find((host) => host.alias === 'db-0')?.user).toBe('rabbit');
    expect(hosts.find((host) => host.alias === 'mq-0')?.user).toBe('nobody');
  });

  it('warns about a Match it cannot evaluate, naming the file and line, and leaves its lines out', () => {
    const { warnings } = readSshConfig(path.join(dir, 'config'));
    expect(warnings).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('"Match exec false" depends on the connection (exec)'),
        source: { file: path.join(dir, 'config.d', '30-match.conf'), line: 3 },
      }),
    ]);
  });

  it('resolves a relative Include against ~/.ssh, as OpenSSH does for a user config', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-sshhome-'));
    try {
      mkdirSync(path.join(home, '.ssh', 'clouds'), { recursive: true });
      writeFileSync(path.join(home, '.ssh', 'clouds', 'east.conf'), 'Host east-ctl\n  HostName 192.0.2.50\n');
      const config = path.join(home, 'elsewhere.conf');
      writeFileSync(config, 'Include clouds/*.conf\n');
      expect(readSshConfig(config, { home }).hosts).toEqual([expect.objectContaining({ alias: 'east-ctl', hostname: '192.0.2.50' })]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('says which file cannot be read', () => {
    expect(() => readSshConfig(path.join(dir, 'nope'))).toThrow(`${path.join(dir, 'nope')} cannot be read: there is no such file.`);
  });
});
