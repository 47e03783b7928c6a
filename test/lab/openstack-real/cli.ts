/**
 * The real OpenStack lab by hand: `npx tsx test/lab/openstack-real/cli.ts start` starts it and prints
 * how to reach it (the daemons keep running); `stop` stops everything it started. For trying runbooks
 * against a real cloud outside the tests.
 */
import { readFileSync } from 'node:fs';
import { RUN_DIR, startRealOpenStackLab } from './lab';
import { stopMember } from './daemons';
import { MEMBER_ORDER, LAB_HOST_NAMES, type LabConfig } from './units';

async function main(command: string | undefined): Promise<void> {
  if (command === 'start') {
    const lab = await startRealOpenStackLab();
    console.log(`OpenStack lab up in ${lab.startup.seconds} s.`);
    console.log(`Environment: ${lab.envFile}`);
    for (const host of lab.hosts) console.log(`  ssh -i ${lab.keyFile} -o UserKnownHostsFile=${lab.knownHostsFile} -p ${host.port} opsdeck-ops@${host.address}   # ${host.name}`);
    console.log(`Try: npm run opsdeck -- run control-plane-health --env ${lab.envFile}`);
    return;
  }
  if (command === 'stop') {
    const config = JSON.parse(readFileSync(`${RUN_DIR}/lab.json`, 'utf8')) as LabConfig;
    for (const host of LAB_HOST_NAMES) {
      try {
        process.kill(Number(readFileSync(`${RUN_DIR}/pids/host-${host}.pid`, 'utf8')), 'SIGTERM');
      } catch {
        // Not running.
      }
    }
    for (const name of [...MEMBER_ORDER].reverse()) await stopMember(config, name, { log: (line) => console.log(line) });
    return;
  }
  console.error('usage: tsx test/lab/openstack-real/cli.ts start|stop');
  process.exitCode = 2;
}

main(process.argv[2]).catch((error: unknown) => {
  console.error((error as Error).message);
  process.exitCode = 1;
});
