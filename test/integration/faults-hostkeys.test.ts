/**
 * FAULT SUITE — host keys, for targets and for the jump host they are reached through (ProxyJump:
 * the environment's `jump:`; the lab's sshd allows TCP forwarding). Unknown → the operator is asked
 * (without a terminal: refused, fingerprint shown, `--accept-new-host-keys` named); changed → refused
 * always, even with --accept-new-host-keys. Nothing runs and no journal is created when refused.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshLab } from '../lab/sshd-lab';
import { header, opsdeck, runIdsIn, startFaultLab, workDir, writeRunbook } from '../faults/helpers';

let lab: SshLab;
let work: string;
let auditDir: string;
let runbook: string;
const marker = `/tmp/opsdeck-hostkey-${process.pid}`;

beforeAll(async () => {
  lab = await startFaultLab();
  work = workDir('hostkeys');
  auditDir = path.join(work, 'audit');
  runbook = writeRunbook(work, 'via-jump', `${header('via-jump')}steps:\n  - { id: touch, title: Touch, on: compute01, run: "touch ${marker}; hostname" }\n`);
});

afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(marker, { force: true });
});

/** An environment where compute01 is reached through controller01, with its own known_hosts. */
function jumpEnvironment(name: string, dropHosts: string[] = []): { envFile: string; knownHosts: string } {
  const knownHosts = path.join(work, `known_hosts-${name}`);
  const lines = readFileSync(lab.knownHostsFile, 'utf8').split('\n').filter(Boolean);
  const kept = lines.filter((line) => !dropHosts.some((host) => line.startsWith(`[${lab.host(host).address}]:${lab.host(host).port} `)));
  writeFileSync(knownHosts, kept.join('\n') + '\n');
  const c = lab.host('controller01');
  const t = lab.host('compute01');
  const envFile = path.join(work, `env-${name}.yaml`);
  writeFileSync(
    envFile,
    [
      `name: jump-${name}`,
      'lab: true',
      'profile: systemd',
      `known_hosts: ${knownHosts}`,
      `defaults: { user: ${lab.user}, key: ${lab.keyFile} }`,
      'hosts:',
      `  controller01: { address: ${c.address}, port: ${c.port}, roles: [controller] }`,
      `  compute01: { address: ${t.address}, port: ${t.port}, roles: [compute], jump: controller01 }`,
      '',
    ].join('\n'),
  );
  return { envFile, knownHosts };
}

function fingerprint(host: string): string {
  return execFileSync('ssh-keygen', ['-lf', lab.hostPublicKeyFile(host)], { encoding: 'utf8' }).split(' ')[1];
}

async function refused(envFile: string, extra: string[] = []) {
  const before = runIdsIn(auditDir).length;
  rmSync(marker, { force: true });
  const run = await opsdeck('run', runbook, '--env', envFile, '--audit-dir', auditDir, ...extra);
  return { run, text: run.out + run.err, journals: runIdsIn(auditDir).length - before, ran: existsSync(marker) };
}

describe('fault: host keys of targets and of the jump host', () => {
  it('through the jump host, with every key known: runs', async () => {
    const { envFile } = jumpEnvironment('known');
    const { run, ran } = await refused(envFile);
    expect(run.code, run.out + run.err).toBe(0);
    expect(ran).toBe(true);
    expect(run.out).toContain('compute01');
  });

  for (const host of ['compute01', 'controller01']) {
    const role = host === 'compute01' ? 'target' : 'jump host';
    it(`unknown ${role} key: refused without a terminal, fingerprint shown, nothing run, no journal`, async () => {
      const { envFile } = jumpEnvironment(`unknown-${host}`, [host]);
      const first = await refused(envFile);
      console.log(`[faults-hostkeys] unknown ${role}: exit ${first.run.code}: ${first.text.trim().split('\n').slice(0, 3).join(' | ').slice(0, 300)}`);
      expect(first.run.code).toBe(8);
      expect(first.text).toContain(fingerprint(host));
      expect(first.journals).toBe(0);
      expect(first.ran).toBe(false);
    });
  }

  it('unknown target key: accepted with --accept-new-host-keys (and added to known_hosts)', async () => {
    const { envFile, knownHosts } = jumpEnvironment('accept-compute01', ['compute01']);
    const accepted = await refused(envFile, ['--accept-new-host-keys']);
    expect(accepted.run.code, accepted.text.slice(-400)).toBe(0);
    expect(accepted.ran).toBe(true);
    expect(readFileSync(knownHosts, 'utf8')).toContain(`[${lab.host('compute01').address}]:${lab.host('compute01').port} `);
  });

  it('unknown jump host key: accepted with --accept-new-host-keys (and added to known_hosts)', async () => {
    const { envFile, knownHosts } = jumpEnvironment('accept-controller01', ['controller01']);
    const accepted = await refused(envFile, ['--accept-new-host-keys']);
    console.log(`[faults-hostkeys] unknown jump host with --accept-new-host-keys: exit ${accepted.run.code}`);
    expect(accepted.run.code, accepted.text.slice(-400)).toBe(0);
    expect(accepted.ran).toBe(true);
    expect(readFileSync(knownHosts, 'utf8')).toContain(`[${lab.host('controller01').address}]:${lab.host('controller01').port} `);
  });

  for (const host of ['compute01', 'controller01']) {
    const role = host === 'compute01' ? 'target' : 'jump host';
    it(`changed ${role} key: refused even with --accept-new-host-keys, nothing run, no journal`, async () => {
      const { envFile } = jumpEnvironment(`changed-${host}`);
      await lab.rotateHostKey(host);
      const result = await refused(envFile, ['--accept-new-host-keys']);
      console.log(`[faults-hostkeys] changed ${role}: exit ${result.run.code}: ${result.text.trim().split('\n').slice(0, 2).join(' | ').slice(0, 300)}`);
      expect(result.run.code).toBe(8);
      expect(result.text).toMatch(/changed/i);
      expect(result.text).toContain(host);
      expect(result.journals).toBe(0);
      expect(result.ran).toBe(false);
    });
  }
});
