/**
 * `opsdeck`: the headless console. Validates runbooks, runs them against an environment with live
 * output and prompts, and reads, verifies and exports the audit trail. A thin adapter: it parses
 * arguments, prints, and calls the engine in electron/core.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { compareRuns, planOfSteps, RUN_OBJECTIVE } from './core/audit/drill';
import { defaultAuditDir, newRunId } from './core/audit/files';
import { AuditStore } from './core/audit/store';
import { exportRun, renderComparison } from './core/audit/export';
import { stateChangesOfRecords } from './core/audit/state-compare';
import { verifyJournal } from './core/audit/verify';
import { replayRun, reopenRun } from './core/audit/replay';
import { HostLockedError } from './core/leases/run-leases';
import { syncRun } from './core/team/replicator';
import { teamAuditFor, type TeamAudit } from './core/team/audit';
import { teamGrants } from './core/team/database';
import { parseDuration } from './core/runbook/parse';
import { OpsError, ValidationError, codeOf, formatProblem, isOpsError, userMessageOf } from './core/errors';
import { BUNDLED_RUNBOOKS_DIR, loadEnvironment } from './core/inventory/environment';
import type { DatabaseSpec, Environment } from './core/inventory/model';
import { RunbookLibrary } from './core/runbook/library';
import type { ParamValue, Runbook } from './core/runbook/model';
import type { JournalRecord, StepStatus } from './core/audit/events';
import { ParamError, resolveParams } from './core/run/params';
import { lostCaptures, paramsToGiveAgain, rerunStep, resumeParams } from './core/run/resume';
import { describeCommandFate } from './core/run/runner';
import type { FailurePolicy } from './core/run/runner';
import { createRunSession } from './core/run/session';
import { checkTeamCopy, transcriptLinks } from './core/usecases/inspect';
import {
  connectorsFor,
  leaseBackendFor,
  drillFor,
  launchRun,
  prepareLaunch,
  resolveRunbook as resolveRunbookIn,
  type HostProblem,
  type LaunchedRun,
  type SessionNotice,
} from './core/usecases/launch';
import { HostKeyUnknownError, hostKeyErrorOf } from './core/ssh/errors';
import { SshPool } from './core/ssh/pool';
import { EXIT, exitCodeForRun } from './cli/exit-codes';
import { forTerminal, RunPrinter, makeStyle, type Style } from './cli/printer';
import { PromptAnswerer, type PresetAnswers } from './cli/prompts';
import { DrillPrinter } from './cli/drill-printer';
import { ENV_IMPORT_USAGE, envCommand } from './cli/env-import';
import { renderPlan } from './cli/plan-printer';
import { buildPlan } from './app/plan';
import { APPROVE_USAGE, approveCommand, approvalsCommand } from './cli/approve';

const USAGE = `opsdeck — run OpenStack maintenance and disaster-recovery runbooks over SSH, with an audit trail

Usage:
  opsdeck validate <file|dir>...                 check runbooks; problems as file:line:column
  opsdeck run <runbook> --env <file> [options]   run a runbook (a file, or a bundled runbook's id)
  opsdeck plan <runbook> --env <file> [-p NAME=VALUE...] [--format text|json]
                                                 the plan the console previews: every step, its hosts
                                                 and each command as it will be sent; connects to nothing
  opsdeck resume <run-id> --env <file> [options] reopen a run that was interrupted, and go on
  opsdeck hosts check --env <file> [--accept-new-host-keys]
${ENV_IMPORT_USAGE}
  opsdeck audit list [--runbook ID] [--status S] [--env NAME]
  opsdeck audit list --team --env <file>         the runs the team database knows
  opsdeck audit show <run-id>
  opsdeck audit verify [<run-id>] [--env <file>] [--team]
                                                 all runs when no id is given; with a team database
                                                 in the environment, its copy is checked too
  opsdeck audit export <run-id> --format md|html|json [--output FILE]
  opsdeck audit compare <run-a> <run-b> [--format md|json]
                                                 two runs (drills) side by side: durations, deltas
  opsdeck audit sync --env <file>                send the team database what it lacks of local runs
  opsdeck locks list [--env <file>]              host leases held now (team database, or local)
  opsdeck locks break <host> --reason TEXT [--env <file>]
                                                 end another run's lease on a host (recorded)
  opsdeck team migrate --env <file> [--admin-user NAME [--admin-password-file FILE] | --admin-db NAME]
                                                 create/upgrade the team audit schema
                                                 (--admin-user: password from \$OPSDECK_AUDIT_ADMIN_PASSWORD or the file)
  opsdeck team grants --env <file> [--admin-user NAME]
                                                 the GRANTs the team database needs
  opsdeck list                                   the runbooks in the library
${APPROVE_USAGE}

Run options:
  --param, -p NAME=VALUE      a runbook parameter (repeat)
  --param-env NAME=VARIABLE   parameter NAME from the environment variable VARIABLE (repeat)
  --param-file NAME=PATH      parameter NAME from a file, without its last newline (repeat)
                              these two keep secrets off the command line, where ps shows them;
                              resume needs every secret parameter again (the journal keeps them
                              masked): on a terminal it asks, else give them with these flags
  --operator NAME             who runs it (default: the login name)
  --on-failure ask|stop|rollback
                              what to do when a step fails (default: ask on a terminal, stop otherwise)
  --confirm STEP=TEXT         type TEXT at destructive step STEP's confirmation (runs without a terminal)
  --yes-destructive           confirm every destructive step (recorded as such in the journal)
  --decide STEP=CHOICE        answer decision STEP
  --manual STEP=done[:NOTE]   mark manual step STEP done (or failed)
  --break-glass STEP=REASON   two-person approval: go on at STEP without a second operator (loud in
                              the report); from another terminal: opsdeck approve --break-glass
  --snapshot-at STEP          take a state snapshot at STEP too (environment with snapshots: true):
                              while it waits for the operator, before its answer; else as it starts
  --accept-new-host-keys      trust hosts whose key is not yet in known_hosts (never a changed key)
  --retry-interrupted         on resume, run the interrupted step again (default: ask, or stop)
  --rerun STEP                on resume, run STEP again although it succeeded, e.g. to capture
                              anew a value the journal kept masked (repeat)
  --audit-dir DIR             where journals are kept (default: $OPSDECK_HOME/audit or ~/.opsdeck/audit)
  --runbooks DIR              more runbook directories (repeat)
  --drill                     this run is a drill: time it against objectives
  --rto DURATION              objective for the whole run (implies --drill), e.g. 30m
  --phase-rto KEY=DURATION    objective for a phase or step, counted from the start (repeat)
  --local-locks               the team database is down: lease hosts on this machine only (recorded)

Exit codes: 0 ok, 1 failed / problems found, 2 usage, 3 aborted, 4 interrupted, 5 rolled back,
6 rollback failed, 7 journal verification failed, 8 host check failed, 9 a host is leased by
another run, 10 team audit database unavailable, 70 internal error.`;

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
      case 'plan':
        return await planCommand(rest, io);
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
      case 'locks':
        return await locksCommand(rest, io);
      case 'team':
        return await teamCommand(rest, io);
      case 'approve':
        return await approveCommand(rest, io);
      case 'approvals':
        return await approvalsCommand(rest, io);
      case 'env':
        return await envCommand(rest, io);
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
    out: (text) => writeUnlessClosed(process.stdout, text),
    err: (text) => writeUnlessClosed(process.stderr, text),
    interactive,
    style: makeStyle(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR),
  };
}

/**
 * A reader that stops early (`opsdeck run … | head`) closes the pipe: the command goes on to its end
 * (a run to its last finally step) and exits with its own code; what it would still print is dropped.
 * Ending the process at the first EPIPE would leave remote commands running and report success.
 */
function writeUnlessClosed(stream: NodeJS.WriteStream, text: string): void {
  if (!guardedStreams.has(stream)) {
    guardedStreams.add(stream);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  if (stream.destroyed || !stream.writable) return;
  stream.write(text);
}
/** Streams that have an EPIPE listener from {@link writeUnlessClosed}. */
const guardedStreams = new WeakSet<NodeJS.WriteStream>();

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
  if (error instanceof HostLockedError) {
    io.err(`${io.style.red('host locked:')} ${error.userMessage}\n`);
    return EXIT.hostLocked;
  }
  if (isOpsError(error)) {
    io.err(`${io.style.red('error:')} ${error.userMessage}\n`);
    const code = codeOf(error);
    if (code.startsWith('team-') || code === 'lease-backend') return EXIT.teamUnavailable;
    return code.startsWith('ssh') || code.startsWith('host-key') ? EXIT.hostCheckFailed : EXIT.usage;
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
  // Includes resolve as for a run: beside the file, then among the bundled and the user's runbooks.
  const { runbooks, problems } = await RunbookLibrary.loadForValidation(positionals, runbookDirs());
  for (const problem of problems) io.out(`${formatProblem(problem)}\n`);
  const errors = problems.filter((problem) => problem.severity === 'error').length;
  const count = runbooks.length;
  io.out(errors === 0 ? io.style.green(`${count} runbook${count === 1 ? '' : 's'} valid.\n`) : io.style.red(`${errors} problem${errors === 1 ? '' : 's'} found.\n`));
  return errors === 0 ? EXIT.ok : EXIT.failed;
}

async function listCommand(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, { runbooks: { type: 'string', multiple: true } });
  const library = await RunbookLibrary.load(runbookDirs(values.runbooks));
  for (const runbook of library.list()) {
    io.out(`${runbook.id.padEnd(36)} ${runbook.version.padEnd(8)} ${runbook.title}\n`);
  }
  return EXIT.ok;
}

function runbookDirs(extra: string[] = []): string[] {
  const user = path.join(process.env.OPSDECK_HOME ?? path.join(os.homedir(), '.opsdeck'), 'runbooks');
  return [BUNDLED_RUNBOOKS_DIR, ...(existsSync(user) ? [user] : []), ...extra];
}

/** A runbook by file path or by id, with the library its includes resolve in; refused unless runnable. */
function resolveRunbook(reference: string, extraDirs: string[] = []) {
  return resolveRunbookIn(reference, runbookDirs(extraDirs), { allowFile: true });
}

// ---- plan -------------------------------------------------------------------------------------

/**
 * The plan of a run, without connecting to anything: the same module the console's preview uses
 * (electron/app/plan.ts), from the same launch preparation a run goes through.
 */
async function planCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    env: { type: 'string' },
    param: { type: 'string', short: 'p', multiple: true },
    'param-env': { type: 'string', multiple: true },
    'param-file': { type: 'string', multiple: true },
    operator: { type: 'string' },
    runbooks: { type: 'string', multiple: true },
    format: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('plan needs one runbook (a file or an id).');
  if (!values.env) throw new UsageError('--env <environment file> is required.');
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError('--format takes text or json.');
  const environment = await loadEnvironment(values.env);
  const prepared = await prepareLaunch(positionals[0], runbookDirs(values.runbooks), environment, givenParams(values).values, { allowFile: true });
  const plan = buildPlan({ ...prepared, environmentId: path.resolve(values.env), operator: values.operator ?? os.userInfo().username });
  // Commands quote the runbook and the environment: shown on a terminal, never obeyed by it.
  io.out(format === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : forTerminal(renderPlan(plan, io.style)));
  return EXIT.ok;
}

// ---- run and resume ----------------------------------------------------------------------------

const RUN_OPTIONS = {
  env: { type: 'string' },
  param: { type: 'string', short: 'p', multiple: true },
  'param-env': { type: 'string', multiple: true },
  'param-file': { type: 'string', multiple: true },
  rerun: { type: 'string', multiple: true },
  operator: { type: 'string' },
  'on-failure': { type: 'string' },
  confirm: { type: 'string', multiple: true },
  'yes-destructive': { type: 'boolean' },
  decide: { type: 'string', multiple: true },
  'snapshot-at': { type: 'string', multiple: true },
  manual: { type: 'string', multiple: true },
  'break-glass': { type: 'string', multiple: true },
  'accept-new-host-keys': { type: 'boolean' },
  'retry-interrupted': { type: 'boolean' },
  'audit-dir': { type: 'string' },
  runbooks: { type: 'string', multiple: true },
  drill: { type: 'boolean' },
  rto: { type: 'string' },
  'phase-rto': { type: 'string', multiple: true },
  'local-locks': { type: 'boolean' },
} as const;

/** `--rto 30m --phase-rto p10=5m` as objectives in ms; undefined when the run is not a drill. */
function drillObjectives(values: { drill?: boolean; rto?: string; 'phase-rto'?: string[] }): Record<string, number> | undefined {
  if (!values.drill && values.rto === undefined && !values['phase-rto']?.length) return undefined;
  const objectives: Record<string, number> = {};
  const duration = (text: string, flag: string) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0) throw new UsageError(`${flag} takes a duration like 30m, 90s or 1h30m, got "${text}".`);
    return ms;
  };
  if (values.rto !== undefined) objectives[RUN_OBJECTIVE] = duration(values.rto, '--rto');
  for (const [key, text] of keyValues(values['phase-rto'], '--phase-rto')) {
    if (key === RUN_OBJECTIVE) throw new UsageError('--phase-rto run=... is the whole run: use --rto.');
    objectives[key] = duration(text, `--phase-rto ${key}=`);
  }
  return objectives;
}

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
    breakGlass: keyValues(values['break-glass'], '--break-glass'),
  };

  let runbookRef = positionals[0];
  let resume: Parameters<typeof createRunSession>[0]['resume'];
  let recordedSha256: string | undefined;
  let recordedDrill: { objectives: Record<string, number> } | undefined;
  let recordedStart: number | undefined;
  let interrupted: InterruptedCommands = [];
  let reopened: ReturnType<typeof reopenRun> | undefined;
  const given = givenParams(values);
  if (!resuming && values.rerun?.length) throw new UsageError('--rerun applies to resume: it runs a step of a reopened run again.');
  if (resuming) {
    const state = (reopened = reopenRun(auditDir, runbookRef, operator));
    ({ resume, interrupted } = resumeStateFor(state, new AuditStore(auditDir).records(state.runId), io));
    recordedSha256 = state.runbook.sha256;
    recordedDrill = state.drill;
    recordedStart = Date.parse(state.startedAt);
    runbookRef = state.runbook.file;
  }
  const { runbook, library } = await resolveRunbook(runbookRef, values.runbooks);
  if (resume && runbook.sha256 !== recordedSha256) {
    throw new OpsError(
      'runbook-changed',
      `The runbook ${runbook.file} changed since run ${resume.runId} started (sha256 differs); resuming it would run different steps than were recorded. Start a new run instead.`,
    );
  }
  const onCommandLine = runbook.params.filter((spec) => spec.secret && given.sources[spec.name] === '--param').map((spec) => spec.name);
  if (onCommandLine.length > 0) {
    io.err(
      io.style.yellow(
        `warning: the secret ${onCommandLine.join(', ')} was given with -p, on the command line: other users of this machine can read it there (ps) and the shell history keeps it. --param-env NAME=VARIABLE or --param-file NAME=PATH keep it off the command line.\n`,
      ),
    );
  }
  let params: Record<string, ParamValue>;
  if (resume && reopened) {
    for (const key of values.rerun ?? []) rerunStep(resume, key);
    // Before asking for any secret: a run that cannot go on should not make anyone type one.
    const lost = lostCaptures(runbook, reopened, resume.statuses);
    if (lost.length > 0) {
      throw new OpsError(
        'resume-capture-masked',
        lost
          .map(
            (entry) =>
              `Run ${resume.runId} cannot go on: the capture "${entry.capture}" of step ${entry.step} held a secret, so the journal keeps it masked and its value is lost; ${entry.neededBy.join(', ')} still read${entry.neededBy.length === 1 ? 's' : ''} it. ` +
              `Resume with --rerun ${entry.step} to run ${entry.step} again and capture it anew (make sure running it twice is safe), or start a new run.`,
          )
          .join('\n'),
      );
    }
    params = await resumedParams(runbook, reopened, given, environment, values.env, io);
    resume.params = params;
    const again = paramsToGiveAgain(runbook, reopened.params);
    resume.notes = [
      ...(again.length
        ? [`Resumed by ${operator}; the secret parameters were given again (their values are not recorded): ${again.map((name) => `${name} (${given.sources[name]})`).join(', ')}.`]
        : []),
      ...(values.rerun?.length ? [`Resumed by ${operator} with --rerun: ${values.rerun.join(', ')} run${values.rerun.length === 1 ? 's' : ''} again although done.`] : []),
    ];
  } else {
    params = resolveParams(runbook, given.values, environment);
  }
  const runId = resume?.runId ?? newRunId();
  let drill = resume ? recordedDrill : undefined;
  if (!resume) {
    const objectives = drillObjectives(values);
    if (objectives) drill = drillFor(runbook, objectives);
  } else if (drillObjectives(values)) {
    throw new UsageError('A resumed run keeps the drill objectives it started with; --drill, --rto and --phase-rto apply to new runs.');
  }

  const snapshotAt = new Set(values['snapshot-at'] ?? []);
  if (snapshotAt.size > 0) {
    if (environment.snapshots !== true) throw new UsageError(`--snapshot-at needs an environment that takes state snapshots: add "snapshots: true" to ${values.env}.`);
    const keys = new Set(planOfSteps(runbook.steps).map((entry) => entry.key));
    const unknown = [...snapshotAt].filter((key) => !keys.has(key));
    if (unknown.length > 0) throw new UsageError(`--snapshot-at: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a step' : 'are not steps'} of ${runbook.id}.`);
  }

  const connectors = connectorsFor(environment);
  try {
    if (interrupted.length > 0) {
      await reportInterrupted(interrupted, connectors.ssh, environment, io);
      if (!values['retry-interrupted']) {
        const keys = interrupted.map((step) => step.key).join(', ');
        throw new OpsError('interrupted-needs-decision', `Check on the host what happened to ${keys}; then resume with --retry-interrupted to run it again, or start a new run.`);
      }
    }
    let launched: LaunchedRun;
    try {
      launched = await launchRun({
        runbook,
        library,
        environment,
        params,
        operator,
        auditDir,
        onFailure,
        connectors,
        localLocks: values['local-locks'] ?? false,
        localLocksHint: 'Run with --local-locks',
        preflight: (hosts) => checkHosts(connectors.ssh, environment, hosts, values['accept-new-host-keys'] ?? false, io),
        runId,
        resume,
        drill,
        environmentFile: values.env,
      });
    } catch (error) {
      if (isOpsError(error) && error.code === 'hosts-not-ready') {
        io.err(`Nothing was run: fix the host problems above first.\n`);
        return EXIT.hostCheckFailed;
      }
      throw error;
    }
    const { session } = launched;
    const printNotice = (notice: SessionNotice) => {
      const colour = notice.level === 'error' ? io.style.red : notice.level === 'warning' ? io.style.yellow : io.style.dim;
      io.out(colour(`    ${notice.source === 'team' ? 'team audit' : 'lease'}: ${notice.message}\n`));
    };
    for (const notice of launched.notices) {
      if (notice.level === 'warning') io.err(io.style.yellow(`warning: ${notice.message}\n`));
    }
    const printer = new RunPrinter(io.out, io.style);
    const answerer = new PromptAnswerer(session.runner, presets, io.interactive, io.style, io.out);
    const drillPrinter = drill ? new DrillPrinter(drill.objectives, recordedStart ?? Date.now(), planOfSteps(runbook.steps), io.out, io.style) : undefined;
    // --snapshot-at: a step that waits for the operator is answered once its snapshot is journaled,
    // so the snapshot shows the cloud as the step found it; any other one is snapshotted beside it.
    const snapshotted = new Set<string>();
    const planKinds = new Map(planOfSteps(runbook.steps).map((entry) => [entry.key, entry.kind]));
    const askingKinds = new Set(['manual', 'decision']);
    const takeAt = (step: string) => {
      snapshotted.add(step);
      io.out(io.style.dim(`    state snapshot at ${step}…\n`));
      return session.snapshot(`at ${step}`, step).catch(() => false);
    };
    session.runner.onEvent((event) => {
      printer.handle(event);
      drillPrinter?.handle(event);
      if (event.type === 'step.awaiting') {
        if (snapshotAt.has(event.step) && !snapshotted.has(event.step)) void takeAt(event.step).then(() => answerer.handle(event));
        else answerer.handle(event);
      }
      if (event.type === 'step.started' && snapshotAt.has(event.step) && !snapshotted.has(event.step) && !askingKinds.has(planKinds.get(event.step) ?? '')) void takeAt(event.step);
    });
    const stopNotices = launched.onNotice(printNotice);
    const onSignal = () => session.runner.abort('interrupted from the terminal (Ctrl-C)', { rollback: false });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const status = await launched.start();
      io.out(io.style.dim(`Journal: ${session.runDirectory}\nRead it with: opsdeck audit show ${session.runId}\n`));
      if (status === 'interrupted' || status === 'failed') {
        const retry = status === 'interrupted' ? ' --retry-interrupted' : '';
        io.out(
          io.style.yellow(
            `To go on from the ${status === 'interrupted' ? 'interrupted' : 'failed'} step once it is dealt with: opsdeck resume ${session.runId} --env ${values.env}${retry}` +
              `${status === 'interrupted' ? ' (resume first says whether the interrupted command still runs on its host)' : ''}\n`,
          ),
        );
      }
      const shortfall = launched.shortfall();
      if (shortfall) io.err(io.style.yellow(`${shortfall.message}\n`));
      return exitCodeForRun(status);
    } finally {
      stopNotices();
      drillPrinter?.dispose();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      answerer.close();
    }
  } finally {
    await connectors.close();
  }
}

/** Given parameter values, and where each came from (`--param`, `--param-env VAR`, ...; never the value). */
interface GivenParams {
  values: Record<string, string>;
  sources: Record<string, string>;
}

/**
 * The parameters given on the command line: `-p NAME=VALUE`, `--param-env NAME=VARIABLE` (the
 * variable's value) and `--param-file NAME=PATH` (the file's text without its last newline, like an
 * environment's `{ file: }` secrets). The last two keep a secret out of the command line.
 */
function givenParams(values: { param?: string[]; 'param-env'?: string[]; 'param-file'?: string[] }): GivenParams {
  const given: GivenParams = { values: {}, sources: {} };
  const add = (name: string, value: string, source: string) => {
    if (Object.hasOwn(given.values, name)) throw new UsageError(`The parameter ${name} is given twice (${given.sources[name]} and ${source}); give it once.`);
    given.values[name] = value;
    given.sources[name] = source;
  };
  for (const [name, value] of keyValues(values.param, '--param')) add(name, value, '--param');
  for (const [name, variable] of keyValues(values['param-env'], '--param-env')) {
    const value = process.env[variable];
    if (value === undefined) throw new UsageError(`--param-env ${name}=${variable}: the environment variable ${variable} is not set.`);
    add(name, value, `--param-env ${variable}`);
  }
  for (const [name, file] of keyValues(values['param-file'], '--param-file')) {
    let value: string;
    try {
      value = readFileSync(path.resolve(file), 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new UsageError(`--param-file ${name}=${file}: the file cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
    }
    add(name, value, `--param-file ${file}`);
  }
  return given;
}

/**
 * The parameters of a reopened run: the recorded ones, and the secrets given again, asked for on a
 * terminal (without echo) when not given; without a terminal, a missing one refuses the resume.
 */
async function resumedParams(
  runbook: Runbook,
  state: ReturnType<typeof reopenRun>,
  given: GivenParams,
  environment: Environment,
  envFile: string,
  io: Io,
): Promise<Record<string, ParamValue>> {
  const missing = paramsToGiveAgain(runbook, state.params).filter((name) => !given.values[name]);
  if (missing.length > 0 && !io.interactive) {
    const flags = missing.map((name) => `--param-env ${name}=VARIABLE`).join(' ');
    throw new UsageError(
      `Run ${state.runId} needs ${missing.length === 1 ? 'its secret parameter' : 'its secret parameters'} ${missing.join(', ')} again: the journal keeps ${missing.length === 1 ? 'it' : 'them'} masked, and the remaining steps never run with the mask in place of a secret. ` +
        `Give ${missing.length === 1 ? 'it' : 'them'} with --param-env NAME=VARIABLE or --param-file NAME=PATH (or -p NAME=VALUE), e.g. opsdeck resume ${state.runId} --env ${envFile} ${flags}; on a terminal, resume asks.`,
    );
  }
  for (const name of missing) {
    const value = await askSecret(`Secret parameter ${name} of run ${state.runId} (the journal keeps it masked; typed without echo): `);
    if (!value) throw new UsageError(`No value for ${name}: the run is not resumed without it.`);
    given.values[name] = value;
    given.sources[name] = 'typed at the prompt';
  }
  return resumeParams(runbook, state.params, given.values, environment);
}

/** Reads a line from the terminal without echoing it. */
async function askSecret(question: string): Promise<string> {
  const readline = await import('node:readline/promises');
  const { Writable } = await import('node:stream');
  // Everything readline would echo goes nowhere.
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  // The terminal leaves echo (cooked mode) when the interface is made: ask only then, or what is
  // typed (or pasted) as soon as the question shows is echoed by the terminal itself.
  const rl = readline.createInterface({ input: process.stdin, output: silent, terminal: true });
  process.stdout.write(question);
  try {
    return await new Promise<string>((resolve, reject) => {
      // Without a listener, Ctrl-C in raw mode would only pause the input and the question would never end.
      rl.once('SIGINT', () => reject(new OpsError('cancelled', 'Not resumed: the prompt was interrupted (Ctrl-C); nothing ran.')));
      rl.question('').then(resolve, reject);
    });
  } finally {
    rl.close();
    process.stdout.write('\n');
  }
}

/** What the runner needs to go on from a reopened run; interrupted steps run again only when asked. */
/** Steps a run left interrupted, with the processes their commands had on the hosts (journalled). */
type InterruptedCommands = Array<{ key: string; remote: Array<{ host: string; pid: number }> }>;

function resumeStateFor(
  state: ReturnType<typeof reopenRun>,
  records: JournalRecord[],
  io: Io,
): { resume: NonNullable<Parameters<typeof createRunSession>[0]['resume']>; interrupted: InterruptedCommands } {
  const statuses: Record<string, StepStatus> = {};
  for (const step of state.steps) statuses[step.key] = step.status;
  const keys = state.steps.filter((step) => step.status === 'interrupted').map((step) => step.key);
  if (keys.length > 0) {
    io.out(io.style.yellow(`Interrupted when the run stopped: ${keys.join(', ')} (the connection or OpsDeck itself went away while they ran).\n`));
  }
  for (const key of keys) delete statuses[key];
  const interrupted = keys.map((key) => {
    const latest = new Map<string, number>();
    for (const record of records) if (record.type === 'step.remote' && record.step === key) latest.set(record.host, record.pid);
    return { key, remote: [...latest].map(([host, pid]) => ({ host, pid })) };
  });
  return {
    resume: {
      runId: state.runId,
      params: state.params as Record<string, ParamValue>,
      statuses,
      captures: state.captures,
      completedOrder: state.completedOrder,
    },
    interrupted,
  };
}

/** Asks each host whether the interrupted commands still run there, and says so. */
async function reportInterrupted(interrupted: InterruptedCommands, ssh: SshPool, environment: Environment, io: Io): Promise<void> {
  for (const step of interrupted) {
    if (step.remote.length === 0) {
      io.out(`  ${step.key}: no command of it had started on a host.\n`);
      continue;
    }
    for (const { host: name, pid } of step.remote) {
      const host = environment.hosts.find((candidate) => candidate.name === name);
      const line = host ? await describeCommandFate(ssh, host, pid) : `${name}: not a host of this environment; cannot check process ${pid}.`;
      io.out(`  ${step.key} — ${line}\n`);
    }
  }
}

/** Connects to every host the run will touch, before anything runs; asks about unknown host keys. */
async function checkHosts(ssh: SshPool, environment: Environment, hostNames: string[], acceptNew: boolean, io: Io): Promise<HostProblem[]> {
  const problems: HostProblem[] = [];
  for (const name of hostNames) {
    const host = environment.hosts.find((candidate) => candidate.name === name);
    if (!host) continue;
    try {
      await ssh.check(host);
    } catch (error) {
      const keyError = hostKeyErrorOf(error);
      if (keyError instanceof HostKeyUnknownError) {
        const key = keyError.presented;
        io.out(io.style.yellow(`${keyError.userMessage}${keyError === error ? '' : ` (the jump host on the way to ${name})`}\n`));
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
          io.err(
            io.interactive
              ? `Not trusted: ${key.host} stays unknown.\n`
              : `Not trusted: ${key.host} is unknown and this is not a terminal to ask on. Check the fingerprint, then run again on a terminal, or with --accept-new-host-keys.\n`,
          );
          problems.push({ host: name, message: keyError.userMessage });
          continue;
        }
      }
      io.err(`${io.style.red('host check failed:')} ${userMessageOf(error)}\n`);
      problems.push({ host: name, message: userMessageOf(error) });
    }
  }
  return problems;
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
    const problems = await checkHosts(
      ssh,
      environment,
      environment.hosts.map((host) => host.name),
      values['accept-new-host-keys'] ?? false,
      io,
    );
    const code = problems.length === 0 ? EXIT.ok : EXIT.hostCheckFailed;
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
    team: { type: 'boolean' },
  });
  const store = new AuditStore(values['audit-dir'] ? path.resolve(values['audit-dir']) : defaultAuditDir());
  switch (sub) {
    case 'list': {
      if (values.team) return await teamListCommand(values.env, values, io);
      const runs = store
        .list()
        .filter(
          (run) => (!values.runbook || run.runbookId === values.runbook) && (!values.status || run.status === values.status) && (!values.env || run.environment === values.env),
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
      // The report quotes hosts' output: shown on a terminal, never obeyed by it.
      io.out(forTerminal(exportRun(store.records(runId), 'md', { verification })));
      return EXIT.ok;
    }
    case 'verify':
      return await verifyCommand(store, positionals, values.env, values.team ?? false, io);
    case 'export': {
      const runId = store.resolve(oneRun(positionals));
      const format = values.format ?? 'md';
      if (format !== 'md' && format !== 'json' && format !== 'html') throw new UsageError('--format takes md, html or json.');
      const verification = verifyJournal(store.journalFile(runId));
      const reportDir = values.output ? path.dirname(path.resolve(values.output)) : process.cwd();
      const transcripts = transcriptLinks(store, runId, reportDir);
      const text = exportRun(store.records(runId), format, { verification, transcripts });
      if (values.output) {
        const { writeFile } = await import('node:fs/promises');
        // A report quotes the run (masked): readable by its owner only, like the audit directory.
        await writeFile(values.output, text, { mode: 0o600 });
        io.out(`Wrote ${values.output}\n`);
      } else {
        // To a terminal, shown safely; to a pipe or file, exactly as exported.
        io.out(io.interactive ? forTerminal(text) : text);
      }
      return EXIT.ok;
    }
    case 'compare': {
      if (positionals.length !== 2) throw new UsageError('compare takes two run ids: opsdeck audit compare <run-a> <run-b>.');
      const format = values.format ?? 'md';
      if (format !== 'md' && format !== 'json') throw new UsageError('--format takes md or json.');
      const [recordsA, recordsB] = positionals.map((id) => store.records(store.resolve(id)));
      const comparison = compareRuns(replayRun(recordsA), replayRun(recordsB), { a: stateChangesOfRecords(recordsA), b: stateChangesOfRecords(recordsB) });
      io.out(format === 'json' ? JSON.stringify(comparison, null, 2) + '\n' : renderComparison(comparison));
      return EXIT.ok;
    }
    case 'sync':
      return await syncCommand(store, values.env, io);
    default:
      throw new UsageError('audit takes: list, show <run>, verify [<run>], export <run> --format md|html|json, compare <a> <b>, sync --env <file>.');
  }
}

/** The team database of an environment file (required). */
async function teamOf(envFile: string | undefined, what: string): Promise<{ team: TeamAudit; environment: Environment }> {
  if (!envFile) throw new UsageError(`${what} needs --env <environment file> naming the team database (audit: { database: ... }).`);
  const environment = await loadEnvironment(envFile);
  const team = teamAuditFor(environment);
  if (!team) throw new UsageError(`The environment ${environment.name} names no team audit database (audit: { database: <name under databases:> }).`);
  if (environment.databases[environment.audit!.database!].host) {
    throw new UsageError(`${what} reaches the team database directly; it is declared behind ${environment.databases[environment.audit!.database!].host} (only runs tunnel to it).`);
  }
  return { team, environment };
}

async function teamListCommand(envFile: string | undefined, values: { runbook?: string; status?: string }, io: Io): Promise<number> {
  const { team } = await teamOf(envFile, 'audit list --team');
  try {
    const runs = (await team.listRuns({ ...(values.runbook ? { runbook: values.runbook } : {}) })).filter((run) => !values.status || run.status === values.status);
    if (runs.length === 0) io.out('No runs in the team database.\n');
    for (const run of runs) {
      io.out(
        `${run.runId}  ${run.status.padEnd(15)} ${run.runbookId.padEnd(30)} ${run.environment}${run.lab ? ' [LAB]' : ''}  ${run.operator}@${run.machine}  ${run.startedAt}  ${run.lastSeq} events\n`,
      );
    }
    return EXIT.ok;
  } finally {
    await team.close();
  }
}

async function verifyCommand(store: AuditStore, positionals: string[], envFile: string | undefined, teamOnly: boolean, io: Io): Promise<number> {
  const environment = envFile ? await loadEnvironment(envFile) : undefined;
  const team = environment ? teamAuditFor(environment) : undefined;
  if (teamOnly && !team) throw new UsageError('--team needs --env <file> whose environment names a team audit database.');
  let bad = 0;
  try {
    let localIds: string[] = [];
    let teamIds: string[] = [];
    if (positionals.length > 0) {
      for (const id of positionals) {
        let resolved: string | undefined;
        try {
          resolved = store.resolve(id);
        } catch (error) {
          if (!team) throw error;
        }
        if (resolved && !teamOnly) localIds.push(resolved);
        if (team) teamIds.push(resolved ?? (await team.resolveRun(id)));
      }
    } else {
      localIds = teamOnly ? [] : store.list().map((run) => run.runId);
      if (team) teamIds = teamOnly ? (await team.listRuns()).map((run) => run.runId) : localIds;
    }
    for (const runId of localIds) {
      const result = verifyJournal(store.journalFile(runId));
      if (result.ok) {
        io.out(`${io.style.green('verified')} ${runId}: ${result.records} events, hash chain intact${result.finished ? '' : ' (run not finished)'}\n`);
      } else {
        bad += 1;
        io.out(`${io.style.red('TAMPERED')} ${runId}:\n`);
        for (const problem of result.problems) io.out(`  line ${problem.line}: ${problem.message}\n`);
      }
    }
    for (const runId of teamIds) {
      const copy = await checkTeamCopy(team!, store, runId, environment?.audit?.operators);
      if (copy.state === 'missing') {
        io.out(`${io.style.yellow('not in the team database')} ${runId}${copy.localLines ? `: ${copy.localLines.length} local events not yet sent (opsdeck audit sync)` : ''}\n`);
        continue;
      }
      const result = copy.result;
      const insertedBy = result.insertedBy.length ? `inserted by ${result.insertedBy.join(', ')}` : 'who inserted it was not recorded (rows older than schema version 3)';
      if (result.ok) {
        const local = result.local
          ? `; identical to the local journal${result.local.notYetReplicated ? ` (${result.local.notYetReplicated} local events not yet sent)` : ''}`
          : '; no local journal here to compare';
        io.out(`${io.style.green('verified')} ${runId} (team database): ${result.records} events, hash chain intact${local}; ${insertedBy}\n`);
      } else {
        bad += 1;
        io.out(`${io.style.red('TAMPERED')} ${runId} (team database): ${insertedBy}\n`);
        for (const problem of result.problems) io.out(`  seq ${problem.seq}: ${problem.message}\n`);
      }
    }
    if (localIds.length === 0 && teamIds.length === 0) io.out('No runs recorded.\n');
  } finally {
    await team?.close();
  }
  return bad === 0 ? EXIT.ok : EXIT.verifyFailed;
}

async function syncCommand(store: AuditStore, envFile: string | undefined, io: Io): Promise<number> {
  const { team, environment } = await teamOf(envFile, 'audit sync');
  try {
    let pendingTotal = 0;
    for (const run of store.list().filter((candidate) => candidate.environment === environment.name && !candidate.live)) {
      const result = await syncRun(team, run.runId, store.journalFile(run.runId), 15_000);
      pendingTotal += result.pending;
      if (result.sent > 0 || result.pending > 0) {
        io.out(`${run.runId}: ${result.sent} events sent${result.pending ? `, ${result.pending} still pending (${result.lastError ?? 'unknown error'})` : ''}\n`);
      }
    }
    io.out(pendingTotal === 0 ? 'The team database has every local run of this environment.\n' : `${pendingTotal} events could not be sent; try again later.\n`);
    return pendingTotal === 0 ? EXIT.ok : EXIT.teamUnavailable;
  } finally {
    await team.close();
  }
}

// ---- locks and team ----------------------------------------------------------------------------

async function locksCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, {
    env: { type: 'string' },
    'audit-dir': { type: 'string' },
    reason: { type: 'string' },
    operator: { type: 'string' },
  });
  const auditDir = values['audit-dir'] ? path.resolve(values['audit-dir']) : defaultAuditDir();
  const environment = values.env ? await loadEnvironment(values.env) : undefined;
  const team = environment ? teamAuditFor(environment) : undefined;
  const backend = leaseBackendFor(team, auditDir);
  try {
    switch (sub) {
      case 'list': {
        const leases = await backend.list(environment?.name);
        if (leases.length === 0) io.out(`No host is leased (${backend.description}).\n`);
        for (const lease of leases) {
          io.out(
            `${lease.host.padEnd(20)} ${lease.expired ? io.style.yellow('EXPIRED') : io.style.green('held   ')}  ${lease.operator}@${lease.machine}  run ${lease.runId}${lease.runbook ? ` (${lease.runbook})` : ''}  since ${lease.since}  expires ${lease.expiresAt}  [${lease.environment}]\n`,
          );
        }
        const breaks = (await backend.breaks(environment?.name)).slice(-5);
        if (breaks.length) {
          io.out('Recent breaks:\n');
          for (const record of breaks)
            io.out(`  ${record.at} ${record.host}: ${record.by}@${record.machine} broke ${record.lease.operator}'s lease (run ${record.lease.runId}): ${record.reason}\n`);
        }
        return EXIT.ok;
      }
      case 'break': {
        if (positionals.length !== 1) throw new UsageError('locks break takes one host: opsdeck locks break <host> --reason "...".');
        if (!values.reason?.trim()) throw new UsageError('Breaking a lease needs --reason "..."; it is recorded with your name.');
        const host = positionals[0];
        let environmentName = environment?.name;
        if (!environmentName) {
          const candidates = [...new Set((await backend.list()).filter((lease) => lease.host === host).map((lease) => lease.environment))];
          if (candidates.length > 1) throw new UsageError(`${host} is leased in several environments (${candidates.join(', ')}): name one with --env <file>.`);
          environmentName = candidates[0] ?? '';
          if (!environmentName) throw new OpsError('lease-not-found', `No lease holds ${host} (${backend.description}).`);
        }
        const operator = values.operator ?? os.userInfo().username;
        const record = await backend.breakLease(environmentName, host, { operator, machine: os.hostname() }, values.reason.trim());
        io.out(
          `Broke the lease on ${host}: it was held by ${record.lease.operator} on ${record.lease.machine} since ${record.lease.since} for run ${record.lease.runId}${record.lease.runbook ? ` (${record.lease.runbook})` : ''}.\n` +
            `Recorded in ${backend.description} as broken by ${operator} at ${record.at}: ${record.reason}\n` +
            `That run is told at its next renewal; it may still be running commands on ${host}.\n`,
        );
        return EXIT.ok;
      }
      default:
        throw new UsageError('locks takes: list [--env <file>], break <host> --reason "..." [--env <file>].');
    }
  } catch (error) {
    if (isOpsError(error) && error.code === 'lease-not-found') {
      io.err(`${error.userMessage}\n`);
      return EXIT.usage;
    }
    throw error;
  } finally {
    await team?.close();
  }
}

async function teamCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parse(rest, { env: { type: 'string' }, 'admin-db': { type: 'string' }, 'admin-user': { type: 'string' }, 'admin-password-file': { type: 'string' } });
  const { team, environment } = await teamOf(values.env, `team ${sub ?? ''}`.trim());
  try {
    switch (sub) {
      case 'migrate': {
        const admin = values['admin-user']
          ? await adminAccount(team, values['admin-user'], values['admin-password-file'])
          : environment.databases[values['admin-db'] ?? environment.audit!.database!];
        if (!admin)
          throw new UsageError(`--admin-db ${values['admin-db']} is not a database of ${environment.name} (databases: ${Object.keys(environment.databases).join(', ')}).`);
        const applied = await team.migrate(admin);
        io.out(applied.length ? `Applied migrations ${applied.join(', ')} to ${team.description}.\n` : `${team.description} is up to date.\n`);
        return EXIT.ok;
      }
      case 'grants': {
        const user = team.config.database.user;
        for (const grant of teamGrants(team.config.schema, user, values['admin-user'])) io.out(`${grant}\n`);
        return EXIT.ok;
      }
      default:
        throw new UsageError('team takes: migrate --env <file> [--admin-user NAME | --admin-db NAME], grants --env <file> [--admin-user NAME].');
    }
  } finally {
    await team.close();
  }
}

/**
 * The migrating account of `team migrate --admin-user`: the team database's address with another
 * login, its password read only now, for this command, from $OPSDECK_AUDIT_ADMIN_PASSWORD or
 * --admin-password-file, so it never has to sit in the environment file operators carry.
 */
async function adminAccount(team: TeamAudit, user: string, passwordFile: string | undefined): Promise<DatabaseSpec> {
  let password: string | undefined;
  if (passwordFile) {
    try {
      password = readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new UsageError(`--admin-password-file ${passwordFile} cannot be read: ${(error as Error).message}.`);
    }
  } else {
    password = process.env.OPSDECK_AUDIT_ADMIN_PASSWORD;
  }
  if (!password) {
    throw new UsageError(`--admin-user ${user} needs its password: set OPSDECK_AUDIT_ADMIN_PASSWORD for this command, or pass --admin-password-file FILE.`);
  }
  return { ...team.config.database, name: `${team.config.database.name} (as ${user})`, user, password };
}

function oneRun(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError('Name one run id (or a unique prefix of one).');
  return positionals[0];
}

// Run when executed directly (bin/opsdeck.mjs imports this file and calls main itself).
if (process.argv[1] && /cli\.[cm]?[jt]s$/.test(process.argv[1])) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
