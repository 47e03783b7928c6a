/**
 * `opsdeck approve` and `opsdeck approvals`: the second operator's side of two-person approval
 * (docs/approval.md). The request is shown whole (step, hosts, the exact commands, the plan) before
 * anything is answered; who answers is what the transport establishes (the OS user, the database login).
 */
import readline from 'node:readline/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { approvalTransportFor, describeRequest, findRequest, type ApprovalDecision, type ApprovalTransport } from '../core/approval';
import { OpsError } from '../core/errors';
import { loadEnvironment } from '../core/inventory/environment';
import type { Environment } from '../core/inventory/model';
import { connectorsFor, teamFor } from '../core/usecases/launch';
import { EXIT } from './exit-codes';
import { forTerminal, type Style } from './printer';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  interactive: boolean;
  style: Style;
}

export const APPROVE_USAGE = `  opsdeck approvals --env <file>                 destructive steps waiting for a second operator
  opsdeck approve <run-id> <step> --env <file> --reason TEXT [--refuse] [--yes]
                                                 approve (or refuse) a step of another operator's run,
                                                 after reading its hosts, exact commands and plan
  opsdeck approve <run-id> <step> --env <file> --break-glass --reason TEXT
                                                 your own run: go on without a second operator (loud)`;

function usage(message: string): OpsError {
  return new OpsError('usage', `${message}\nRun "opsdeck help" for the usage.`);
}

/** The environment's transport, and how to let go of its connections. */
async function transportOf(envFile: string | undefined, what: string): Promise<{ transport: ApprovalTransport; environment: Environment; close: () => Promise<void> }> {
  if (!envFile) throw usage(`${what} needs --env <environment file>: it says where approvals travel (the team database, or the spool on this machine).`);
  const environment = await loadEnvironment(envFile);
  if (!environment.approval) throw usage(`The environment ${environment.name} does not ask for two-person approval (approval: two-person in ${environment.file}).`);
  const connectors = environment.audit?.database ? connectorsFor(environment) : undefined;
  const team = connectors ? teamFor(environment, connectors) : undefined;
  const transport = approvalTransportFor(environment, team)!;
  return {
    transport,
    environment,
    close: async () => {
      await team?.close().catch(() => undefined);
      await connectors?.close().catch(() => undefined);
    },
  };
}

export async function approvalsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parsed(args, { env: { type: 'string' } });
  if (positionals.length > 0) throw usage('approvals takes no argument besides --env <file>.');
  const { transport, environment, close } = await transportOf(values.env, 'approvals');
  try {
    const pending = await transport.pending();
    if (pending.length === 0) {
      io.out(`No step of ${environment.name} waits for approval (${transport.description}).\n`);
      return EXIT.ok;
    }
    for (const request of pending) {
      io.out(
        `${request.runId}  ${request.step}  "${forTerminal(request.title)}"  by ${forTerminal(request.operator)}@${forTerminal(request.machine)}  on ${request.hosts.join(', ')}  since ${request.requestedAt}\n`,
      );
    }
    io.out(io.style.dim(`Read one and answer it with: opsdeck approve <run-id> <step> --env ${values.env} --reason "..." [--refuse]\n`));
    return EXIT.ok;
  } finally {
    await close();
  }
}

export async function approveCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parsed(args, {
    env: { type: 'string' },
    reason: { type: 'string' },
    refuse: { type: 'boolean' },
    'break-glass': { type: 'boolean' },
    yes: { type: 'boolean' },
  });
  if (positionals.length !== 2) throw usage('approve needs a run id and a step: opsdeck approve <run-id> <step> --env <file> --reason "...".');
  const [runId, step] = positionals;
  const reason = values.reason?.trim() ?? '';
  if (values.refuse && values['break-glass']) throw usage('--refuse and --break-glass cannot go together.');
  const decision: ApprovalDecision = values['break-glass'] ? 'override' : values.refuse ? 'refuse' : 'approve';
  if (!reason)
    throw usage(`${decision === 'override' ? 'Breaking the glass' : decision === 'refuse' ? 'Refusing' : 'Approving'} needs --reason "..."; it is journaled with your name.`);
  const { transport, close } = await transportOf(values.env, 'approve');
  try {
    const pending = await transport.pending();
    const request = findRequest(pending, runId, step);
    if (!request) {
      const waiting = pending.map((candidate) => `${candidate.runId} ${candidate.step}`).join(', ') || 'none';
      throw new OpsError('approval-not-found', `Step ${step} of run ${runId} does not wait for approval (waiting now: ${waiting}).`);
    }
    io.out(`${forTerminal(describeRequest(request))}\n\n`);
    const verb = decision === 'override' ? 'BREAK THE GLASS for' : decision === 'refuse' ? 'REFUSE' : 'APPROVE';
    if (!values.yes) {
      if (!io.interactive) throw usage(`Not a terminal: read the request above, then answer with --yes to ${verb.toLowerCase()} it.`);
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
      try {
        const typed = (await rl.question(io.style.bold(`${verb} step ${step} of run ${request.runId} because "${forTerminal(reason)}"? [y/N] `))).trim().toLowerCase();
        if (typed !== 'y' && typed !== 'yes') {
          io.out('Nothing was answered.\n');
          return EXIT.failed;
        }
      } finally {
        rl.close();
      }
    }
    const answer = await transport.answer(request, decision, reason);
    const done = decision === 'override' ? 'Broke the glass for' : decision === 'refuse' ? 'Refused' : 'Approved';
    io.out(`${done} step ${step} of run ${request.runId} as ${answer.approver} (${answer.proof}). The run reads it within a few seconds; its journal records it.\n`);
    return EXIT.ok;
  } finally {
    await close();
  }
}

function parsed<Options extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: Options) {
  try {
    return parseArgs({ args, options, allowPositionals: true as const, strict: true as const });
  } catch (error) {
    throw usage((error as Error).message);
  }
}
