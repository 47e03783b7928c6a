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

function describeUnknownTarget(word: string, environment: Environment): string {
  const names = environment.hosts.map((host) => host.name).join(', ');
  const roles = [...new Set(environment.hosts.flatMap((host) => host.roles))].join(', ');
  return `"${word}" is neither a host nor a role of environment "${environment.name}" (hosts: ${names}; roles: ${roles}).`;
}
