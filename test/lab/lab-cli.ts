/**
 * Starts the standard SSH lab and keeps it running until Ctrl-C:
 *   npx tsx test/lab/lab-cli.ts start [--dir DIR] [--keep]
 * Prints the environment file to give OpsDeck (`opsdeck run --env <file> ...`). Without --dir the lab
 * makes a new private directory (/tmp/opsdeck-lab-XXXXXX, root's, 0700) and removes it on stop unless
 * --keep; a given DIR is made when missing and refused when another user made it or may write it.
 * Ctrl-C (or SIGTERM, SIGHUP) stops the lab: its sshd, its user and the user's sudo rule go with it.
 */
import { STANDARD_LAB_HOSTS, startSshLab } from './sshd-lab';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'start') {
    process.stderr.write('usage: npx tsx test/lab/lab-cli.ts start [--dir DIR] [--keep]\n');
    return 2;
  }
  let dir: string | undefined;
  let keep = false;
  for (let index = 0; index < rest.length; index++) {
    if (rest[index] === '--dir' && rest[index + 1]) dir = rest[++index];
    else if (rest[index] === '--keep') keep = true;
    else {
      process.stderr.write(`unknown option: ${rest[index]}\n`);
      return 2;
    }
  }
  const lab = await startSshLab({ hosts: STANDARD_LAB_HOSTS, dir, keep });
  process.stdout.write(`SSH lab running in ${lab.dir}\n`);
  for (const host of lab.hosts) {
    process.stdout.write(`  ${host.name.padEnd(14)} ${host.address}:${host.port}  [${host.roles.join(', ')}]\n`);
  }
  process.stdout.write(`environment: ${lab.envFile}\n`);
  process.stdout.write(`try: ssh -i ${lab.keyFile} -o UserKnownHostsFile=${lab.knownHostsFile} -p ${lab.hosts[0].port} ${lab.user}@${lab.hosts[0].address} hostname\n`);
  process.stdout.write('Ctrl-C stops the lab.\n');
  // The lab's processes are unref'd; this timer is what keeps the CLI alive until a signal.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    process.once('SIGHUP', resolve);
  });
  clearInterval(keepAlive);
  await lab.stop();
  process.stdout.write('SSH lab stopped.\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`lab failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
