/** The one-host environment the runner's unit tests run in (with {@link LocalShellConnector}). */
import type { Environment } from '../../inventory/model';

export function localEnvironment(): Environment {
  return {
    name: 'unit',
    lab: true,
    profile: { id: 'systemd', title: 'systemd', description: '', words: {} },
    hosts: [{ name: 'ctl', address: '127.0.0.1', port: 22, user: 'u', roles: ['controller'] }],
    vars: {},
    databases: {},
    secrets: {},
    knownHostsFile: '/dev/null',
    file: 'unit.yaml',
  };
}
