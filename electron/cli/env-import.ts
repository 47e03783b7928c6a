/**
 * `opsdeck env import`: proposes an environment from an inventory the operator has (ssh_config,
 * Ansible, Kolla, TripleO) or from the cloud itself, prints the preview, and writes the file.
 */
import { parseArgs } from 'node:util';
import { OpsError } from '../core/errors';
import { previewImport, saveEnvironment, type ImportResult } from '../core/inventory/import';
import { formatNote } from '../core/inventory/import/types';
import { EXIT } from './exit-codes';
import type { Style } from './printer';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  style: Style;
}

export const ENV_IMPORT_USAGE = `  opsdeck env import <inventory> --out <env.yaml> [--from ssh-config|ansible] [--name N] [--profile P]
                    [--mapping FILE] [--map GROUP=ROLE[,ROLE]]... [--user U] [--force] [--dry-run]
                                                 an environment from ~/.ssh/config or an Ansible
                                                 (Kolla, TripleO) inventory; prints the preview first
  opsdeck env import --discover --env <file> [--via HOST] [--sudo] --out <env.yaml> [--force] [--dry-run]
                                                 the hosts nova, neutron and cinder report, asked
                                                 through the environment's controller`;

function usage(message: string): OpsError {
  return new OpsError('usage', `${message}\nRun "opsdeck help" for the usage.`);
}

export async function envCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'import') throw usage('env takes: import <inventory> --out <env.yaml>, or import --discover --env <file> --out <env.yaml>.');
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string', short: 'o' },
        from: { type: 'string' },
        name: { type: 'string' },
        profile: { type: 'string' },
        mapping: { type: 'string' },
        map: { type: 'string', multiple: true },
        user: { type: 'string' },
        force: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        discover: { type: 'boolean' },
        env: { type: 'string' },
        via: { type: 'string' },
        sudo: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  const from = values.from;
  if (from !== undefined && from !== 'ssh-config' && from !== 'ansible') throw usage(`--from ${from}: say ssh-config or ansible.`);
  if (values.discover) {
    if (!values.env) throw usage('--discover needs --env <environment file>: discovery asks the cloud through a controller of it.');
    if (positionals.length > 0) throw usage('--discover takes no inventory file.');
  } else if (positionals.length !== 1) {
    throw usage('env import takes one inventory file (an ssh_config, or an Ansible/Kolla/TripleO inventory), or --discover --env <file>.');
  }
  if (!values.out && !values['dry-run']) throw usage('--out <env.yaml> names the environment file to write (or --dry-run to print it).');

  const preview = await previewImport({
    ...(values.discover ? { discoverFrom: values.env, via: values.via, sudo: values.sudo } : { file: positionals[0] }),
    from,
    name: values.name,
    profile: values.profile,
    mappingFile: values.mapping,
    map: values.map,
    user: values.user,
  });
  printPreview(preview.result, io);
  if (values['dry-run']) {
    io.out(`\n${preview.text}`);
    return EXIT.ok;
  }
  const saved = await saveEnvironment(preview.result, values.out!, { force: values.force ?? false });
  io.out(io.style.green(`\nWrote ${saved.file} (${preview.result.hosts.length} hosts). Check the guesses above, then: opsdeck hosts check --env ${values.out}\n`));
  return EXIT.ok;
}

/** The preview: profile and why, each host with its roles, then what was guessed and the warnings. */
export function printPreview(result: ImportResult, io: Io): void {
  const { style } = io;
  io.out(`${style.bold(`Environment ${result.name}`)} from ${result.sourceFile} (${result.format}${result.kind !== result.format ? `, ${result.kind}` : ''})\n`);
  io.out(`Profile: ${style.bold(result.profile)}: ${result.profileReason}.\n\n`);
  const rows = result.hosts.map((host) => [
    host.name,
    `${host.user ? `${host.user}@` : ''}${host.address}${host.port ? `:${host.port}` : ''}`,
    host.roles.join(', ') || '-',
    host.jump ? `via ${host.jump}` : '',
    host.state === 'inventory' ? '' : host.state,
  ]);
  const header = ['HOST', 'ADDRESS', 'ROLES', 'JUMP', 'STATE'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  io.out(`${style.dim(line(header))}\n`);
  for (const row of rows) io.out(`${line(row)}\n`);
  if (result.guesses.length > 0) {
    io.out(`\n${style.yellow('Guessed (check these):')}\n`);
    for (const guess of result.guesses) io.out(`  ${formatNote(guess)}\n`);
  }
  if (result.warnings.length > 0) {
    io.out(`\n${style.yellow('Warnings:')}\n`);
    for (const warning of result.warnings) io.out(`  ${formatNote(warning)}\n`);
  }
}
