/**
 * The SSH failures an operator can meet, each an {@link OpsError} whose `userMessage` names the host
 * (name and address:port) and says what to do. ./pool.ts maps every ssh2 / socket error to one of these;
 * anything else escaping the pool is a bug.
 */
import { inspect } from 'node:util';
import { OpsError, type ErrorCode } from '../errors';
import type { PresentedHostKey } from './types';

/** What an error needs to name a host: `compute01 (10.0.0.11:22)`. */
export interface HostLabel {
  name: string;
  address: string;
  port: number;
}

/** `compute01 (10.0.0.11:22)`, or just `10.0.0.11:22` when the name is the address. */
export function describeHost(host: HostLabel): string {
  const endpoint = `${host.address}:${host.port}`;
  return host.name && host.name !== host.address ? `${host.name} (${endpoint})` : endpoint;
}

/** The known_hosts name OpenSSH uses for a host: `host` on port 22, `[host]:port` otherwise. */
function knownHostsName(host: HostLabel): string {
  return host.port === 22 ? host.address : `[${host.address}]:${host.port}`;
}

/** Base of every SSH error: carries the host it is about. */
export class SshError extends OpsError {
  readonly host: HostLabel;

  constructor(code: ErrorCode, host: HostLabel, userMessage: string, options?: { cause?: unknown }) {
    super(code, userMessage, options);
    this.host = { name: host.name, address: host.address, port: host.port };
  }
}

/** The host's address does not resolve (ENOTFOUND, EAI_AGAIN). */
export class SshDnsError extends SshError {
  constructor(host: HostLabel, options?: { cause?: unknown }) {
    super(
      'ssh-dns',
      host,
      `Cannot connect to ${describeHost(host)}: the name "${host.address}" cannot be resolved (DNS). ` +
        `Check the address in the environment file and this machine's DNS settings.`,
      options,
    );
  }
}

/** Nothing listens on the port (ECONNREFUSED). */
export class SshRefusedError extends SshError {
  constructor(host: HostLabel, options?: { cause?: unknown }) {
    super(
      'ssh-refused',
      host,
      `${describeHost(host)} refused the connection: nothing is listening on port ${host.port}. ` +
        `Check that sshd is running on the host and that the port in the environment file is right.`,
      options,
    );
  }
}

/** No route to the host (EHOSTUNREACH, ENETUNREACH). */
export class SshUnreachableError extends SshError {
  constructor(host: HostLabel, options?: { cause?: unknown }) {
    super(
      'ssh-unreachable',
      host,
      `${describeHost(host)} cannot be reached from this machine (no route to host). ` + `Check the address, the network and any firewall between here and the host.`,
      options,
    );
  }
}

/** The server rejected every authentication method offered. */
export class SshAuthError extends SshError {
  readonly user: string;
  /** What was offered, e.g. `publickey with /home/op/.ssh/id_ed25519`, `agent at /run/agent.sock`. */
  readonly methods: string[];

  constructor(host: HostLabel, user: string, methods: string[], options?: { cause?: unknown }) {
    const tried = methods.length > 0 ? methods.join(', ') : 'no method: no key, agent or password is configured';
    super(
      'ssh-auth',
      host,
      `${describeHost(host)} rejected user "${user}" with every method tried (${tried}). ` +
        `Check the user name, that the public key is in that user's authorized_keys on the host, ` +
        `or configure another key, the agent or a password for this host.`,
      options,
    );
    this.user = user;
    this.methods = methods;
  }
}

/** The host presented a key that known_hosts does not have: the operator must check and accept it. */
export class HostKeyUnknownError extends SshError {
  readonly presented: PresentedHostKey;
  readonly knownHostsFile: string;
  /** Key types known_hosts does have for this host (OpenSSH: "keys of different type are already known"). */
  readonly otherKeyTypes: string[];

  constructor(presented: PresentedHostKey, knownHostsFile: string, otherKeyTypes: string[] = []) {
    const host = { name: presented.host, address: presented.address, port: presented.port };
    const other =
      otherKeyTypes.length > 0
        ? ` known_hosts already has a key of another type (${otherKeyTypes.join(', ')}) for this host; ` + `this ${presented.keyType} key is new, not changed.`
        : '';
    super(
      'ssh-host-key-unknown',
      host,
      `${describeHost(host)} presented a host key OpsDeck does not know: ${presented.keyType} ${presented.fingerprint}.${other} ` +
        `Compare this fingerprint with the host's own (run \`ssh-keygen -lf\` on its /etc/ssh/ssh_host_*_key.pub, ` +
        `or ask its administrator); if it matches, accept it and OpsDeck adds it to ${knownHostsFile}.`,
    );
    this.presented = presented;
    this.knownHostsFile = knownHostsFile;
    this.otherKeyTypes = otherKeyTypes;
  }
}

/** The host presented a different key of a type known_hosts has for it: refused (possible MITM). */
export class HostKeyChangedError extends SshError {
  readonly presented: PresentedHostKey;
  readonly expectedFingerprint: string;
  readonly knownHostsFile: string;
  /** The 1-based known_hosts line holding the old key. */
  readonly line: number;

  constructor(presented: PresentedHostKey, expectedFingerprint: string, knownHostsFile: string, line: number) {
    const host = { name: presented.host, address: presented.address, port: presented.port };
    super(
      'ssh-host-key-changed',
      host,
      `WARNING: the host key of ${describeHost(host)} has CHANGED. Line ${line} of ${knownHostsFile} expects ` +
        `${presented.keyType} ${expectedFingerprint}; the host presented ${presented.fingerprint}. ` +
        `This is a possible man-in-the-middle attack; OpsDeck refuses to connect. If the host was reinstalled, ` +
        `remove the old line ${line} from ${knownHostsFile} ` +
        `(ssh-keygen -R '${knownHostsName(host)}' -f ${knownHostsFile}) and connect again to accept the new key.`,
    );
    this.presented = presented;
    this.expectedFingerprint = expectedFingerprint;
    this.knownHostsFile = knownHostsFile;
    this.line = line;
  }
}

/** The presented key is marked `@revoked` in known_hosts: never accepted. */
export class HostKeyRevokedError extends SshError {
  readonly presented: PresentedHostKey;
  readonly line: number;

  constructor(presented: PresentedHostKey, knownHostsFile: string, line: number) {
    const host = { name: presented.host, address: presented.address, port: presented.port };
    super(
      'ssh-host-key-revoked',
      host,
      `${describeHost(host)} presented a host key that line ${line} of ${knownHostsFile} marks as revoked ` +
        `(${presented.keyType} ${presented.fingerprint}); OpsDeck refuses to connect. ` +
        `The host must be given a new host key by its administrator.`,
    );
    this.presented = presented;
    this.line = line;
  }
}

/** Connecting or the SSH handshake took too long. */
export class SshTimeoutError extends SshError {
  readonly phase: 'connect' | 'handshake';
  readonly timeoutMs: number;

  constructor(host: HostLabel, phase: 'connect' | 'handshake', timeoutMs: number, options?: { cause?: unknown }) {
    const what = phase === 'connect' ? 'did not accept the connection' : 'did not complete the SSH handshake';
    super(
      'ssh-timeout',
      host,
      `${describeHost(host)} ${what} within ${Math.round(timeoutMs / 1000)} s. ` + `Check that the host is up and that nothing between here and the host drops the traffic.`,
      options,
    );
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

/** The connection died while a command or terminal was using it. */
export class SshConnectionLostError extends SshError {
  readonly reason: 'keepalive' | 'closed';
  readonly command?: string;

  constructor(host: HostLabel, reason: 'keepalive' | 'closed', details: { command?: string; keepaliveMs?: number } = {}, options?: { cause?: unknown }) {
    const why = reason === 'keepalive' ? `the host stopped answering (no reply to keepalives for ${Math.round((details.keepaliveMs ?? 0) / 1000)} s)` : 'the connection was closed';
    const fate = details.command
      ? ' while a command was running. What the command did on the host is unknown: ' + 'check its effect on the host before retrying or going on.'
      : '.';
    super('ssh-connection-lost', host, `Lost the connection to ${describeHost(host)}: ${why}${fate}`, options);
    this.reason = reason;
    this.command = details.command;
  }
}

/** The private key cannot be used. */
export class SshKeyError extends SshError {
  readonly keyFile: string;
  readonly problem: 'unreadable' | 'passphrase-missing' | 'passphrase-wrong' | 'invalid';

  constructor(host: HostLabel, keyFile: string, problem: 'unreadable' | 'passphrase-missing' | 'passphrase-wrong' | 'invalid', options?: { cause?: unknown }) {
    const what = {
      unreadable: `cannot be read (${causeText(options?.cause)}); check the path and its permissions`,
      'passphrase-missing': 'is encrypted and no passphrase is configured; set the passphrase for this key',
      'passphrase-wrong': 'cannot be decrypted: the passphrase is wrong',
      invalid: `is not a private key OpsDeck can use (${causeText(options?.cause)})`,
    }[problem];
    super('ssh-key', host, `The private key ${keyFile} for ${describeHost(host)} ${what}.`, options);
    this.keyFile = keyFile;
    this.problem = problem;
  }
}

/** Reaching a host through its jump host failed; `cause` is the jump host's own error when it had one. */
export class SshJumpError extends SshError {
  readonly jumpHost: HostLabel;

  constructor(host: HostLabel, jumpHost: HostLabel, detail: string, options?: { cause?: unknown }) {
    super('ssh-jump', host, `Cannot reach ${describeHost(host)} through the jump host ${describeHost(jumpHost)}: ${detail}`, options);
    this.jumpHost = { name: jumpHost.name, address: jumpHost.address, port: jumpHost.port };
  }
}

/**
 * The host-key error behind `error`, looking through jump hosts: an unknown or changed key of a jump
 * host is asked about (or refused) exactly like the target's own.
 */
export function hostKeyErrorOf(error: unknown): HostKeyUnknownError | HostKeyChangedError | HostKeyRevokedError | undefined {
  for (let current = error, depth = 0; current && depth < 8; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof HostKeyUnknownError || current instanceof HostKeyChangedError || current instanceof HostKeyRevokedError) return current;
    if (!(current instanceof SshJumpError)) return undefined;
  }
  return undefined;
}

/** The server refused to open a channel (exec, shell) on a working connection. */
export class SshChannelError extends SshError {
  constructor(host: HostLabel, what: string, options?: { cause?: unknown }) {
    super(
      'ssh-channel',
      host,
      `${describeHost(host)} refused to open ${what} (${causeText(options?.cause)}). ` +
        `The server may limit sessions per connection (MaxSessions) or forbid this kind of channel.`,
      options,
    );
  }
}

function causeText(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return cause === undefined ? 'no detail' : typeof cause === 'string' ? cause : inspect(cause);
}
