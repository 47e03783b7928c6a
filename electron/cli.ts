/**
 * `opsdeck`: the headless console. Validates runbooks, runs them against an environment with live
 * output and prompts, and reads, verifies and exports the audit trail. A thin adapter: it parses
 * arguments, prints, and calls the engine in electron/core.
 */
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { defaultAuditDir } from './core/audit/files';
import { AuditStore } from './core/audit/store';
import { exportRun } from './core/audit/export';
import { verifyJournal } from './core/audit/verify';
import { reopenRun } from './core/audit/replay';
import { OpsError, ValidationError, codeOf, formatProblem, isOpsError, userMessageOf } from './core/errors';
import { BUNDLED_RUNBOOKS_DIR, loadEnvironment } from './core/inventory/environment';
import type { Environment } from './core/inventory/model';
import { RunbookLibrary } from './core/runbook/library';
import type { Runbook } from './core/runbook/model';
import { ParamError, resolveParams } from './core/run/params';
import { plannedHosts } from './core/run/preflight';
import type { FailurePolicy } from './core/run/runner';
import { connectorsFor, createRunSession } from './core/run/session';
import { HostKeyUnknownError } from './core/ssh/errors';
import { SshPool } from './core/ssh/pool';
import { EXIT, exitCodeForRun } from './cli/exit-codes';
import { RunPrinter, makeStyle, type Style } from './cli/printer';
import { PromptAnswerer, type PresetAnswers } from './cli/prompts';

const USAGE = `opsdeck — run OpenStack maintenance and disaster-recovery runbooks over SSH, with an audit trail

Usage:
  opsdeck validate <file|dir>...                 check runbooks; problems as file:line:column
  opsdeck run <runbook> --env <file> [options]   run a runbook (a file, or a bundled runbook's id)
  opsdeck resume <run-id> --env <file> [options] reopen a run that was interrupted, and go on
  opsdeck hosts check --env <file> [--accept-new-host-keys]
  opsdeck audit list [--runbook ID] [--status S] [--env NAME]
  opsdeck audit show <run-id>
  opsdeck audit verify [<run-id>]                all runs when no id is given
  opsdeck audit export <run-id> --format md|json [--output FILE]
  opsdeck list                                   the runbooks in the library

Run options:
  --param, -p NAME=VALUE      a runbook parameter (repeat)
  --operator NAME             who runs it (default: the login name)
  --on-failure ask|stop|rollback
                              what to do when a step fails (default: ask on a terminal, stop otherwise)
  --confirm STEP=TEXT         type TEXT at destructive step STEP's confirmation (runs without a terminal)
  --yes-destructive           confirm every destructive step (recorded as such in the journal)
  --decide STEP=CHOICE        answer decision STEP
  --manual STEP=done[:NOTE]   mark manual step STEP done (or failed)
  --accept-new-host-keys      trust hosts whose key is not yet in known_hosts (never a changed key)
  --retry-interrupted         on resume, run the interrupted step again (default: ask, or stop)
  --audit-dir DIR             where journals are kept (default: $OPSDECK_HOME/audit or ~/.opsdeck/audit)
  --runbooks DIR              more runbook directories (repeat)

Exit codes: 0 ok, 1 failed / problems found, 2 usage, 3 aborted, 4 interrupted, 5 rolled back,
6 rollback failed, 7 journal verification failed, 8 host check failed, 70 internal error.`;

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  interactive: boolean;
  style: Style;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate':
        return await validateCommand(rest, io);
      case 'run':
        return await runCommand(rest, io, false);
      case 'resume':
        return await runCommand(rest, io, true);
      case 'hosts':
        return await hostsCommand(rest, io);
      case 'audit':
        return await auditCommand(rest, io);
      case 'list':
        return await listCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(`${USAGE}\n`);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        io.err(`Unknown command "${command}".\n\n${USAGE}\n`);
        return EXIT.usage;
    }
  } catch (error) {
    return reportError(error, io);
  }
}

function defaultIo(): Io {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    interactive,
    style: makeStyle(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR),
  };
}

function reportError(error: unknown, io: Io): number {
  if (error instanceof ValidationError) {
    for (const problem of error.problems) io.err(`${formatProblem(problem)}\n`);
    io.err(`${error.userMessage}\n`);
    return EXIT.usage;
  }
  if (error instanceof ParamError || error instanceof UsageError) {
    io.err(`${error.userMessage}\n`);
    return EXIT.usage;
  }
  if (isOpsError(error)) {
    io.err(`${io.style.red('error:')} ${error.userMessage}\n`);
    return codeOf(error).startsWith('ssh') || codeOf(error).startsWith('host-key') ? EXIT.hostCheckFailed : EXIT.usage;
  }
  io.err(`${io.style.red('internal error:')} ${userMessageOf(error)}\n${error instanceof Error ? error.stack : ''}\n`);
  return EXIT.internal;
}

class UsageError extends OpsError {
  constructor(message: string) {
    super('usage', `${message}\nRun "opsdeck help" for the usage.`);
  }
}

function parse<Options extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: Options) {
  try {
    return parseArgs({ args, options, allowPositionals: true as const, strict: true as const });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

// ---- validate and list -------------------------------------------------------------------------

async function validateCommand(args: string[], io: Io): Promise<number> {
  const { positionals } = parse(args, {});
  if (positionals.length === 0) throw new UsageError('validate needs at least one file or directory.');
  const library = await RunbookLibrary.load(positionals);
  const problems = library.problems;
  for (const problem of problems) io.out(`${formatProblem(problem)}\n`);
  const errors = problems.filter((problem) => problem.severity === 'error').length;
  const count = library.list().length;
  io.out(
    errors === 0
      ? io.style.green(`${count} runbook${count === 1 ? '' : 's'} valid.\n`)
      : io.style.red(`${errors} problem${errors === 1 ? '' : 's'} found.\n`),
  );
  return errors === 0 ? EXIT.ok : EXIT.failed;
}

async function listCommand(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, { runbooks: { type: 'string', multiple: true } });
  const library = await RunbookLibrary.load(runbookDirs(values.runbooks as string[] | undefined));
  for (const runbook of library.list()) {
    io.out(`${runbook.id.padEnd(36)} ${runbook.version.padEnd(8)} ${runbook.title}\n`);
  }
  return EXIT.ok;
}

function runbookDirs(extra: string[] = []): string[] {
  const user = path.join(process.env.OPSDECK_HOME ?? path.join(os.homedir(), '.opsdeck'), 'runbooks');
  return [BUNDLED_RUNBOOKS_DIR, ...(existsSync(user) ? [user] : []), ...extra];
}

/** A runbook by file path or by id, with the library its includes resolve in. */
async function resolveRunbook(reference: string, extraDirs: string[] = []): Promise<{ runbook: Runbook; library: RunbookLibrary }> {
  const isFile = existsSync(reference) && statSync(reference).isFile();
  const dirs = runbookDirs(extraDirs);
  if (isFile) dirs.push(path.dirname(path.resolve(reference)));
  const library = await RunbookLibrary.load(isFile ? [...dirs, path.resolve(reference)] : dirs);
  const problems = library.problems;
  const runbook = isFile ? library.getByFile(path.resolve(reference)) : library.get(reference);
  const ownProblems = problems.filter((problem) => problem.severity === 'error' && (!runbook || problem.file === runbook.file));
  if (isFile && !runbook) {
    const fileProblems = problems.filter((problem) => problem.file === path.resolve(reference));
    throw new ValidationError(fileProblems.length ? fileProblems : problems, `Runbook ${reference}`);
  }
  if (!runbook) {
    const ids = library.list().map((candidate) => candidate.id).join(', ');
    throw new UsageError(`No runbook "${reference}": not a file, and not the id of a runbook in the library (${ids}).`);
  }
  if (ownProblems.length > 0) throw new ValidationError(ownProblems, `Runbook ${runbook.file}`);
  return { runbook, library };
}

// ---- run and resume ----------------------------------------------------------------------------

const RUN_OPTIONS = {
  env: { type: 'string' },
  param: { type: 'string', short: 'p', multiple: true },
  operator: { type: 'string' },
  'on-failure': { type: 'string' },
  confirm: { type: 'string', multiple: true },
  'yes-destructive': { type: 'boolean' },
  decide: { type: 'string', multiple: true },
  manual: { type: 'string', multiple: true },
  'accept-new-host-keys': { type: 'boolean' },
  'retry-interrupted': { type: 'boolean' },
  'audit-dir': { type: 'string' },
  runbooks: { type: 'string', multiple: true },
} as const;

function keyValues(list: string[] | undefined, flag: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of list ?? []) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`${flag} takes NAME=VALUE, got "${item}".`);
    map.set(item.slice(0, at), item.slice(at + 1));
  }
  return map;
}

async function runCommand(args: string[], io: Io, resuming: boolean): Promise<number> {
  const { values, positionals } = parse(args, RUN_OPTIONS);
  if (positionals.length !== 1) throw new UsageError(resuming ? 'resume needs one run id.' : 'run needs one runbook (a file or an id).');
  if (!values.env) throw new UsageError('--env <environment file> is required.');
  const onFailure = (values['on-failure'] ?? (io.interactive ? 'ask' : 'stop')) as FailurePolicy;
  if (!['ask', 'stop', 'rollback'].includes(onFailure)) throw new UsageError('--on-failure takes ask, stop or rollback.');
  if (onFailure === 'ask' && !io.interactive) throw new UsageError('--on-failure ask needs a terminal; use stop or rollback.');
  const auditDir = values['audit-dir'] ? path.resolve(values['audit-dir']) : defaultAuditDir();
  const operator = values.operator ?? os.userInfo().username;
  const environment = await loadEnvironment(values.env);
  const presets: PresetAnswers = {
    confirm: keyValues(values.confirm, '--confirm'),
    yesDestructive: values['yes-destructive'] ?? false,
    decide: keyValues(values.decide, '--decide'),
    manual: new Map(
      [...keyValues(values.manual, '--manual')].map(([step, answer]) => {
        const [outcome, ...note] = answer.split(':');
        if (outcome !== 'done' && outcome !== 'failed') throw new UsageError(`--manual ${step}= takes done or failed, got "${outcome}".`);
        return [step, { outcome, note: note.join(':') || undefined }] as const;
      }),
    ),
  };

  let runbookRef = positionals[0];
  let resume: Parameters<typeof createRunSession>[0]['resume'];
  let recordedSha256: string | undefined;
  if (resuming) {
    const state = reopenRun(auditDir, runbookRef, operator);
    resume = resumeStateFor(state, values['retry-interrupted'] ?? false, io);
    recordedSha256 = state.runbook.sha256;
    runbookRef = state.runbook.file;
  }
  const { runbook, library } = await resolveRunbook(runbookRef, values.runbooks as string[] | undefined);
  if (resume && runbook.sha256 !== recordedSha256) {
    throw new OpsError('runbook-changed', `The runbook ${runbook.file} changed since run ${resume.runId} started (sha256 differs); resuming it would run different steps than were recorded. Start a new run instead.`);
  }
  const params = resume?.params ?? resolveParams(runbook, Object.fromEntries(keyValues(values.param, '--param')), environment);

  const connectors = connectorsFor(environment);
  const { ssh, sql } = connectors;
  try {
    // Hosts are checked before the journal exists: a run refused here leaves nothing behind.
    const preflight = await checkHosts(ssh, environment, plannedHosts(runbook, params, environment, library), values['accept-new-host-keys'] ?? false, io);
    if (preflight !== EXIT.ok) {
      io.err(`Nothing was run: fix the host problems above first.\n`);
      return preflight;
    }
    const session = createRunSession({ runbook, library, environment, params, ssh, sql, operator, auditDir, onFailure, resume });
    const printer = new RunPrinter(io.out, io.style);
    const answerer = new PromptAnswerer(session.runner, presets, io.interactive, io.style, io.out);
    session.runner.onEvent((event) => {
      printer.handle(event);
      if (event.type === 'step.awaiting') answerer.handle(event);
    });
    const onSignal = () => session.runner.abort('interrupted from the terminal (Ctrl-C)', { rollback: false });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const status = await session.start();
      io.out(io.style.dim(`Journal: ${session.runDirectory}\nRead it with: opsdeck audit show ${session.runId}\n`));
      return exitCodeForRun(status);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      answerer.close();
    }
  } finally {
    await connectors.close();
  }
}

/** What the runner needs to go on from a reopened run; interrupted steps run again only when asked. */
function resumeStateFor(
  state: ReturnType<typeof reopenRun>,
  retryInterrupted: boolean,
  io: Io,
): NonNullable<Parameters<typeof createRunSession>[0]['resume']> {
  const statuses: Record<string, import('./core/audit/events').StepStatus> = {};
  for (const step of state.steps) statuses[step.key] = step.status;
  const interrupted = state.steps.filter((step) => step.status === 'interrupted').map((step) => step.key);
  if (interrupted.length > 0) {
    io.out(io.style.yellow(`Interrupted when the run stopped: ${interrupted.join(', ')} (their outcome on the host is unknown).\n`));
    if (!retryInterrupted) {
      throw new OpsError('interrupted-needs-decision', `Check on the host what happened to ${interrupted.join(', ')}; then resume with --retry-interrupted to run it again, or start a new run.`);
    }
  }
  for (const key of interrupted) delete statuses[key];
  return {
    runId: state.runId,
    params: state.params as Record<string, import('./core/runbook/model').ParamValue>,
    statuses,
    captures: state.captures,
    completedOrder: state.completedOrder,
  };
}

/** Connects to every host the run will touch, before anything runs; asks about unknown host keys. */
async function checkHosts(ssh: SshPool, environment: Environment, hostNames: string[], acceptNew: boolean, io: Io): Promise<number> {
  let result: number = EXIT.ok;
  for (const name of hostNames) {
    const host = environment.hosts.find((candidate) => candidate.name === name);
    if (!host) continue;
    try {
      await ssh.check(host);
    } catch (error) {
      if (error instanceof HostKeyUnknownError) {
        const key = error.presented;
        io.out(io.style.yellow(`${error.userMessage}\n`));
        let accept = acceptNew;
        if (!accept && io.interactive) {
          const readline = await import('node:readline/promises');
          const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
          const answer = await rl.question(`Trust ${key.host} (${key.keyType} ${key.fingerprint})? Type "yes" to add it to ${environment.knownHostsFile}: `);
          rl.close();
          accept = answer.trim() === 'yes';
        }
        if (accept) {
          await ssh.acceptHostKey(key);
          io.out(`Added ${key.host} ${key.keyType} ${key.fingerprint} to ${environment.knownHostsFile}.\n`);
          try {
            await ssh.check(host);
            continue;
          } catch (again) {
            error = again;
          }
        } else {
          result = EXIT.hostCheckFailed;
          continue;
        }
      }
      io.err(`${io.style.red('host check failed:')} ${userMessageOf(error)}\n`);
      result = EXIT.hostCheckFailed;
    }
  }
  return result;
}

// ---- hosts -------------------------------------------------------------------------------------

async function hostsCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'check') throw new UsageError('hosts takes: check --env <file>.');
  const { values } = parse(rest, { env: { type: 'string' }, 'accept-new-host-keys': { type: 'boolean' } });
  if (!values.env) throw new UsageError('--env <environment file> is required.');
  const environment = await loadEnvironment(values.env);
  const connectors = connectorsFor(environment);
  const ssh = connectors.ssh;
  try {
    const code = await checkHosts(ssh, environment, environment.hosts.map((host) => host.name), values['accept-new-host-keys'] ?? false, io);
    if (code === EXIT.ok) io.out(io.style.green(`All ${environment.hosts.length} hosts of ${environment.name} answer, authenticate and have known host keys.\n`));
    return code;
  } finally {
    await connectors.close();
  }
}

// ---- audit -------------------------------------------------------------------------------------

async function auditCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, {
    'audit-dir': { type: 'string' },
    format: { type: 'string' },
    output: { type: 'string', short: 'o' },
    runbook: { type: 'string' },
    status: { type: 'string' },
    env: { type: 'string' },
  });
  const store = new AuditStore(values['audit-dir'] ? path.resolve(values['audit-dir']) : defaultAuditDir());
  switch (sub) {
    case 'list': {
      const runs = store.list().filter(
        (run) =>
          (!values.runbook || run.runbookId === values.runbook) &&
          (!values.status || run.status === values.status) &&
          (!values.env || run.environment === values.env),
      );
      if (runs.length === 0) io.out('No runs recorded.\n');
      for (const run of runs) {
        io.out(`${run.runId}  ${run.status.padEnd(15)} ${run.runbookId.padEnd(30)} ${run.environment}${run.lab ? ' [LAB]' : ''}  ${run.operator}  ${run.startedAt}\n`);
      }
      return EXIT.ok;
    }
    case 'show': {
      const runId = store.resolve(oneRun(positionals));
      const verification = verifyJournal(store.journalFile(runId));
      io.out(exportRun(store.records(runId), 'md', { verification }));
      return EXIT.ok;
    }
    case 'verify': {
      const runIds = positionals.length > 0 ? positionals.map((id) => store.resolve(id)) : store.list().map((run) => run.runId);
      let bad = 0;
      for (const runId of runIds) {
        const result = verifyJournal(store.journalFile(runId));
        if (result.ok) {
          io.out(`${io.style.green('verified')} ${runId}: ${result.records} events, hash chain intact${result.finished ? '' : ' (run not finished)'}\n`);
        } else {
          bad += 1;
          io.out(`${io.style.red('TAMPERED')} ${runId}:\n`);
          for (const problem of result.problems) io.out(`  line ${problem.line}: ${problem.message}\n`);
        }
      }
      if (runIds.length === 0) io.out('No runs recorded.\n');
      return bad === 0 ? EXIT.ok : EXIT.verifyFailed;
    }
    case 'export': {
      const runId = store.resolve(oneRun(positionals));
      const format = values.format ?? 'md';
      if (format !== 'md' && format !== 'json') throw new UsageError('--format takes md or json.');
      const verification = verifyJournal(store.journalFile(runId));
      const text = exportRun(store.records(runId), format, { verification });
      if (values.output) {
        const { writeFile } = await import('node:fs/promises');
        await writeFile(values.output, text);
        io.out(`Wrote ${values.output}\n`);
      } else {
        io.out(text);
      }
      return EXIT.ok;
    }
    default:
      throw new UsageError('audit takes: list, show <run>, verify [<run>], export <run> --format md|json.');
  }
}

function oneRun(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError('Name one run id (or a unique prefix of one).');
  return positionals[0];
}

// Run when executed directly (bin/opsdeck.mjs imports this file and calls main itself).
if (process.argv[1] && /cli\.[cm]?[jt]s$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
