/**
 * Renders an import's result as an environment file (docs/environments.md) and saves it: checked by
 * the same loader every command uses before it takes the target's place, and never over an existing
 * file unless the operator says so.
 */
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { OpsError, ValidationError, formatProblem } from '../../errors';
import { loadEnvironment, type LoadEnvironmentOptions } from '../environment';
import { formatNote, type ImportedHost, type ImportResult } from './types';

/** A YAML scalar, quoted only when it must be. */
function scalar(value: string | number): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** The environment file's text: the hosts, a comment on each discovered one and on what was guessed. */
export function renderEnvironment(result: ImportResult): string {
  const lines: string[] = [`# Imported by opsdeck env import from ${result.sourceFile} (${result.format}).`, `# Profile ${result.profile}: ${result.profileReason}.`];
  if (result.guesses.length > 0) {
    lines.push('# Guessed on import (check these):');
    for (const guess of result.guesses) lines.push(`#   ${formatNote(guess).replace(/\n/g, ' ')}`);
  }
  if (result.warnings.length > 0) {
    lines.push('# Warnings on import:');
    for (const warning of result.warnings) lines.push(`#   ${formatNote(warning).replace(/\n/g, ' ')}`);
  }
  lines.push(`name: ${scalar(result.name)}`, `lab: ${result.lab === true}`, `profile: ${scalar(result.profile)}`);
  if (result.knownHosts) lines.push(`known_hosts: ${scalar(result.knownHosts)}`);
  lines.push('hosts:');
  for (const host of result.hosts) lines.push(...renderHost(host));
  return `${lines.join('\n')}\n`;
}

function renderHost(host: ImportedHost): string[] {
  const lines: string[] = [];
  if (host.state === 'discovered')
    lines.push(
      `  # discovered (${host.groups.join(', ')}): not yet reached over SSH with a known host key${host.reachability ? ` (${host.reachability.replace(/\n/g, ' ')})` : ''}`,
    );
  else if (host.state === 'reachable') lines.push(`  # discovered (${host.groups.join(', ')}) and reached over SSH with a known host key`);
  lines.push(`  ${scalar(host.name)}:`);
  lines.push(`    address: ${scalar(host.address)}`);
  if (host.port !== undefined) lines.push(`    port: ${host.port}`);
  if (host.user !== undefined) lines.push(`    user: ${scalar(host.user)}`);
  if (host.key !== undefined) lines.push(`    key: ${scalar(host.key)}`);
  if (host.jump !== undefined) lines.push(`    jump: ${scalar(host.jump)}`);
  lines.push(`    roles: [${host.roles.map((role) => scalar(role)).join(', ')}]`);
  return lines;
}

export interface SaveOptions extends LoadEnvironmentOptions {
  /** Replace an existing file. */
  force?: boolean;
}

/**
 * Writes the environment to `file` once the loader accepts it (through a temporary file beside it,
 * so relative key paths resolve the same); an existing file stays unless `force`.
 */
export async function saveEnvironment(result: ImportResult, file: string, options: SaveOptions = {}): Promise<{ file: string; text: string }> {
  const target = path.resolve(file);
  if (!/\.ya?ml$/i.test(target)) throw new OpsError('import-not-yaml', `${file}: environment files end in .yaml or .yml; name the file to write with one.`);
  if (existsSync(target) && !options.force) {
    throw new OpsError('import-exists', `${file} already exists and was left as it is. Choose another file, or replace it with --force.`);
  }
  if (!existsSync(path.dirname(target)))
    throw new OpsError('import-no-directory', `${path.dirname(target)} does not exist: create it first, or choose another place for ${path.basename(target)}.`);
  const text = renderEnvironment(result);
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp.yaml`);
  await writeFile(temporary, text, { mode: 0o644 });
  try {
    await loadEnvironment(temporary, options);
  } catch (error) {
    await rm(temporary, { force: true });
    if (error instanceof ValidationError) {
      const problems = error.problems.map((problem) => formatProblem({ ...problem, file: target }));
      throw new OpsError('import-invalid', `The imported environment would not load, so ${file} was not written:\n${problems.join('\n')}`);
    }
    throw error;
  }
  await rename(temporary, target);
  return { file: target, text };
}
