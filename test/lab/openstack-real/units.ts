/**
 * What runs in the real OpenStack lab, and which systemd units each SSH host says it has.
 *
 * A *member* is one daemon the lab starts by hand (its own session and process group, a PID file in
 * the lab's run directory). A *unit* is what `systemctl` on a host shows and drives: it maps to one or
 * more members. Unit names are Debian's (this is a cloud built from Debian packages); the RDO names of
 * the bundled systemd profile (`openstack-nova-compute`, `httpd`, ...) are aliases, listed as such by
 * `systemctl list-unit-files`, so runbooks written with either set run here.
 *
 * Shared by the lab (lab.ts) and the `systemctl` shim (systemctl.ts, bundled into one file): plain
 * data and functions of the lab's configuration, Node built-ins only.
 */

export type LabHostName = 'controller' | 'compute01' | 'compute02';

export const LAB_HOST_NAMES: readonly LabHostName[] = ['controller', 'compute01', 'compute02'];
export const COMPUTE_HOSTS: readonly LabHostName[] = ['compute01', 'compute02'];

/** The lab's configuration of one run, written to <run>/lab.json at start and read by the shim. */
export interface LabConfig {
  /** Persistent state (databases, mnesia, keys, configs): root, 0700. */
  state: string;
  /** Per-boot directory: PID files, the MariaDB socket, the shim (root, 0755; nothing secret). */
  run: string;
  ports: { db: number; amqp: number; epmd: number; rabbitDist: number };
  /** uwsgi binary with the python3 plugin. */
  uwsgi: string;
  /** Node binary that runs the shim. */
  node: string;
}

export type MemberName =
  | 'mariadb'
  | 'epmd'
  | 'rabbitmq'
  | 'keystone'
  | 'placement'
  | 'glance-api'
  | 'neutron-server'
  | 'nova-api'
  | 'nova-conductor'
  | 'nova-scheduler'
  | 'nova-compute-compute01'
  | 'nova-compute-compute02';

export interface Member {
  name: MemberName;
  /** The host whose hostname the daemon gets (its own UTS namespace). */
  host: LabHostName;
  argv: string[];
  /** The daemon's own log (what `systemctl status` tails). */
  log: string;
  /** Seconds a SIGTERM gets before SIGKILL. */
  stopTimeout: number;
}

/** Order matters: the lab starts members in this order and stops them in reverse. */
export const MEMBER_ORDER: readonly MemberName[] = [
  'mariadb',
  'epmd',
  'rabbitmq',
  'keystone',
  'placement',
  'glance-api',
  'neutron-server',
  'nova-api',
  'nova-conductor',
  'nova-scheduler',
  'nova-compute-compute01',
  'nova-compute-compute02',
];

export function logDir(config: LabConfig): string {
  return `${config.state}/log`;
}

export function member(config: LabConfig, name: MemberName): Member {
  const log = logDir(config);
  const uwsgi = (ini: string, file: string): Member['argv'] => [config.uwsgi, '--ini', ini, '--logto', file];
  switch (name) {
    case 'mariadb':
      // Reads /etc/mysql/my.cnf, which is the lab's inside the lab's mount namespace.
      return { name, host: 'controller', argv: ['/usr/sbin/mariadbd'], log: `${log}/mysql/error.log`, stopTimeout: 60 };
    case 'epmd':
      return {
        name,
        host: 'controller',
        argv: ['/usr/bin/epmd', '-port', String(config.ports.epmd), '-address', '127.0.0.1'],
        log: `${log}/epmd.log`,
        stopTimeout: 5,
      };
    case 'rabbitmq':
      // Debian's wrapper: switches to the rabbitmq user and reads /etc/rabbitmq/rabbitmq-env.conf.
      return { name, host: 'controller', argv: ['/usr/sbin/rabbitmq-server'], log: `${log}/rabbitmq/rabbit@localhost.log`, stopTimeout: 20 };
    case 'keystone':
      return { name, host: 'controller', argv: uwsgi('/etc/keystone/lab-uwsgi.ini', `${log}/keystone/keystone.log`), log: `${log}/keystone/keystone.log`, stopTimeout: 20 };
    case 'placement':
      return {
        name,
        host: 'controller',
        argv: uwsgi('/etc/placement/lab-uwsgi.ini', `${log}/placement/placement-api.log`),
        log: `${log}/placement/placement-api.log`,
        stopTimeout: 20,
      };
    case 'glance-api':
      return {
        name,
        host: 'controller',
        argv: ['/usr/bin/glance-api', '--config-file', '/etc/glance/glance-api.conf', '--log-file', `${log}/glance/glance-api.log`],
        log: `${log}/glance/glance-api.log`,
        stopTimeout: 20,
      };
    case 'neutron-server':
      return {
        name,
        host: 'controller',
        argv: [
          '/usr/bin/neutron-server',
          '--config-file',
          '/etc/neutron/neutron.conf',
          '--config-file',
          '/etc/neutron/plugins/ml2/ml2_conf.ini',
          '--log-file',
          `${log}/neutron/neutron-server.log`,
        ],
        log: `${log}/neutron/neutron-server.log`,
        stopTimeout: 20,
      };
    case 'nova-api':
      return { name, host: 'controller', argv: uwsgi('/etc/nova/lab-uwsgi.ini', `${log}/nova/nova-api.log`), log: `${log}/nova/nova-api.log`, stopTimeout: 20 };
    case 'nova-conductor':
    case 'nova-scheduler':
      return {
        name,
        host: 'controller',
        argv: [`/usr/bin/${name}`, '--config-file', '/etc/nova/nova.conf', '--log-file', `${log}/nova/${name}.log`],
        log: `${log}/nova/${name}.log`,
        stopTimeout: 30,
      };
    case 'nova-compute-compute01':
    case 'nova-compute-compute02': {
      const host = name.slice('nova-compute-'.length) as LabHostName;
      return {
        name,
        host,
        argv: [
          '/usr/bin/nova-compute',
          '--config-file',
          '/etc/nova/nova.conf',
          '--config-file',
          `/etc/nova/nova-${host}.conf`,
          '--log-file',
          `${log}/nova/nova-compute-${host}.log`,
        ],
        log: `${log}/nova/nova-compute-${host}.log`,
        stopTimeout: 30,
      };
    }
  }
}

export interface Unit {
  /** The unit's name without `.service`. */
  name: string;
  description: string;
  aliases: string[];
  members: MemberName[];
}

/** The units each host has, as Debian's packages install them (plus the lab's RDO-name aliases). */
export function hostUnits(host: LabHostName): Unit[] {
  if (host !== 'controller') {
    return [{ name: 'nova-compute', description: 'OpenStack Compute', aliases: ['openstack-nova-compute'], members: [`nova-compute-${host}` as MemberName] }];
  }
  return [
    { name: 'mariadb', description: 'MariaDB 10.11 database server', aliases: ['mysql', 'mysqld'], members: ['mariadb'] },
    { name: 'epmd', description: 'Erlang Port Mapper Daemon', aliases: [], members: ['epmd'] },
    { name: 'rabbitmq-server', description: 'RabbitMQ Messaging Server', aliases: ['rabbitmq'], members: ['rabbitmq'] },
    { name: 'keystone', description: 'OpenStack Keystone (Identity)', aliases: ['openstack-keystone'], members: ['keystone'] },
    { name: 'placement-api', description: 'OpenStack Placement API', aliases: ['openstack-placement-api'], members: ['placement'] },
    // The RDO profile's svc_keystone is httpd, serving keystone and placement as WSGI apps.
    { name: 'apache2', description: 'The Apache HTTP Server (keystone and placement WSGI)', aliases: ['httpd'], members: ['keystone', 'placement'] },
    { name: 'glance-api', description: 'OpenStack Image Service API', aliases: ['openstack-glance-api'], members: ['glance-api'] },
    { name: 'neutron-server', description: 'OpenStack Neutron Server (API)', aliases: ['openstack-neutron-server'], members: ['neutron-server'] },
    { name: 'nova-api', description: 'OpenStack Compute API', aliases: ['openstack-nova-api'], members: ['nova-api'] },
    { name: 'nova-conductor', description: 'OpenStack Compute Conductor', aliases: ['openstack-nova-conductor'], members: ['nova-conductor'] },
    { name: 'nova-scheduler', description: 'OpenStack Compute Scheduler', aliases: ['openstack-nova-scheduler'], members: ['nova-scheduler'] },
  ];
}

/** The unit a name (with or without `.service`, or an alias) means on a host, or undefined. */
export function findUnit(host: LabHostName, name: string): Unit | undefined {
  const bare = name.endsWith('.service') ? name.slice(0, -'.service'.length) : name;
  return hostUnits(host).find((unit) => unit.name === bare || unit.aliases.includes(bare));
}
