/**
 * Case 2, fan-out: one step on 30 hosts (30 sshd on 127.0.0.10–39), against Ansible ad-hoc
 * (`ansible all -m command -a true -f 30`) and parallel-ssh (`parallel-ssh -h hosts -p 30 true`).
 *
 * Every tool starts cold in every repetition: the runner with a fresh pool, Ansible with a fresh
 * ControlPath directory (its ControlPersist masters are stopped after each repetition), parallel-ssh
 * with fresh connections (it never multiplexes).
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type Bench,
  type CaseResult,
  ensureDebianPackages,
  expectSuccess,
  formatMs,
  formatRatio,
  median,
  openSshOptions,
  repeat,
  runEngine,
  runProcess,
  writeRunbook,
} from './setup';

const HOSTS = 30;

export async function fanOutCase(bench: Bench): Promise<CaseResult> {
  const quick = bench.options.quick;
  await ensureDebianPackages({ '/usr/bin/ansible': 'ansible', '/usr/bin/parallel-ssh': 'pssh' });
  const lab = await bench.lab('fan-out-lab', HOSTS);
  const work = bench.dir('fan-out');
  const runbook = writeRunbook(work, 'fan-out', ['  - { id: everywhere, title: Everywhere, on: all, parallel: true, run: "true" }']);

  const sshArgs = openSshOptions(lab).join(' ');
  const inventory = path.join(work, 'inventory.ini');
  writeFileSync(
    inventory,
    [
      '[bench]',
      ...lab.hosts.map((host) => `${host.name} ansible_host=${host.address} ansible_port=${host.port}`),
      '',
      '[bench:vars]',
      `ansible_user=${lab.user}`,
      `ansible_ssh_private_key_file=${lab.keyFile}`,
      // Stated, not discovered: interpreter discovery would cost Ansible an extra round trip per host.
      'ansible_python_interpreter=/usr/bin/python3',
      '',
    ].join('\n'),
  );
  const ansibleConfig = path.join(work, 'ansible.cfg');
  writeFileSync(
    ansibleConfig,
    [
      '[defaults]',
      `inventory = ${inventory}`,
      'host_key_checking = True',
      `local_tmp = ${path.join(work, 'ansible-local')}`,
      'deprecation_warnings = False',
      '',
      '[ssh_connection]',
      `ssh_common_args = ${sshArgs}`,
      '',
    ].join('\n'),
  );
  const hostsFile = path.join(work, 'pssh-hosts');
  writeFileSync(hostsFile, lab.hosts.map((host) => `${host.user}@${host.address}:${host.port}`).join('\n') + '\n');

  const stopMasters = async (controlDir: string) => {
    for (const socket of readdirSync(controlDir)) {
      await runProcess('ssh', ['-o', `ControlPath=${path.join(controlDir, socket)}`, '-O', 'exit', 'bench'], { timeoutMs: 10_000 });
    }
  };
  const ansibleOnce = async (index: number) => {
    const controlDir = bench.dir(`fan-out/ansible-cp-${index}`);
    bench.onCleanup('ansible ControlPersist masters', () => stopMasters(controlDir));
    const result = await runProcess('ansible', ['all', '-m', 'command', '-a', 'true', '-f', String(HOSTS)], {
      env: { ...process.env, ANSIBLE_CONFIG: ansibleConfig, ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir, ANSIBLE_NOCOLOR: '1' },
      timeoutMs: 300_000,
    });
    expectSuccess(result, 'ansible');
    const changed = (result.stdout.match(/\| CHANGED \| rc=0/g) ?? []).length;
    if (changed !== HOSTS) throw new Error(`ansible ran on ${changed} of ${HOSTS} hosts:\n${result.stdout.slice(0, 3000)}`);
    await stopMasters(controlDir);
    return result.ms;
  };
  const psshOnce = async () => {
    const result = await runProcess('parallel-ssh', ['-h', hostsFile, '-p', String(HOSTS), '-t', '120', '-x', sshArgs, 'true'], { timeoutMs: 300_000 });
    expectSuccess(result, 'parallel-ssh');
    const success = (result.stdout.match(/\[SUCCESS\]/g) ?? []).length;
    if (success !== HOSTS) throw new Error(`parallel-ssh succeeded on ${success} of ${HOSTS} hosts:\n${result.stdout.slice(0, 3000)}`);
    return result.ms;
  };

  // Warm-ups, not counted: Python's and Node's first start read their code from disk.
  await runEngine(runbook, lab.envFile, path.join(work, 'audit-warmup'));
  await ansibleOnce(-1);
  await psshOnce();
  const reps = quick ? 2 : 7;
  const runnerMs: number[] = [];
  const ansibleMs: number[] = [];
  const psshMs: number[] = [];
  // Interleaved, so a slow patch of the machine hits all three alike.
  await repeat('runner, ansible, parallel-ssh on 30 hosts', reps, async (index) => {
    const run = await runEngine(runbook, lab.envFile, path.join(work, `audit-${index}`));
    if (run.status !== 'succeeded') throw new Error(`the fan-out run ended ${run.status}`);
    runnerMs.push(run.ms);
    ansibleMs.push(await ansibleOnce(index));
    psshMs.push(await psshOnce());
  });

  const runner = median(runnerMs);
  const ansible = median(ansibleMs);
  const pssh = median(psshMs);
  return {
    id: 2,
    title: 'Fan-out (one step on 30 hosts)',
    rows: [
      {
        figure: `runner, 1 step × ${HOSTS} hosts, connecting included (median of ${reps})`,
        value: formatMs(runner),
        baseline: `Ansible ad-hoc, -f 30: ${formatMs(ansible)}`,
        ratio: `${formatRatio(runner / ansible)}x the time`,
        target: '≤ 0.2x',
        met: runner / ansible <= 0.2,
      },
      {
        figure: `runner, 1 step × ${HOSTS} hosts`,
        value: formatMs(runner),
        baseline: `parallel-ssh -p 30: ${formatMs(pssh)}`,
        ratio: `${formatRatio(runner / pssh)}x the time`,
        target: '< 1x',
        met: runner < pssh,
      },
    ],
    notes: [
      'Runner: a one-step runbook (`on: all`, `parallel: true`) through createRunSession with a real journal, a fresh SSH pool per repetition (30 connections: key exchange and authentication inside the time).',
      "Ansible: Debian's ansible, default ssh connection plugin (ControlMaster=auto, ControlPersist=60s, no pipelining), a fresh ControlPath directory per repetition; interpreter given, not discovered.",
      "parallel-ssh: Debian's pssh, one OpenSSH client per host.",
      `All runs: runner ${runnerMs.map(formatMs).join(', ')}; Ansible ${ansibleMs.map(formatMs).join(', ')}; parallel-ssh ${psshMs.map(formatMs).join(', ')}.`,
    ],
  };
}
