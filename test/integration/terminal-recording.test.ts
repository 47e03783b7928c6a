/**
 * Issue 11, item 10: a host terminal's recording must not keep what was typed while the terminal did
 * not echo it (a password at a prompt). The console (ConsoleService, as the Electron main process and
 * the browser-mode server run it) opens a real PTY on a real sshd; the test types as a person would.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleService, type ServiceEvent } from '../../electron/app/service';
import { readCast } from '../../electron/core/audit/asciicast';
import { MASK } from '../../electron/core/audit/mask';
import { BUNDLED_RUNBOOKS_DIR } from '../../electron/core/inventory/environment';
import { startSshLab, type SshLab } from '../lab/sshd-lab';
import { workDir } from '../faults/helpers';

let lab: SshLab;
let work: string;
let service: ConsoleService;
let screen = '';
let closed = false;

beforeAll(async () => {
  lab = await startSshLab({ hosts: [{ name: 'controller01', roles: ['controller'] }] });
  work = workDir('terminal-recording');
  service = new ConsoleService({
    auditDir: path.join(work, 'audit'),
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: path.join(work, 'runbooks'),
    environmentFiles: [lab.envFile],
    operator: 'alice',
  });
});

afterAll(async () => {
  await service?.close();
  await lab?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Opens a host terminal on `on`; returns a typist and the transcript path. Output lands in `screen`. */
async function openTerminal(on: ConsoleService): Promise<{ terminalId: string; transcript: string; type: (text: string, keyDelayMs?: number) => Promise<void> }> {
  const opened = await on.dispatch('terminal:open', { environmentId: lab.envFile, host: 'controller01', cols: 100, rows: 30 });
  expect(opened.ok, JSON.stringify(opened)).toBe(true);
  const { terminalId, transcript } = (opened as { value: { terminalId: string; transcript: string } }).value;
  const type = async (text: string, keyDelayMs = 0): Promise<void> => {
    for (const key of keyDelayMs ? [...text] : [text]) {
      expect((await on.dispatch('terminal:write', { terminalId, data: key })).ok).toBe(true);
      if (keyDelayMs) await new Promise((resolve) => setTimeout(resolve, keyDelayMs));
    }
  };
  return { terminalId, transcript, type };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the terminal showed:\n${screen.slice(-600)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('host terminal recordings', () => {
  it('record what the terminal echoed, and not a password typed while echo was off', async () => {
    const secret = 'S3cr3t-typed-Qx';
    service.onEvent((event: ServiceEvent) => {
      if (event.name === 'terminal:data') screen += event.payload.data;
      if (event.name === 'terminal:closed') closed = true;
    });
    const opened = await service.dispatch('terminal:open', { environmentId: lab.envFile, host: 'controller01', cols: 100, rows: 30 });
    expect(opened.ok, JSON.stringify(opened)).toBe(true);
    const { terminalId, transcript } = (opened as { value: { terminalId: string; transcript: string } }).value;
    const type = async (text: string, keyDelayMs = 0): Promise<void> => {
      for (const key of keyDelayMs ? [...text] : [text]) {
        expect((await service.dispatch('terminal:write', { terminalId, data: key })).ok).toBe(true);
        if (keyDelayMs) await new Promise((resolve) => setTimeout(resolve, keyDelayMs));
      }
    };
    await waitFor(() => /[$#] $/.test(screen), 'the shell prompt');
    await type('echo visible-$((6*7))\r', 20);
    await waitFor(() => screen.includes('visible-42'), 'the echoed command to run');
    // The lab user's shell is sh (dash), which has no read -s: this is what read -s does.
    await type('stty -echo; printf \'Password: \'; read pw; stty echo; echo; echo "got ${#pw} characters"\r');
    await waitFor(() => screen.includes('Password: '), 'the password prompt');
    await type(`${secret}\r`, 30);
    await waitFor(() => screen.includes(`got ${secret.length} characters`), 'the password read to finish');
    expect(screen).not.toContain(secret);
    await type('exit\r');
    await waitFor(() => closed, 'the terminal to close');

    const text = readFileSync(transcript, 'utf8');
    const typed = readCast(transcript)
      .events.filter(([, kind]) => kind === 'i')
      .map(([, , data]) => data)
      .join('');
    console.log(`[terminal-recording] typed as recorded: ${JSON.stringify(typed)}`);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(0, 6));
    expect(typed).toContain('echo visible-$((6*7))\r');
    expect(typed).toContain(`${MASK}\r`);
    expect(typed).toContain('exit\r');
  });
});

describe('the recording of a host terminal that is still open', () => {
  it('gives the player everything the terminal has shown so far, not only what the last timed flush wrote', async () => {
    screen = '';
    closed = false;
    const { terminalId, transcript, type } = await openTerminal(service);
    await waitFor(() => /[$#] $/.test(screen), 'the shell prompt');
    await type('echo still-open-$((6*7))\r');
    await waitFor(() => screen.includes('still-open-42'), 'the command to run');
    // Straight away: the terminal's 1 s timer has most likely not written it yet.
    const reply = await service.dispatch('audit:cast', { recording: path.basename(transcript) });
    expect(reply.ok, JSON.stringify(reply)).toBe(true);
    expect((reply as { value: { text: string } }).value.text).toContain('still-open-42');
    await type('exit\r');
    await waitFor(() => closed, 'the terminal to close');
    expect(terminalId).toMatch(/^shell:/);
  });
});

describe('a host terminal whose recording hits a full disk', () => {
  let mountPoint: string;
  let mounted = false;
  let full: ConsoleService | undefined;

  afterAll(async () => {
    await full?.close();
    if (mounted) execFileSync('umount', ['-l', mountPoint]);
  });

  it('keeps the terminal working, says the recording is held, and writes it all once space is freed', async () => {
    mountPoint = path.join(work, 'full-audit');
    mkdirSync(mountPoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
    mounted = true;
    full = new ConsoleService({
      auditDir: mountPoint,
      bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
      userRunbooksDir: path.join(work, 'runbooks'),
      environmentFiles: [lab.envFile],
      operator: 'alice',
    });
    screen = '';
    closed = false;
    full.onEvent((event: ServiceEvent) => {
      if (event.name === 'terminal:data') screen += event.payload.data;
      if (event.name === 'terminal:closed') closed = true;
    });
    const { terminalId, transcript, type } = await openTerminal(full);
    await waitFor(() => /[$#] $/.test(screen), 'the shell prompt');
    const filler = path.join(mountPoint, 'filler');
    const fd = openSync(filler, 'w');
    try {
      for (const size of [4096, 1]) {
        const block = Buffer.alloc(size, 0x61);
        for (;;) {
          try {
            writeSync(fd, block);
          } catch {
            break;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
    // ~110 KB of output: more than one 64 KiB batch of the recording, on a disk that takes nothing.
    await type('seq 1 20000; echo seq-done\r');
    await waitFor(() => screen.includes('seq-done\r\n'), 'the output to arrive');
    await waitFor(() => screen.includes('recording of this terminal cannot be written'), 'the notice in the terminal');
    await type('echo still-alive\r');
    await waitFor(() => screen.includes('still-alive\r\n'), 'the terminal to answer after the failure');
    rmSync(filler);
    await type('exit\r');
    await waitFor(() => closed, 'the terminal to close');
    expect(terminalId).toMatch(/^shell:/);
    const cast = readCast(transcript);
    expect(cast.truncated).toBe(false);
    const printed = cast.events
      .filter(([, kind]) => kind === 'o')
      .map(([, , data]) => data)
      .join('');
    expect(printed).toContain('\r\n20000\r\n');
    expect(printed).toContain('still-alive');
  });
});
