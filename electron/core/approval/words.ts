/** Approval events in words, for the CLI's log, the console's audit view and the reports (Node-free). */
import type { ApprovalEvent, ApprovalOverriddenEvent } from '../audit/events';

export function describeApprovalEvent(event: ApprovalEvent): string {
  switch (event.type) {
    case 'approval.requested':
      return `Step ${event.step} waits for a second operator's approval (two-person rule) on ${event.hosts.join(', ') || 'no host'}, through ${event.via}.`;
    case 'approval.granted':
      return `Step ${event.step} approved by ${event.approver} (${event.proof})${event.reason ? `: ${event.reason}` : ''}.`;
    case 'approval.refused':
      return `Step ${event.step} refused by ${event.approver} (${event.proof}): ${event.reason}. The step was not run.`;
    case 'approval.not-counted':
      return `An answer to step ${event.step} from ${event.approver} (${event.proof}) does not count: ${event.why ?? 'unknown reason'}. The step still waits.`;
    case 'approval.overridden':
      return breakGlassLine(event);
  }
}

/** The line every report shows loudly for each override of the two-person rule. */
export function breakGlassLine(event: ApprovalOverriddenEvent): string {
  return `BREAK-GLASS: step ${event.step} ran without a second operator's approval, overridden by ${event.operator} because: ${event.reason}`;
}
