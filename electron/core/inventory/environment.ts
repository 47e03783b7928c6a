/**
 * Loads environment files (the hosts of one cloud) and deployment profiles (the command words of one
 * deployment style), reporting every problem with its file:line:column. The format is documented in
 * docs/environments.md.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError, type Problem } from '../errors';
import { loadYamlFile, positionAt, type YamlPath, type YamlSource } from '../runbook/yaml-source';
import { parseDuration } from '../runbook/parse';
import {
  DEFAULT_APPROVAL_SPOOL,
  STANDARD_PROBE_IDS,
  type ApprovalSettings,
  type AuditSettings,
  type BmcSpec,
  type DatabaseSpec,
  type DeploymentProfile,
  type Environment,
  type HostSpec,
} from './model';

/** Where the bundled runbooks and profiles live (runbooks/ at the project root). */
export const BUNDLED_RUNBOOKS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../runbooks');
export const BUNDLED_PROFILES_DIR = path.join(BUNDLED_RUNBOOKS_DIR, 'profiles');

const ENVIRONMENT_KEYS = ['name', 'lab', 'profile', 'known_hosts', 'defaults', 'vars', 'secrets', 'hosts', 'databases', 'description', 'audit', 'snapshots', 'approval'];
const AUDIT_KEYS = ['database', 'schema', 'lease_ttl', 'operators'];
const DEFAULT_AUDIT_SCHEMA = 'opsdeck_audit';
const DEFAULT_LEASE_TTL_MS = 120_000;
const DATABASE_KEYS = ['host', 'address', 'port', 'user', 'password'];
const HOST_KEYS = ['address', 'port', 'user', 'key', 'passphrase', 'password', 'agent', 'jump', 'roles', 'bmc'];
const BMC_KEYS = ['address', 'port', 'user', 'password', 'interface', 'cipher_suite'];
const DEFAULT_KEYS = ['user', 'port', 'key', 'passphrase', 'agent', 'jump'];
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Where a secret comes from: never the file itself. */
type SecretRef = { env: string } | { file: string };

export interface LoadEnvironmentOptions {
  /** Directories searched for `profile: <id>`; the bundled profiles by default. */
  profileDirs?: string[];
  /** Process environment for `{ env: NAME }` secrets (process.env by default). */
  processEnv?: NodeJS.ProcessEnv;
}

/** Loads and checks an environment file; throws {@link ValidationError} listing every problem. */
export async function loadEnvironment(file: string, options: LoadEnvironmentOptions = {}): Promise<Environment> {
  const absolute = path.resolve(file);
  const parsed = await loadYamlFile(absolute);
  if (!parsed.source) throw new ValidationError(parsed.problems, `Environment file ${file}`);
  const reader = new Reader(parsed.source);
  const environment = await reader.environment(options);
  const problems = [...parsed.problems, ...reader.problems];
  if (problems.some((problem) => problem.severity === 'error') || !environment) {
    throw new ValidationError(problems, `Environment file ${file}`);
  }
  return environment;
}

/** Loads a deployment profile by id (from the profile directories) or by path. */
export async function loadProfile(idOrPath: string, profileDirs: string[] = [BUNDLED_PROFILES_DIR]): Promise<DeploymentProfile> {
  const candidates = idOrPath.includes('/') || idOrPath.endsWith('.yaml') ? [path.resolve(idOrPath)] : profileDirs.map((dir) => path.join(dir, `${idOrPath}.yaml`));
  const file = candidates.find((candidate) => existsSync(candidate));
  if (!file) {
    const known = (await listProfiles(profileDirs)).join(', ') || 'none';
    throw new ValidationError(
      [{ file: idOrPath, line: 1, column: 1, severity: 'error', message: `No deployment profile "${idOrPath}" (known profiles: ${known}).` }],
      'The environment',
    );
  }
  const parsed = await loadYamlFile(file);
  // Every problem names the profile file, so an environment that uses the profile reports it there.
  const inFile = (problems: Problem[]) => problems.map((problem) => ({ ...problem, file: problem.file ?? file }));
  if (!parsed.source) throw new ValidationError(inFile(parsed.problems), `Profile ${file}`);
  const errors = inFile(parsed.problems).filter((problem) => problem.severity === 'error');
  const reader = new Reader(parsed.source);
  const profile = reader.profile();
  if (!profile || errors.length > 0 || reader.problems.length > 0) throw new ValidationError([...errors, ...inFile(reader.problems)], `Profile ${file}`);
  return profile;
}

/** The ids of the profiles found in the directories. */
export async function listProfiles(profileDirs: string[] = [BUNDLED_PROFILES_DIR]): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const ids: string[] = [];
  for (const dir of profileDirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    ids.push(...names.filter((name) => name.endsWith('.yaml')).map((name) => name.slice(0, -'.yaml'.length)));
  }
  return ids.sort();
}

/** Walks a parsed YAML document, collecting problems with positions. */
class Reader {
  readonly problems: Problem[] = [];

  constructor(private readonly source: YamlSource) {}

  private problem(at: YamlPath, message: string, part: 'value' | 'key' = 'value'): void {
    this.problems.push({ ...positionAt(this.source, at, part), message, severity: 'error' });
  }

  private map(value: unknown, at: YamlPath, what: string): Record<string, unknown> | undefined {
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    this.problem(at, `${what} must be a mapping (key: value lines).`);
    return undefined;
  }

  private unknownKeys(value: Record<string, unknown>, at: YamlPath, allowed: string[], what: string): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.problem([...at, key], `${what} has no field "${key}" (fields: ${allowed.join(', ')}).`, 'key');
    }
  }

  private string(value: unknown, at: YamlPath, what: string): string | undefined {
    if (typeof value === 'string' && value.length > 0) return value;
    if (typeof value === 'number') return String(value);
    this.problem(at, value === undefined || value === null ? `${what} is missing.` : `${what} must be text, not ${JSON.stringify(value)}.`);
    return undefined;
  }

  private port(value: unknown, at: YamlPath): number | undefined {
    if (Number.isInteger(value) && (value as number) > 0 && (value as number) < 65536) return value as number;
    this.problem(at, `port must be a number from 1 to 65535, not ${JSON.stringify(value)}.`);
    return undefined;
  }

  private secretRef(value: unknown, at: YamlPath, what: string): SecretRef | undefined {
    const ref = value as Record<string, unknown> | undefined;
    if (ref && typeof ref === 'object' && !Array.isArray(ref)) {
      if (typeof ref.env === 'string' && Object.keys(ref).length === 1) return { env: ref.env };
      if (typeof ref.file === 'string' && Object.keys(ref).length === 1) return { file: ref.file };
    }
    this.problem(at, `${what} is a secret: write it as { env: VARIABLE } or { file: /path/to/file }, never as text in the environment file.`);
    return undefined;
  }

  private async resolveSecret(ref: SecretRef, at: YamlPath, processEnv: NodeJS.ProcessEnv): Promise<string | undefined> {
    if ('env' in ref) {
      const value = processEnv[ref.env];
      if (value === undefined) this.problem(at, `the secret comes from the variable ${ref.env}, which is not set.`);
      return value;
    }
    try {
      return (await readFile(this.relative(ref.file), 'utf8')).replace(/\r?\n$/, '');
    } catch (error) {
      this.problem(at, `the secret file ${ref.file} cannot be read: ${(error as Error).message}.`);
      return undefined;
    }
  }

  private relative(file: string): string {
    const expanded = file.startsWith('~/') ? path.join(os.homedir(), file.slice(2)) : file;
    return path.resolve(path.dirname(this.source.file), expanded);
  }

  profile(): DeploymentProfile | undefined {
    const root = this.map(this.source.value, [], 'A deployment profile');
    if (!root) return undefined;
    this.unknownKeys(root, [], ['id', 'title', 'description', 'words', 'probes'], 'A deployment profile');
    let probes: string[] | undefined;
    if (root.probes !== undefined) {
      if (!Array.isArray(root.probes) || root.probes.some((probe) => typeof probe !== 'string')) {
        this.problem(['probes'], `probes must be a list of the standard probes this deployment answers: ${STANDARD_PROBE_IDS.join(', ')}.`);
      } else {
        probes = root.probes as string[];
        probes.forEach((probe, index) => {
          if (!(STANDARD_PROBE_IDS as readonly string[]).includes(probe))
            this.problem(['probes', index], `"${probe}" is not a standard probe (they are ${STANDARD_PROBE_IDS.join(', ')}).`);
        });
      }
    }
    const id = this.string(root.id, ['id'], 'id');
    const words = this.map(root.words, ['words'], 'words');
    const checkedWords: Record<string, string> = {};
    for (const [word, text] of Object.entries(words ?? {})) {
      const value = this.string(text, ['words', word], `word "${word}"`);
      if (value !== undefined) checkedWords[word] = value;
    }
    if (!id) return undefined;
    return {
      id,
      title: typeof root.title === 'string' ? root.title : id,
      description: typeof root.description === 'string' ? root.description : '',
      words: checkedWords,
      ...(probes ? { probes } : {}),
    };
  }

  async environment(options: LoadEnvironmentOptions): Promise<Environment | undefined> {
    const processEnv = options.processEnv ?? process.env;
    const root = this.map(this.source.value, [], 'An environment file');
    if (!root) return undefined;
    this.unknownKeys(root, [], ENVIRONMENT_KEYS, 'An environment file');
    const name = this.string(root.name, ['name'], 'name');
    const defaults = root.defaults === undefined ? {} : (this.map(root.defaults, ['defaults'], 'defaults') ?? {});
    this.unknownKeys(defaults, ['defaults'], DEFAULT_KEYS, 'defaults');

    let profile: DeploymentProfile | undefined;
    const profileName = this.string(root.profile, ['profile'], 'profile (systemd, tripleo-podman, tripleo-docker or kolla)');
    if (profileName) {
      try {
        profile = await loadProfile(profileName.includes('/') ? this.relative(profileName) : profileName, options.profileDirs);
      } catch (error) {
        const inProfile =
          error instanceof ValidationError
            ? error.problems.filter((problem) => problem.file && problem.file !== this.source.file && !problem.message.startsWith('No deployment profile'))
            : [];
        if (inProfile.length > 0) {
          // Mistakes inside the profile file are reported at their own file:line:column; the
          // environment's profile: line only says which file that is.
          const profileFile = inProfile[0].file;
          const count = inProfile.filter((problem) => problem.severity === 'error').length;
          this.problem(['profile'], `The deployment profile ${profileFile} has ${count === 1 ? '1 problem' : `${count} problems`}, listed at its own lines.`);
          this.problems.push(...inProfile);
        } else {
          const message = error instanceof ValidationError ? error.problems.map((problem) => problem.message).join(' ') : String(error);
          this.problem(['profile'], message);
        }
      }
    }

    const vars: Record<string, string> = {};
    const varsMap = root.vars === undefined ? {} : (this.map(root.vars, ['vars'], 'vars') ?? {});
    for (const [key, value] of Object.entries(varsMap)) {
      if (['string', 'number', 'boolean'].includes(typeof value)) vars[key] = String(value);
      else this.problem(['vars', key], `vars.${key} must be text, a number or true/false.`);
    }
    const secrets: Record<string, string> = {};
    const secretsMap = root.secrets === undefined ? {} : (this.map(root.secrets, ['secrets'], 'secrets') ?? {});
    for (const [key, value] of Object.entries(secretsMap)) {
      const ref = this.secretRef(value, ['secrets', key], `secrets.${key}`);
      const resolved = ref && (await this.resolveSecret(ref, ['secrets', key], processEnv));
      if (resolved !== undefined) secrets[key] = resolved;
    }

    const hosts: HostSpec[] = [];
    const hostsMap = this.map(root.hosts, ['hosts'], 'hosts') ?? {};
    if (root.hosts !== undefined && Object.keys(hostsMap).length === 0) this.problem(['hosts'], 'hosts names no host.');
    for (const [hostName, value] of Object.entries(hostsMap)) {
      const host = await this.host(hostName, value, defaults, processEnv);
      if (host) hosts.push(host);
    }
    for (const host of hosts) {
      if (host.jump && !hosts.some((candidate) => candidate.name === host.jump)) {
        this.problem(['hosts', host.name, 'jump'], `jump host "${host.jump}" is not a host of this environment.`);
      }
    }
    this.checkJumpLoops(hosts);

    const databases: Record<string, DatabaseSpec> = {};
    const databasesMap = root.databases === undefined ? {} : (this.map(root.databases, ['databases'], 'databases') ?? {});
    for (const [databaseName, value] of Object.entries(databasesMap)) {
      const database = await this.database(databaseName, value, hosts, processEnv);
      if (database) databases[databaseName] = database;
    }

    const audit = root.audit === undefined ? undefined : this.audit(root.audit, databases);

    if (root.snapshots !== undefined && typeof root.snapshots !== 'boolean')
      this.problem(['snapshots'], 'snapshots must be true (take state snapshots at the start and end of every run) or false.');
    const approval = root.approval === undefined ? undefined : this.approval(root.approval, root.lab === true);
    const knownHosts = typeof root.known_hosts === 'string' ? this.relative(root.known_hosts) : path.join(os.homedir(), '.ssh', 'known_hosts');
    if (!name || !profile) return undefined;
    return {
      ...(audit ? { audit } : {}),
      name,
      lab: root.lab === true,
      ...(root.snapshots === true ? { snapshots: true } : {}),
      ...(approval ? { approval } : {}),
      profile,
      hosts,
      vars,
      databases,
      secrets,
      knownHostsFile: knownHosts,
      file: this.source.file,
    };
  }

  /**
   * `approval: two-person`, or `approval: { mode: two-person, spool: DIR }`: destructive steps wait for a
   * second operator (docs/approval.md). Never on a lab: a lab is where one person tries things alone.
   */
  private approval(value: unknown, lab: boolean): ApprovalSettings | undefined {
    const spec = typeof value === 'string' ? { mode: value } : this.map(value, ['approval'], 'approval');
    if (!spec) return undefined;
    if (typeof value !== 'string') this.unknownKeys(spec, ['approval'], ['mode', 'spool'], 'approval');
    if (spec.mode !== 'two-person') {
      this.problem(['approval'], `approval must be "two-person" (destructive steps wait for a second operator), not ${JSON.stringify(spec.mode ?? null)}.`);
      return undefined;
    }
    if (lab) {
      this.problem(['approval'], 'approval: two-person cannot be set on a lab environment (lab: true): a lab is run by one person. Remove one of the two.');
      return undefined;
    }
    const spool = spec.spool === undefined ? DEFAULT_APPROVAL_SPOOL : this.string(spec.spool, ['approval', 'spool'], 'approval.spool');
    if (spool === undefined) return undefined;
    return { mode: 'two-person', spool: this.relative(spool) };
  }

  private async host(name: string, value: unknown, defaults: Record<string, unknown>, processEnv: NodeJS.ProcessEnv): Promise<HostSpec | undefined> {
    const at = ['hosts', name];
    if (!HOST_NAME.test(name)) this.problem(at, `"${name}" is not a usable host name (letters, digits, dot, dash, underscore).`, 'key');
    const spec = this.map(value, at, `host ${name}`);
    if (!spec) return undefined;
    this.unknownKeys(spec, at, HOST_KEYS, `host ${name}`);
    const merged = { ...defaults, ...spec };
    const address = this.string(spec.address, [...at, 'address'], `hosts.${name}.address`);
    const port = merged.port === undefined ? 22 : this.port(merged.port, spec.port === undefined ? ['defaults', 'port'] : [...at, 'port']);
    const user = merged.user === undefined ? undefined : this.string(merged.user, [...at, 'user'], 'user');
    if (merged.user === undefined) this.problem(at, `host ${name} has no user (set it on the host or in defaults).`);
    const roles = spec.roles === undefined ? [] : spec.roles;
    if (!Array.isArray(roles) || roles.some((role) => typeof role !== 'string')) {
      this.problem([...at, 'roles'], 'roles must be a list of words, e.g. [controller, db, mq].');
    }
    const keyFile = typeof merged.key === 'string' ? this.relative(merged.key) : undefined;
    const passphraseRef = merged.passphrase === undefined ? undefined : this.secretRef(merged.passphrase, [...at, 'passphrase'], 'passphrase');
    const passwordRef = spec.password === undefined ? undefined : this.secretRef(spec.password, [...at, 'password'], 'password');
    const passphrase = passphraseRef && (await this.resolveSecret(passphraseRef, [...at, 'passphrase'], processEnv));
    const password = passwordRef && (await this.resolveSecret(passwordRef, [...at, 'password'], processEnv));
    const agent = merged.agent === true ? processEnv.SSH_AUTH_SOCK : typeof merged.agent === 'string' ? merged.agent : undefined;
    if (merged.agent === true && !agent) this.problem([...at, 'agent'], 'agent: true, but SSH_AUTH_SOCK is not set (is an ssh-agent running?).');
    const bmc = spec.bmc === undefined ? undefined : await this.bmc(name, spec.bmc, processEnv);
    if (!address || !port || !user) return undefined;
    return {
      ...(bmc ? { bmc } : {}),
      name,
      address,
      port,
      user,
      keyFile,
      passphrase,
      password,
      agent,
      jump: typeof merged.jump === 'string' && merged.jump !== name ? merged.jump : undefined,
      roles: Array.isArray(roles) ? roles.map(String) : [],
      source: positionAt(this.source, at, 'key'),
    };
  }

  /** `bmc: { address, port, user, password, interface }`: the host's BMC, for fencing through IPMI. */
  private async bmc(name: string, value: unknown, processEnv: NodeJS.ProcessEnv): Promise<BmcSpec | undefined> {
    const at = ['hosts', name, 'bmc'];
    const spec = this.map(value, at, `the BMC of host ${name}`);
    if (!spec) return undefined;
    this.unknownKeys(spec, at, BMC_KEYS, `the BMC of host ${name}`);
    const address = this.string(spec.address, [...at, 'address'], `hosts.${name}.bmc.address`);
    const port = spec.port === undefined ? 623 : this.port(spec.port, [...at, 'port']);
    const user = this.string(spec.user, [...at, 'user'], `hosts.${name}.bmc.user`);
    const bmcInterface = spec.interface === undefined ? 'lanplus' : spec.interface;
    if (bmcInterface !== 'lanplus' && bmcInterface !== 'lan') {
      this.problem([...at, 'interface'], `hosts.${name}.bmc.interface must be lanplus (IPMI 2.0, the default) or lan (IPMI 1.5).`);
    }
    const cipherSuite = spec.cipher_suite;
    if (cipherSuite !== undefined && !(Number.isInteger(cipherSuite) && (cipherSuite as number) >= 0 && (cipherSuite as number) <= 17)) {
      this.problem(
        [...at, 'cipher_suite'],
        `hosts.${name}.bmc.cipher_suite must be an IPMI cipher suite number from 0 to 17 (3 and 17 are common), not ${JSON.stringify(cipherSuite)}.`,
      );
    }
    if (spec.password === undefined) {
      this.problem(at, `the BMC of host ${name} has no password; give it as password: { env: VARIABLE } or { file: PATH }.`);
    }
    const passwordRef = spec.password === undefined ? undefined : this.secretRef(spec.password, [...at, 'password'], 'password');
    const password = passwordRef && (await this.resolveSecret(passwordRef, [...at, 'password'], processEnv));
    if (!address || !port || !user || password === undefined) return undefined;
    return {
      address,
      port,
      user,
      password,
      interface: bmcInterface === 'lan' ? 'lan' : 'lanplus',
      ...(Number.isInteger(cipherSuite) ? { cipherSuite: cipherSuite as number } : {}),
    };
  }

  private async database(name: string, value: unknown, hosts: HostSpec[], processEnv: NodeJS.ProcessEnv): Promise<DatabaseSpec | undefined> {
    const at = ['databases', name];
    const spec = this.map(value, at, `database ${name}`);
    if (!spec) return undefined;
    this.unknownKeys(spec, at, DATABASE_KEYS, `database ${name}`);
    const host = spec.host === undefined ? undefined : this.string(spec.host, [...at, 'host'], `databases.${name}.host`);
    if (host && !hosts.some((candidate) => candidate.name === host)) {
      this.problem([...at, 'host'], `databases.${name}.host: "${host}" is not a host of this environment (the database is reached through it).`);
    }
    const address = spec.address === undefined ? '127.0.0.1' : this.string(spec.address, [...at, 'address'], `databases.${name}.address`);
    const port = spec.port === undefined ? 3306 : this.port(spec.port, [...at, 'port']);
    const user = this.string(spec.user, [...at, 'user'], `databases.${name}.user`);
    const passwordRef = spec.password === undefined ? undefined : this.secretRef(spec.password, [...at, 'password'], 'password');
    const password = passwordRef && (await this.resolveSecret(passwordRef, [...at, 'password'], processEnv));
    if (!address || !port || !user) return undefined;
    return { name, host, address, port, user, password };
  }

  /** `audit: { database, schema, lease_ttl }`: the team's audit database and host leases. */
  private audit(value: unknown, databases: Record<string, DatabaseSpec>): AuditSettings | undefined {
    const spec = this.map(value, ['audit'], 'audit');
    if (!spec) return undefined;
    this.unknownKeys(spec, ['audit'], AUDIT_KEYS, 'audit');
    const database = spec.database === undefined ? undefined : this.string(spec.database, ['audit', 'database'], 'audit.database (a name under databases:)');
    if (database && !databases[database]) {
      const known = Object.keys(databases).join(', ') || 'none declared';
      this.problem(['audit', 'database'], `audit.database: "${database}" is not a database of this environment (databases: ${known}).`);
    }
    const schema = spec.schema === undefined ? DEFAULT_AUDIT_SCHEMA : this.string(spec.schema, ['audit', 'schema'], 'audit.schema');
    if (schema && !/^[A-Za-z0-9_$]{1,64}$/.test(schema)) this.problem(['audit', 'schema'], 'audit.schema must be a plain schema name (letters, digits, _ and $; at most 64).');
    let leaseTtlMs = DEFAULT_LEASE_TTL_MS;
    if (spec.lease_ttl !== undefined) {
      const parsed = typeof spec.lease_ttl === 'string' || typeof spec.lease_ttl === 'number' ? parseDuration(spec.lease_ttl) : undefined;
      if (parsed === undefined || parsed < 1000) this.problem(['audit', 'lease_ttl'], 'audit.lease_ttl must be a duration of at least 1s, like 2m or 90s.');
      else leaseTtlMs = parsed;
    }
    let operators: Record<string, string> | undefined;
    if (spec.operators !== undefined) {
      const map = this.map(spec.operators, ['audit', 'operators'], 'audit.operators (operator name: database account)');
      if (map) {
        operators = {};
        for (const [operator, account] of Object.entries(map)) {
          const name = this.string(account, ['audit', 'operators', operator], `audit.operators.${operator} (the database account of ${operator})`);
          if (name) operators[operator] = name;
        }
      }
    }
    if (!schema) return undefined;
    return { ...(database ? { database } : {}), schema, leaseTtlMs, ...(operators ? { operators } : {}) };
  }

  private checkJumpLoops(hosts: HostSpec[]): void {
    for (const start of hosts) {
      const seen = new Set<string>([start.name]);
      let current = start;
      while (current.jump) {
        if (seen.has(current.jump)) {
          this.problem(['hosts', start.name, 'jump'], `jump hosts go round in a loop: ${[...seen, current.jump].join(' -> ')}.`);
          break;
        }
        seen.add(current.jump);
        const next = hosts.find((host) => host.name === current.jump);
        if (!next) break;
        current = next;
      }
    }
  }
}
