/**
 * A run with everything around it: parameters checked, secrets known to the masker, the journal
 * created before the first event, a transcript per host, and all of it closed when the run ends.
 * The CLI and the console's server both start runs through here.
 */
import os from 'node:os';
import { CastWriter, castPath } from '../audit/asciicast';
import type { RunEvent, RunStatus } from '../audit/events';
import { newRunId, runDir } from '../audit/files';
import { Journal } from '../audit/journal';
import { Masker } from '../audit/mask';
import type { Environment } from '../inventory/model';
import type { ParamValue, Runbook } from '../runbook/model';
import { MysqlConnector, type SqlConnector } from '../sql/mysql';
import { SshPool } from '../ssh/pool';
import type { SshConnector } from '../ssh/types';
import { resolveParams } from './params';
import { Runner, type FailurePolicy, type ResumeState } from './runner';

export interface RunSessionOptions {
  runbook: Runbook;
  library?: { get(id: string): Runbook | undefined };
  environment: Environment;
  /** Raw parameters (strings from a command line or form, or typed values). */
  params: Record<string, unknown>;
  ssh: SshConnector;
  sql?: SqlConnector;
  operator: string;
  auditDir: string;
  onFailure?: FailurePolicy;
  runId?: string;
  /** Reopening a run: its journal is appended to, and the runner skips what was done. */
  resume?: ResumeState & { runId: string; params: Record<string, ParamValue> };
}

export interface RunSession {
  runId: string;
  runDirectory: string;
  runner: Runner;
  masker: Masker;
  /** The parameters after checking, with defaults. */
  params: Record<string, ParamValue>;
  /** Starts the run; resolves with its final status once the journal is closed. */
  start(): Promise<RunStatus>;
}

/** The connections of one environment: an SSH pool that knows its jump hosts, and SQL through it. */
export interface Connectors {
  ssh: SshPool;
  sql: MysqlConnector;
  close(): Promise<void>;
}

export function connectorsFor(environment: Environment): Connectors {
  const hostNamed = (name: string) => environment.hosts.find((host) => host.name === name);
  const ssh = new SshPool({ knownHostsFile: environment.knownHostsFile, resolveHost: hostNamed });
  const sql = new MysqlConnector(async (hostName, address, port) => {
    const host = hostNamed(hostName);
    if (!host) throw new Error(`no host ${hostName}`);
    return ssh.forward(host, address, port);
  });
  return {
    ssh,
    sql,
    async close() {
      await sql.close();
      await ssh.close();
    },
  };
}

/** Every secret a run could write: secret params, the environment's secrets, SSH passphrases and passwords. */
export function maskerFor(runbook: Runbook, environment: Environment, params: Record<string, ParamValue>): Masker {
  const secrets: string[] = [];
  for (const spec of runbook.params) {
    const value = params[spec.name];
    if (spec.secret && value !== undefined) secrets.push(...(Array.isArray(value) ? value : [String(value)]));
  }
  secrets.push(...Object.values(environment.secrets));
  for (const database of Object.values(environment.databases)) if (database.password) secrets.push(database.password);
  for (const host of environment.hosts) {
    if (host.passphrase) secrets.push(host.passphrase);
    if (host.password) secrets.push(host.password);
  }
  return new Masker(secrets);
}

/**
 * Prepares a run. Throws before anything is written when the parameters are wrong, so a refused run
 * leaves no journal behind.
 */
export function createRunSession(options: RunSessionOptions): RunSession {
  const { runbook, environment } = options;
  const params = options.resume?.params ?? resolveParams(runbook, options.params, environment);
  const masker = maskerFor(runbook, environment, params);
  const runId = options.resume?.runId ?? options.runId ?? newRunId();
  const journal = options.resume
    ? Journal.open(options.auditDir, runId, masker)
    : Journal.create(options.auditDir, runId, masker);
  const runDirectory = runDir(options.auditDir, runId);
  const transcripts = new Map<string, CastWriter>();
  const transcriptFor = (host: string): CastWriter => {
    let writer = transcripts.get(host);
    if (!writer) {
      writer = CastWriter.create(castPath(runDirectory, host), masker, { width: 160, height: 48, title: `${runbook.id} on ${host}` });
      transcripts.set(host, writer);
    }
    return writer;
  };

  const runner = new Runner({
    runId,
    runbook,
    library: options.library,
    environment,
    params,
    ssh: options.ssh,
    sql: options.sql,
    operator: options.operator,
    machine: os.hostname(),
    masker,
    recorder: {
      append(event: RunEvent) {
        journal.append(event);
        // Command output has no terminal to turn \n into a new line; the transcript plays it back as one.
        if (event.type === 'step.output') transcriptFor(event.host).output(event.data.replace(/\r?\n/g, '\r\n'));
        if (event.type === 'step.command') transcriptFor(event.host).output(`\r\n$ ${event.command}\r\n`);
        if (event.type === 'step.finished') for (const writer of transcripts.values()) writer.flush();
      },
    },
    onFailure: options.onFailure,
    resume: options.resume,
  });

  return {
    runId,
    runDirectory,
    runner,
    masker,
    params,
    async start() {
      try {
        return await runner.start();
      } finally {
        for (const writer of transcripts.values()) writer.close();
        journal.close();
      }
    },
  };
}
