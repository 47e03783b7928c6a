/**
 * The configuration files of the real lab, written into <state>/etc/<service>/ at every start (the
 * lab's bind mounts put them at /etc/<service>/ for every lab process). Ports of MariaDB, RabbitMQ
 * and epmd are chosen free at each start, so these files follow them; the API ports are the usual
 * ones, since they are in keystone's catalog.
 *
 * Facts behind the settings are in docs/openstack-lab.md (neutron-server without agents,
 * service_token_roles_required, the fake driver, the heartbeat timings).
 */
import type { LabConfig } from './units';

export const API_PORTS = { keystone: 5000, placement: 8778, glance: 9292, neutron: 9696, nova: 8774 } as const;

/** Fixed on purpose: the lab listens on loopback only and its tests must be repeatable. */
export const PASSWORDS = {
  admin: 'labadmin',
  service: 'labservice',
  db: 'labdb',
  rabbit: 'labrabbit',
  /** The MariaDB user OpsDeck's `sql` steps use (SELECT only), through the controller's SSH tunnel. */
  opsdeckDb: 'labopsdeck',
} as const;

export const RABBIT_USER = 'openstack';
export const REGION = 'RegionOne';
export const KEYSTONE_URL = `http://127.0.0.1:${API_PORTS.keystone}/v3`;

/** The admin credentials as OS_* variables (what an operator's keystonerc holds). */
export function adminEnv(): Record<string, string> {
  return {
    OS_AUTH_URL: KEYSTONE_URL,
    OS_USERNAME: 'admin',
    OS_PASSWORD: PASSWORDS.admin,
    OS_PROJECT_NAME: 'admin',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_IDENTITY_API_VERSION: '3',
    OS_REGION_NAME: REGION,
    OS_INTERFACE: 'public',
    // --nic none, force-down and evacuate without --on-shared-storage need a recent microversion.
    OS_COMPUTE_API_VERSION: '2.latest',
  };
}

function transportUrl(config: LabConfig): string {
  return `rabbit://${RABBIT_USER}:${PASSWORDS.rabbit}@127.0.0.1:${config.ports.amqp}/`;
}

function dbUrl(config: LabConfig, user: string, database: string): string {
  return `mysql+pymysql://${user}:${PASSWORDS.db}@127.0.0.1:${config.ports.db}/${database}`;
}

function authtoken(username: string): string {
  return [
    '[keystone_authtoken]',
    `www_authenticate_uri = http://127.0.0.1:${API_PORTS.keystone}`,
    `auth_url = http://127.0.0.1:${API_PORTS.keystone}`,
    'auth_type = password',
    'project_domain_name = Default',
    'user_domain_name = Default',
    'project_name = service',
    `username = ${username}`,
    `password = ${PASSWORDS.service}`,
    `region_name = ${REGION}`,
    // true makes neutron refuse nova's calls with 401 (nova's service user has no "service" role here).
    'service_token_roles_required = false',
    '',
  ].join('\n');
}

function serviceAuth(section: string, username: string): string {
  return [
    `[${section}]`,
    `region_name = ${REGION}`,
    'auth_type = password',
    `auth_url = ${KEYSTONE_URL}`,
    'project_domain_name = Default',
    'user_domain_name = Default',
    'project_name = service',
    `username = ${username}`,
    `password = ${PASSWORDS.service}`,
    '',
  ].join('\n');
}

function uwsgiIni(name: string, port: number, wsgiFile: string, processes: number, threads: number): string {
  return [
    '[uwsgi]',
    `http-socket = 127.0.0.1:${port}`,
    'plugins = python3',
    'master = true',
    `processes = ${processes}`,
    `threads = ${threads}`,
    'enable-threads = true',
    'lazy-apps = true',
    'die-on-term = true',
    'no-orphans = true',
    'buffer-size = 65535',
    'http-auto-chunked = true',
    'http-chunked-input = true',
    'http-raw-body = true',
    'wsgi-manage-chunked-input = true',
    'add-header = Connection: close',
    'socket-timeout = 30',
    `name = ${name}`,
    `wsgi-file = ${wsgiFile}`,
    '',
  ].join('\n');
}

/** Every file, by its path under <state>/etc/ (i.e. /etc/ as the lab's processes see it). */
export function configFiles(config: LabConfig): Record<string, string> {
  const state = config.state;
  const files: Record<string, string> = {};

  files['mysql/my.cnf'] = [
    '# The lab MariaDB (written by test/lab/openstack-real/configs.ts)',
    '[mysqld]',
    'user = mysql',
    'datadir = /var/lib/mysql',
    'socket = /run/mysqld/mysqld.sock',
    'pid-file = /run/mysqld/mysqld.pid',
    `port = ${config.ports.db}`,
    'bind-address = 127.0.0.1',
    'log-error = /var/log/mysql/error.log',
    'skip-name-resolve',
    'skip-log-bin',
    'max_connections = 1000',
    'character-set-server = utf8mb4',
    'collation-server = utf8mb4_general_ci',
    'innodb_buffer_pool_size = 128M',
    'innodb_log_file_size = 48M',
    'innodb_flush_log_at_trx_commit = 2',
    'performance_schema = OFF',
    '',
    '[client]',
    'socket = /run/mysqld/mysqld.sock',
    `port = ${config.ports.db}`,
    '',
  ].join('\n');

  files['rabbitmq/rabbitmq-env.conf'] = [
    '# The lab RabbitMQ node (read by the Debian rabbitmq-server and rabbitmqctl wrappers)',
    'NODENAME=rabbit@localhost',
    'NODE_IP_ADDRESS=127.0.0.1',
    `NODE_PORT=${config.ports.amqp}`,
    `DIST_PORT=${config.ports.rabbitDist}`,
    `ERL_EPMD_PORT=${config.ports.epmd}`,
    'SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"',
    '',
  ].join('\n');
  files['rabbitmq/rabbitmq.conf'] = [
    `listeners.tcp.default = 127.0.0.1:${config.ports.amqp}`,
    'loopback_users = none',
    'vm_memory_high_watermark.relative = 0.2',
    'disk_free_limit.absolute = 200MB',
    '',
  ].join('\n');
  files['rabbitmq/enabled_plugins'] = '[].\n';

  files['keystone/keystone.conf'] = [
    '[DEFAULT]',
    '[database]',
    `connection = ${dbUrl(config, 'keystone', 'keystone')}`,
    // Cheap hashes for the lab's public passwords (cost 12 costs seconds per token on this machine).
    '[identity]',
    'password_hash_rounds = 4',
    '[token]',
    'provider = fernet',
    'expiration = 86400',
    '[fernet_tokens]',
    'key_repository = /etc/keystone/fernet-keys/',
    '[credential]',
    'key_repository = /etc/keystone/credential-keys/',
    '[cache]',
    'enabled = false',
    '',
  ].join('\n');
  files['keystone/lab-uwsgi.ini'] = uwsgiIni('keystone', API_PORTS.keystone, '/usr/bin/keystone-wsgi-public', 2, 2);

  files['placement/placement.conf'] = [
    '[DEFAULT]',
    '[api]',
    'auth_strategy = keystone',
    '[placement_database]',
    `connection = ${dbUrl(config, 'placement', 'placement')}`,
    authtoken('placement'),
  ].join('\n');
  files['placement/lab-uwsgi.ini'] = uwsgiIni('placement', API_PORTS.placement, '/usr/bin/placement-api', 1, 4);

  files['glance/glance-api.conf'] = [
    '[DEFAULT]',
    'bind_host = 127.0.0.1',
    `bind_port = ${API_PORTS.glance}`,
    'workers = 1',
    'enabled_backends = file:file',
    '[database]',
    `connection = ${dbUrl(config, 'glance', 'glance')}`,
    '[paste_deploy]',
    'flavor = keystone',
    '[glance_store]',
    'default_backend = file',
    '[file]',
    `filesystem_store_datadir = ${state}/glance/images/`,
    '[os_glance_staging_store]',
    `filesystem_store_datadir = ${state}/glance/staging/`,
    '[os_glance_tasks_store]',
    `filesystem_store_datadir = ${state}/glance/tasks/`,
    '[oslo_concurrency]',
    `lock_path = ${state}/glance`,
    authtoken('glance'),
  ].join('\n');

  // API only: nova calls the network API even for --nic none servers (port lookups on show, delete,
  // live migration and evacuation), so neutron-server must answer; no agents, no networks.
  files['neutron/neutron.conf'] = [
    '[DEFAULT]',
    'bind_host = 127.0.0.1',
    `bind_port = ${API_PORTS.neutron}`,
    'host = controller',
    'core_plugin = ml2',
    'service_plugins = router,port_forwarding',
    'auth_strategy = keystone',
    `transport_url = ${transportUrl(config)}`,
    'api_workers = 1',
    'rpc_workers = 1',
    'rpc_state_report_workers = 1',
    'notify_nova_on_port_status_changes = false',
    'notify_nova_on_port_data_changes = false',
    'allow_overlapping_ips = true',
    '[database]',
    `connection = ${dbUrl(config, 'neutron', 'neutron')}`,
    '[oslo_concurrency]',
    `lock_path = ${state}/neutron`,
    '[agent]',
    'root_helper = sudo',
    authtoken('neutron'),
  ].join('\n');
  files['neutron/plugins/ml2/ml2_conf.ini'] = [
    '[ml2]',
    'type_drivers = flat',
    'tenant_network_types =',
    'mechanism_drivers =',
    'extension_drivers = port_security',
    '[ml2_type_flat]',
    'flat_networks = *',
    '',
  ].join('\n');

  files['nova/nova.conf'] = [
    '[DEFAULT]',
    // The control services' service host: what `compute service list` shows for them.
    'host = controller',
    `transport_url = ${transportUrl(config)}`,
    'my_ip = 127.0.0.1',
    `state_path = ${state}/nova`,
    // The in-tree fake hypervisor: instances are records, live migration and evacuation are real nova flows.
    'compute_driver = fake.FakeLiveMigrateDriver',
    'heal_instance_info_cache_interval = -1',
    'instance_usage_audit = false',
    // Heartbeats every 5 s, down after 25 s without one (nova's defaults: 10 and 60).
    'report_interval = 5',
    'service_down_time = 25',
    '[api]',
    'auth_strategy = keystone',
    '[api_database]',
    `connection = ${dbUrl(config, 'nova', 'nova_api')}`,
    '[database]',
    `connection = ${dbUrl(config, 'nova', 'nova')}`,
    '[conductor]',
    'workers = 1',
    '[scheduler]',
    'workers = 1',
    'discover_hosts_in_cells_interval = 10',
    '[vnc]',
    'enabled = false',
    '[spice]',
    'enabled = false',
    '[oslo_concurrency]',
    `lock_path = ${state}/nova/tmp`,
    '[oslo_messaging_notifications]',
    'driver = noop',
    serviceAuth('placement', 'placement'),
    serviceAuth('neutron', 'neutron'),
    '[glance]',
    `region_name = ${REGION}`,
    '[cinder]',
    `os_region_name = ${REGION}`,
    authtoken('nova'),
  ].join('\n');
  for (const host of ['compute01', 'compute02']) {
    files[`nova/nova-${host}.conf`] = [
      `# The fake compute "${host}" (loaded after nova.conf)`,
      '[DEFAULT]',
      `host = ${host}`,
      `state_path = ${state}/nova/${host}`,
      `instances_path = ${state}/nova/${host}/instances`,
      '',
    ].join('\n');
  }
  files['nova/lab-uwsgi.ini'] = uwsgiIni('nova-api', API_PORTS.nova, '/usr/bin/nova-api-wsgi', 2, 1);
  return files;
}

/** Creates the service project, users and catalog in one Python process (30 CLI calls take minutes here). */
export const BOOTSTRAP_CATALOG_PY = `
import sys
from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client

url, admin_pass, svc_pass, region = sys.argv[1:5]
services = [a.split("=", 2) for a in sys.argv[5:]]
auth = v3.Password(auth_url=url, username="admin", password=admin_pass, project_name="admin",
                   user_domain_id="default", project_domain_id="default")
ks = client.Client(session=session.Session(auth=auth), interface="public")
domain = ks.domains.get("default")
projects = {p.name: p for p in ks.projects.list(domain=domain)}
service_project = projects.get("service") or ks.projects.create("service", domain)
roles = {r.name: r for r in ks.roles.list()}
if "service" not in roles:
    ks.roles.create("service")
users = {u.name: u for u in ks.users.list(domain=domain)}
for name, _type, _url in services:
    user = users.get(name) or ks.users.create(name, domain=domain, password=svc_pass)
    ks.roles.grant(roles["admin"], user=user, project=service_project)
existing = {s.name: s for s in ks.services.list()}
for name, stype, surl in services:
    service = existing.get(name) or ks.services.create(name, type=stype)
    have = {e.interface for e in ks.endpoints.list(service=service)}
    for interface in ("public", "internal", "admin"):
        if interface not in have:
            ks.endpoints.create(service, surl, interface=interface, region=region)
    print("catalog: %s %s %s" % (name, stype, surl))
`;
