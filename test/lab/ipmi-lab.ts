/**
 * A BMC for tests: Debian's `ipmi_sim` (package openipmi), a real IPMI LAN server that `ipmitool -I
 * lanplus` talks to, on a free UDP port of 127.0.0.1, with its own config and state directory.
 *
 * The simulated machine's power is a chassis-control program (lan.conf `chassis_control`): ipmi_sim
 * runs `<program> get power` for `chassis power status` and expects `power:1` or `power:0` on stdout,
 * and `<program> set power 0|1` for `chassis power off|on`. Ours keeps the power in a file and logs
 * every call with its time, so a test can prove the host was really switched off, and when. (With
 * `startcmd` instead, ipmi_sim 2.0.33 refuses `power off` with "Invalid data field in request" unless
 * a VM serial connection is configured: measured here.) A `lying` BMC accepts the power off, logs it,
 * and keeps reporting on, as a BMC whose relay is stuck does.
 *
 * ipmi_sim 2.0.33 offers cipher suites 0-3 only and does not answer "Get Channel Cipher Suites", so
 * ipmitool without `-C 3` waits ~10 s before falling back: environments for this lab say
 * `cipher_suite: 3`. The password is in lan.conf (mode 0600 in a 0700 directory) and reaches ipmitool
 * through IPMI_PASSWORD (`-E`), never a command line. stop() kills ipmi_sim by its PID; a stopped BMC
 * is a silent one (no answer on its port), and start() brings it back on the same port.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface IpmiLabOptions {
  user?: string;
  password?: string;
  /** Accepts power off but keeps reporting "on". */
  lying?: boolean;
  /** The machine's power at start; default on. */
  power?: 'on' | 'off';
}

export interface IpmiCall {
  /** Milliseconds since the epoch. */
  time: number;
  action: 'get' | 'set';
  /** For set: the power asked for. */
  power?: 'on' | 'off';
}

export interface IpmiLab {
  address: string;
  port: number;
  user: string;
  password: string;
  /** The simulated machine's power as the BMC switched it (a lying BMC switched nothing). */
  power(): 'on' | 'off';
  /** Every chassis call ipmi_sim made, in order. */
  calls(): IpmiCall[];
  /** `ipmitool chassis power <verb>` against this BMC (the test's own view); never throws. */
  ipmitool(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The environment-file `bmc:` block for a host, the password read from `passwordVariable`. */
  bmcYaml(passwordVariable: string, indent?: string): string;
  /** Starts ipmi_sim (again) on the same port; resolves once it answers. */
  start(): Promise<void>;
  /** Stops ipmi_sim: the BMC goes silent. */
  stop(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

/** A UDP port nothing is bound to at this moment on 127.0.0.1 (the kernel's pick). */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export async function startIpmiLab(options: IpmiLabOptions = {}): Promise<IpmiLab> {
  const user = options.user ?? 'opsdeck';
  const password = options.password ?? `bmc-${Math.random().toString(36).slice(2, 10)}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-ipmi-lab-'));
  const stateDir = path.join(dir, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
  const powerFile = path.join(dir, 'power');
  const callsFile = path.join(dir, 'calls.log');
  writeFileSync(powerFile, options.power === 'off' ? '0\n' : '1\n');
  writeFileSync(callsFile, '');
  const chassis = path.join(dir, 'chassis');
  // `set power 0` writes the power file, except on a lying BMC; `get power` reads it (a lying BMC says 1).
  writeFileSync(
    chassis,
    [
      '#!/bin/sh',
      `log=${JSON.stringify(callsFile)}`,
      `power_file=${JSON.stringify(powerFile)}`,
      `lying=${options.lying ? 1 : 0}`,
      'now=$(date +%s%3N)',
      'case "$1" in',
      '  get) echo "$now get" >> "$log"; if [ "$lying" = 1 ]; then echo power:1; else echo "power:$(cat "$power_file")"; fi ;;',
      '  set) shift; while [ $# -ge 2 ]; do if [ "$1" = power ]; then v=$(printf %s "$2" | tr -d \'"\'); echo "$now set $v" >> "$log"; [ "$lying" = 1 ] || echo "$v" > "$power_file"; fi; shift 2; done ;;',
      'esac',
      '',
    ].join('\n'),
    { mode: 0o700 },
  );
  const port = await freeUdpPort();
  const lanConf = path.join(dir, 'lan.conf');
  writeFileSync(
    lanConf,
    [
      'name "opsdeck-bmc"',
      'set_working_mc 0x20',
      '  startlan 1',
      `    addr 127.0.0.1 ${port}`,
      '    priv_limit admin',
      '    allowed_auths_callback none md2 md5 straight',
      '    allowed_auths_user none md2 md5 straight',
      '    allowed_auths_operator none md2 md5 straight',
      '    allowed_auths_admin none md2 md5 straight',
      `    guid ${Buffer.from(`opsdeck${port}`.padEnd(16, '0').slice(0, 16)).toString('hex')}`,
      '  endlan',
      `  chassis_control "${chassis}"`,
      `user 2 true "${user}" "${password}" admin 10 none md2 md5 straight`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const emu = path.join(dir, 'sim.emu');
  writeFileSync(emu, 'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n');

  let child: ChildProcess | undefined;
  const ipmitool = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run('ipmitool', ['-I', 'lanplus', '-C', '3', '-N', '1', '-R', '1', '-H', '127.0.0.1', '-p', String(port), '-U', user, '-E', ...args], {
        env: { ...process.env, IPMI_PASSWORD: password },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failure = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof failure.code === 'number' ? failure.code : 1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
    }
  };

  const lab: IpmiLab = {
    address: '127.0.0.1',
    port,
    user,
    password,
    power: () => (readFileSync(powerFile, 'utf8').trim() === '0' ? 'off' : 'on'),
    calls: () =>
      readFileSync(callsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [time, action, value] = line.split(' ');
          return { time: Number(time), action: action as 'get' | 'set', ...(action === 'set' ? { power: value === '0' ? 'off' : 'on' } : {}) };
        }),
    ipmitool,
    bmcYaml: (passwordVariable, indent = '    ') =>
      `${indent}bmc: { address: 127.0.0.1, port: ${port}, user: ${user}, password: { env: ${passwordVariable} }, interface: lanplus, cipher_suite: 3 }\n`,
    async start() {
      if (child && child.exitCode === null) return;
      if (!existsSync('/usr/bin/ipmi_sim')) throw new Error('ipmi_sim is not installed: apt-get install openipmi ipmitool (see .ci/install-debian-packages.sh).');
      const output: string[] = [];
      child = spawn('/usr/bin/ipmi_sim', ['-c', lanConf, '-f', emu, '-s', stateDir, '-n'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      const deadline = Date.now() + 20_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`ipmi_sim exited with ${child.exitCode}: ${output.join('')}`);
        // The answer is what matters: a status the test asked for itself (logged as a get).
        const status = await ipmitool('chassis', 'power', 'status');
        if (status.code === 0) return;
        if (Date.now() > deadline) throw new Error(`ipmi_sim did not answer on 127.0.0.1:${port} within 20 s: ${status.stderr} ${output.join('')}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      const timer = setTimeout(() => running.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
    async dispose() {
      await lab.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await lab.start();
  } catch (error) {
    await lab.dispose();
    throw error;
  }
  // The readiness probes are the lab's, not the test's: start the record clean.
  writeFileSync(callsFile, '');
  return lab;
}
