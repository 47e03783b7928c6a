/**
 * Authentication through an ssh-agent, as OpenSSH does it: the key lives only in a real ssh-agent,
 * the host spec names the agent's socket and no key file.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshPool } from '../../electron/core/ssh/pool';
import { startSshLab, type SshLab } from '../lab/sshd-lab';

let lab: SshLab;
let work: string;
let agentPid: number;
let socket: string;

beforeAll(async () => {
  lab = await startSshLab({ hosts: [{ name: 'agent01', roles: [] }] });
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-agent-'));
  socket = path.join(work, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  agentPid = agent.pid!;
  for (let tries = 0; tries < 50; tries++) {
    try {
      execFileSync('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      break;
    } catch (error) {
      // Exit 1 means "no identities": the agent answers. Exit 2: not up yet.
      if ((error as { status?: number }).status === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
});

afterAll(async () => {
  if (agentPid) process.kill(agentPid);
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('ssh-agent authentication', () => {
  it('fails with a clear message while the agent holds no key, and connects once the key is added', async () => {
    const host = { ...lab.host('agent01'), keyFile: undefined, agent: socket };
    const empty = new SshPool({ knownHostsFile: lab.knownHostsFile });
    await expect(empty.exec(host, 'hostname')).rejects.toMatchObject({ code: 'ssh-auth', userMessage: expect.stringContaining(`agent at ${socket}`) });
    await empty.close();

    execFileSync('ssh-add', [lab.keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
    const pool = new SshPool({ knownHostsFile: lab.knownHostsFile });
    let output = '';
    const result = await pool.exec(host, 'hostname', { onStdout: (chunk) => (output += chunk.toString()) });
    await pool.close();
    expect(result.exitCode).toBe(0);
    expect(output.trim()).toBe('agent01');
  });
});
