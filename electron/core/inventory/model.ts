/**
 * An environment: the hosts of one cloud, how to reach them, their roles, and the deployment profile
 * whose command words the runbooks use. Loaded from a YAML file by ./environment.ts.
 */
import type { SourcePosition } from '../errors';

export type HostRole = 'controller' | 'compute' | 'network' | 'storage' | 'db' | 'mq' | (string & {});

export interface HostSpec {
  /** The name runbooks and the operator use (`compute01`). */
  name: string;
  address: string;
  port: number;
  user: string;
  /** Absolute path of a private key file. */
  keyFile?: string;
  /** Passphrase of the key, resolved from the environment's secret source; never written anywhere. */
  passphrase?: string;
  password?: string;
  /** Use the SSH agent at this socket (SSH_AUTH_SOCK when `true` in the file). */
  agent?: string;
  /** The name of another host of the environment to jump through (ProxyJump). */
  jump?: string;
  roles: HostRole[];
  /** The host's baseboard management controller, for fencing (power off through IPMI) before an evacuation. */
  bmc?: BmcSpec;
  source?: SourcePosition;
}

/** A BMC reached with `ipmitool -I <interface> -H <address> -p <port> -U <user>`; the password is a secret. */
export interface BmcSpec {
  address: string;
  /** UDP port of the BMC's RMCP service; default 623. */
  port: number;
  user: string;
  /** Resolved from the environment's secret source; never written anywhere, never on a command line. */
  password: string;
  /** `lanplus` (IPMI 2.0, default) or `lan` (IPMI 1.5). */
  interface: 'lanplus' | 'lan';
  /** `ipmitool -C`: the cipher suite; absent, ipmitool asks the BMC for the best one it offers. */
  cipherSuite?: number;
}

/** A database `sql` steps can query, by name. */
export interface DatabaseSpec {
  name: string;
  /** The environment host to tunnel through (SSH port forwarding); absent: connect directly. */
  host?: string;
  /** The address as seen from `host` (or from OpsDeck when there is no host). */
  address: string;
  port: number;
  user: string;
  /** Resolved from the environment's secret source; never written anywhere. */
  password?: string;
}

/** Command words of one deployment style (systemd, tripleo-podman, tripleo-docker, kolla). */
export interface DeploymentProfile {
  id: string;
  title: string;
  description: string;
  /** Word name → command fragment, e.g. `rabbitmqctl` → `podman exec rabbitmq-bundle-podman-0 rabbitmqctl`. */
  words: Record<string, string>;
  /**
   * The standard read-only probes a run's state snapshots take in this deployment
   * (electron/core/run/snapshot.ts); absent: all of them.
   */
  probes?: string[];
}

/** The standard snapshot probes, by the names profiles list them under `probes:`. */
export const STANDARD_PROBE_IDS = ['nova_services', 'hypervisors', 'instances', 'rabbitmq_queues', 'db_cluster', 'units'] as const;

/** Where the team's audit trail and host leases live (`audit:` in the environment file). */
export interface AuditSettings {
  /** A name under `databases:`; absent: local journal and local host leases only. */
  database?: string;
  /** The schema holding the audit tables (default `opsdeck_audit`). */
  schema: string;
  /** Time to live of host leases; the holder renews every quarter of it. Default 2 min. */
  leaseTtlMs: number;
  /**
   * Operator name → the team database account that operator's console inserts with. When given,
   * `audit verify` checks that a run's rows were inserted by the account of the operator it names.
   */
  operators?: Record<string, string>;
}

/** Where a same-machine approval spool lives when the environment file does not say (docs/approval.md). */
export const DEFAULT_APPROVAL_SPOOL = '/var/lib/opsdeck/approvals';

/**
 * `approval: two-person`: every destructive step waits for a second operator's approval, through the
 * team database when the environment has one, else through a spool directory on this machine.
 */
export interface ApprovalSettings {
  mode: 'two-person';
  /** The spool directory shared by the operators of this machine (absolute). */
  spool: string;
}

export interface Environment {
  name: string;
  /** A lab environment (loopback test hosts), labelled as such everywhere it is shown. */
  lab: boolean;
  /**
   * `snapshots: true`: every run takes state snapshots (the profile's probes and the runbook's) at its
   * start and end, and the report shows what changed. Off unless asked: the probes cost a few seconds
   * and a few read-only commands per run.
   */
  snapshots?: boolean;
  profile: DeploymentProfile;
  hosts: HostSpec[];
  /** Extra values runbooks can reference as `{{ env.<name> }}` (quoted like any value). */
  vars: Record<string, string>;
  /** Databases `sql` steps can query, by name. */
  databases: Record<string, DatabaseSpec>;
  /** Names of values that are secrets, masked wherever they could be written or shown. */
  secrets: Record<string, string>;
  /** OpenSSH known_hosts file used to verify host keys (absolute path). */
  knownHostsFile: string;
  /** The file the environment was loaded from. */
  file: string;
  /** The team audit database and host leases; absent: the local journal and local leases only. */
  audit?: AuditSettings;
  /** Two-person approval of destructive steps; absent: the operator's own confirmation is enough. */
  approval?: ApprovalSettings;
}
