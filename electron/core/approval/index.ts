/** The approval transport of an environment: its team database when it has one, else the spool on this machine. */
import type { TeamAudit } from '../team/audit';
import type { Environment } from '../inventory/model';
import { SpoolApprovalTransport } from './spool';
import { TeamApprovalTransport } from './team-transport';
import type { ApprovalTransport } from './types';

export type { ApprovalAnswer, ApprovalDecision, ApprovalRequest, ApprovalTransport } from './types';
export { describeRequest, findRequest } from './types';

/**
 * Where the environment's destructive steps ask a second operator; undefined when it does not ask
 * (`approval:` absent). `team`: the environment's team database connection (not closed here).
 */
export function approvalTransportFor(environment: Environment, team: TeamAudit | undefined): ApprovalTransport | undefined {
  if (!environment.approval) return undefined;
  if (team) return new TeamApprovalTransport(team, environment);
  return new SpoolApprovalTransport(environment.approval.spool);
}
