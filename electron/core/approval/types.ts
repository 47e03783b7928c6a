/**
 * Two-person approval (docs/approval.md): on an environment with `approval: two-person`, a destructive
 * step waits until a second operator has seen what it will do (step, hosts, the exact commands as sent,
 * its place in the plan) and approved it. The request and the answers travel through a transport: the
 * team database when the environment has one, else a spool directory on this machine. The transport,
 * never the answer's own words, says who answered: a database login as the server authenticated it, or
 * the owner of the answer file as the kernel reports it.
 */

/** What the second operator is asked to approve: everything the step will do, as it will be sent. */
export interface ApprovalRequest {
  /** Unique per asking (a retried step asks again under a new id). */
  id: string;
  runId: string;
  /** The step key. */
  step: string;
  title: string;
  runbook: { id: string; title: string };
  environment: string;
  /** The operator running the run, as the run records it. */
  operator: string;
  machine: string;
  requestedAt: string;
  hosts: string[];
  /** Every command, per host, exactly as the host's shell is given it (sudo wrapper included), secrets masked. */
  commands: Array<{ host: string; command: string }>;
  /** The step's destructive warning, rendered. */
  warning?: string;
  /** The step's checks, in words. */
  checks: string[];
  /** The run's top-level steps with the one asking marked: where this step sits in the plan. */
  plan: Array<{ key: string; title: string; state: 'done' | 'this' | 'next' }>;
}

/**
 * `override`: break-glass by the run's own operator (only they may: the transport checks it is the
 * same identity as the run's), recorded loudly; the others come from a second operator.
 */
export type ApprovalDecision = 'approve' | 'refuse' | 'override';

/** One answer to a request, with the identity the transport vouches for. */
export interface ApprovalAnswer {
  decision: ApprovalDecision;
  reason: string;
  /** Who answered: an OS user name (spool) or the operator of a team database account. */
  approver: string;
  /** How that identity was established: `uid 1001`, `db account alice@10.0.0.5`. */
  proof: string;
  at: string;
  /**
   * Set when the answer cannot count: it comes from the operator of the run (self-approval), or could
   * not be attributed. The runner records it and keeps waiting.
   */
  rejected?: string;
  /** Identifies the answer within its request (a file name, a row id): each is handled once. */
  answerId: string;
}

/** How the requests and answers of one environment travel. */
export interface ApprovalTransport {
  /** In words, for prompts and the journal: `the spool /var/lib/opsdeck/approvals on host01`. */
  readonly description: string;
  /** Publishes a request (the runner's side). */
  submit(request: ApprovalRequest): Promise<void>;
  /** The answers a request has received so far (the runner's side). */
  answers(request: ApprovalRequest): Promise<ApprovalAnswer[]>;
  /** Marks a request as no longer waiting: it is not listed any more and no answer is taken. */
  close(request: ApprovalRequest, outcome: 'granted' | 'refused' | 'overridden' | 'withdrawn'): Promise<void>;
  /** Requests still waiting (the approver's side). */
  pending(): Promise<ApprovalRequest[]>;
  /**
   * Answers a request as whoever this transport is connected as (the approver's side).
   * @throws OpsError `approval-self` when that is the operator of the run; `approval-closed` when it no longer waits.
   */
  answer(request: ApprovalRequest, decision: ApprovalDecision, reason: string): Promise<ApprovalAnswer>;
}

/** The request of a run's step among the pending ones, or a sentence naming what is pending instead. */
export function findRequest(pending: ApprovalRequest[], runId: string, step: string): ApprovalRequest | undefined {
  return pending.find((request) => (request.runId === runId || request.runId.startsWith(runId)) && request.step === step);
}

/** A request as an approver reads it before answering: step, hosts, exact commands, plan. */
export function describeRequest(request: ApprovalRequest): string {
  const lines = [
    `Run ${request.runId} of ${request.runbook.id} (${request.runbook.title}) on ${request.environment}, by ${request.operator} on ${request.machine}`,
    `Step ${request.step}: ${request.title}`,
    ...(request.warning ? [`Warning: ${request.warning}`] : []),
    `Hosts: ${request.hosts.join(', ') || '(none)'}`,
    'Commands, exactly as sent:',
    ...(request.commands.length > 0 ? request.commands.map((entry) => `  ${entry.host}: ${entry.command.split('\n').join('\n    ')}`) : ['  (this step sends no command)']),
    ...(request.checks.length > 0 ? [`Checks: ${request.checks.join('; ')}`] : []),
    'Plan:',
    ...request.plan.map((entry) => `  ${entry.state === 'this' ? '>>' : entry.state === 'done' ? ' ✓' : '  '} ${entry.key}: ${entry.title}`),
    `Requested at ${request.requestedAt}`,
  ];
  return lines.join('\n');
}
