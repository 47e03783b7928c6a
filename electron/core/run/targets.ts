import { OpsError } from '../errors';
import type { Environment, HostSpec } from '../inventory/model';

/**
 * Turns the rendered `on:` of a step into hosts of the environment. Words are separated by spaces or
 * commas; each is a host name, a role (every host having it) or `all`. Order follows the words, then
 * the environment's order within a role; a host named twice runs once.
 */
export function resolveTargets(on: string, environment: Environment): HostSpec[] {
  const words = on.split(/[\s,]+/).filter((word) => word.length > 0);
  if (words.length === 0) {
    throw new OpsError('target', 'The step names no host to run on (its `on:` is empty).');
  }
  const chosen: HostSpec[] = [];
  const add = (host: HostSpec) => {
    if (!chosen.includes(host)) chosen.push(host);
  };
  for (const word of words) {
    if (word === 'all') {
      environment.hosts.forEach(add);
      continue;
    }
    const byName = environment.hosts.find((host) => host.name === word);
    if (byName) {
      add(byName);
      continue;
    }
    const byRole = environment.hosts.filter((host) => host.roles.includes(word));
    if (byRole.length > 0) {
      byRole.forEach(add);
      continue;
    }
    throw new OpsError('target', describeUnknownTarget(word, environment));
  }
  return chosen;
}

/** The hosts of an `on:` once the runbook's optional roles are applied, and what was left out. */
export interface FittedTargets {
  hosts: HostSpec[];
  /** Optional roles the environment lacks, whose part of the step is skipped. */
  absent: string[];
  /** Optional roles the environment lacks, replaced by another role: [role, instead]. */
  replaced: Array<[string, string]>;
}

/**
 * {@link resolveTargets} for a runbook with optional roles: a word naming a role no host has is
 * dropped (`skip`) or replaced by its fallback role; hosts may then be empty (the step is skipped).
 */
export function resolveFittedTargets(on: string, environment: Environment, optionalRoles: Record<string, string>): FittedTargets {
  const absent: string[] = [];
  const replaced: Array<[string, string]> = [];
  const words: string[] = [];
  for (const word of on.split(/[\s,]+/).filter((candidate) => candidate.length > 0)) {
    const fallback = optionalRoles[word];
    const known = word === 'all' || environment.hosts.some((host) => host.name === word || host.roles.includes(word));
    if (fallback === undefined || known) {
      words.push(word);
    } else if (fallback === 'skip') {
      absent.push(word);
    } else {
      replaced.push([word, fallback]);
      words.push(fallback);
    }
  }
  if (words.length === 0 && absent.length > 0) return { hosts: [], absent, replaced };
  return { hosts: resolveTargets(words.join(' '), environment), absent, replaced };
}

function describeUnknownTarget(word: string, environment: Environment): string {
  const names = environment.hosts.map((host) => host.name).join(', ');
  const roles = [...new Set(environment.hosts.flatMap((host) => host.roles))].join(', ');
  return `"${word}" is neither a host nor a role of environment "${environment.name}" (hosts: ${names}; roles: ${roles}).`;
}
