/** One domain of the console's api/ contract: a typed part of ConsoleService's handler map (service.ts). */
import type { ApprovalListing } from '../api/contract';
import { approvalTransportFor, findRequest, type ApprovalTransport } from '../core/approval';
import { OpsError } from '../core/errors';
import type { Environment } from '../core/inventory/model';
import { ServiceContext, type HandlerMap } from './service-context';

/**
 * Two-person approval in the console (docs/approval.md): the requests of an environment waiting for a
 * second operator, answered as this console's identity (its OS user, or its team database account);
 * and break-glass on this console's own run.
 */
export class ApprovalHandlers {
  constructor(private readonly context: ServiceContext) {}

  handlers(): HandlerMap<'approval:list' | 'approval:answer' | 'run:overrideApproval'> {
    return {
      'approval:list': (request) => this.list(request.environmentId),
      'approval:answer': (request) => this.answer(request.environmentId, request.runId, request.step, request.decision, request.reason),
      'run:overrideApproval': (request) => {
        const run = this.context.runs.get(request.runId);
        if (!run)
          throw new OpsError('run-not-found', `Run ${request.runId} is not running in this console: only its own operator can break the glass, from the console that runs it.`);
        run.runner.overrideApproval(request.step, request.reason);
        return null;
      },
    };
  }

  /** The environment's transport; its team connection is closed after `work`. */
  private async withTransport<T>(environmentId: string, work: (transport: ApprovalTransport, environment: Environment) => Promise<T>): Promise<T> {
    const environment = await this.context.environmentOf(environmentId);
    if (!environment.approval)
      throw new OpsError('approval-not-found', `The environment ${environment.name} does not ask for two-person approval (approval: two-person in its file).`);
    const team = this.context.teamFor(environmentId, environment);
    try {
      return await work(approvalTransportFor(environment, team)!, environment);
    } finally {
      await team?.close().catch(() => undefined);
    }
  }

  private list(environmentId: string): Promise<ApprovalListing> {
    return this.withTransport(environmentId, async (transport) => ({
      via: transport.description,
      requests: (await transport.pending()).map((request) => ({ ...request, own: this.context.runs.has(request.runId) || request.operator === this.context.operator })),
    }));
  }

  private answer(environmentId: string, runId: string, step: string, decision: 'approve' | 'refuse', reason: string) {
    return this.withTransport(environmentId, async (transport) => {
      const request = findRequest(await transport.pending(), runId, step);
      if (!request) throw new OpsError('approval-not-found', `Step ${step} of run ${runId} no longer waits for approval (answered, overridden, or the run stopped).`);
      const answer = await transport.answer(request, decision, reason);
      return { approver: answer.approver, proof: answer.proof };
    });
  }
}
