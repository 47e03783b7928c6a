/**
 * The local lab offered on first start: real OpenSSH servers on loopback (controller01, compute01,
 * compute02) started by test/lab/sshd-lab.ts, described by an environment file marked `lab: true`.
 * It needs root (a lab user, sshd on 127.0.0.x); where the machine cannot, the console says why.
 */
import { existsSync } from 'node:fs';

/** A running lab, as the console needs it. */
export interface RunningLab {
  envFile: string;
  stop(): Promise<void>;
}

export interface LabProvider {
  /** Whether this machine can run the lab, and why not. */
  availability(): { available: boolean; reason?: string };
  start(): Promise<RunningLab>;
}

/** The lab of test/lab/sshd-lab.ts, where the process runs as root and sshd can be had. */
export function sshdLabProvider(): LabProvider {
  return {
    availability() {
      if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
        return { available: false, reason: 'The lab needs root, to create its SSH user and start sshd on loopback addresses; start OpsDeck as root to use it.' };
      }
      if (!existsSync('/usr/sbin/sshd') && !existsSync('/usr/bin/apt-get')) {
        return { available: false, reason: 'The lab needs OpenSSH server (/usr/sbin/sshd), which is not installed and cannot be installed here.' };
      }
      return { available: true };
    },
    async start() {
      // Loaded only when asked for: the lab is test equipment, not part of normal operation.
      const { STANDARD_LAB_HOSTS, startSshLab } = await import('../../test/lab/sshd-lab');
      const lab = await startSshLab({ hosts: STANDARD_LAB_HOSTS });
      return { envFile: lab.envFile, stop: () => lab.stop() };
    },
  };
}
