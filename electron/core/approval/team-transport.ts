/**
 * Approval through the team database: the run inserts its request, approvers insert answers, the run
 * polls them. Who answered is the database login that inserted the answer row (`inserted_by`, set by
 * a trigger from USER()), mapped to an operator through the environment's `audit.operators`; the
 * client never says who it is. Self-approval: the same login, or the login of the run's operator.
 */
import type { TeamAudit } from '../team/audit';
import { OpsError } from '../errors';
import type { Environment } from '../inventory/model';
import type { ApprovalAnswer, ApprovalDecision, ApprovalRequest, ApprovalTransport } from './types';

interface AnswerRow {
  id: number;
  decision: string;
  reason: string;
  answered_at: string;
  inserted_by: string;
}

/** `alice@10.0.0.5` → `alice`: the account, whatever host the client came from. */
function accountOf(login: string): string {
  const at = login.lastIndexOf('@');
  return at < 0 ? login : login.slice(0, at);
}

export class TeamApprovalTransport implements ApprovalTransport {
  readonly description: string;
  private readonly operators: Record<string, string>;

  constructor(
    private readonly team: TeamAudit,
    private readonly environment: Environment,
  ) {
    this.description = team.description;
    this.operators = environment.audit?.operators ?? {};
  }

  /** The operator whose database account this is (`audit.operators`), else the account itself. */
  private operatorOf(account: string): string {
    return Object.entries(this.operators).find(([, candidate]) => candidate === account)?.[0] ?? account;
  }

  async submit(request: ApprovalRequest): Promise<void> {
    await this.team.statements(async (query) => {
      await query('INSERT IGNORE INTO approval_requests (request_id, run_id, step, environment, operator, body) VALUES (?, ?, ?, ?, ?, ?)', [
        request.id,
        request.runId,
        request.step,
        request.environment,
        request.operator,
        JSON.stringify(request),
      ]);
    });
  }

  async answers(request: ApprovalRequest): Promise<ApprovalAnswer[]> {
    return this.team.statements(async (query) => {
      const [owner] = await query<Array<{ inserted_by: string }>>('SELECT inserted_by FROM approval_requests WHERE request_id = ?', [request.id]);
      const requester = accountOf(owner?.inserted_by ?? '');
      const rows = await query<AnswerRow[]>('SELECT id, decision, reason, answered_at, inserted_by FROM approval_answers WHERE request_id = ? ORDER BY id', [request.id]);
      return rows.map((row): ApprovalAnswer => {
        const account = accountOf(row.inserted_by);
        const approver = this.operatorOf(account);
        const decision: ApprovalDecision = row.decision === 'approve' || row.decision === 'override' ? row.decision : 'refuse';
        const answer: ApprovalAnswer = {
          decision,
          reason: row.reason,
          approver,
          proof: `db account ${row.inserted_by}`,
          at: String(row.answered_at),
          answerId: `answer-${row.id}`,
        };
        if (!account) return { ...answer, rejected: 'the database did not record who inserted it' };
        if (!['approve', 'refuse', 'override'].includes(row.decision)) return { ...answer, rejected: `it says "${row.decision}", neither approve nor refuse` };
        if (decision === 'override') {
          if (account !== requester) return { ...answer, rejected: `only the run's own operator can break the glass, and ${approver} (${row.inserted_by}) is not` };
          return row.reason.trim() ? answer : { ...answer, rejected: 'breaking the glass needs a reason' };
        }
        if (account === requester || approver === request.operator || this.operators[request.operator] === account) {
          return { ...answer, rejected: `self-approval: ${approver} (${row.inserted_by}) is the operator of the run; a second operator must answer` };
        }
        if (decision === 'refuse' && !row.reason.trim()) return { ...answer, rejected: 'a refusal needs a reason' };
        return answer;
      });
    });
  }

  async close(request: ApprovalRequest, outcome: 'granted' | 'refused' | 'overridden' | 'withdrawn'): Promise<void> {
    await this.team.statements(async (query) => {
      await query('INSERT IGNORE INTO approval_closures (request_id, outcome) VALUES (?, ?)', [request.id, outcome]);
    });
  }

  async pending(): Promise<ApprovalRequest[]> {
    return this.team.statements(async (query) => {
      const rows = await query<Array<{ body: string; inserted_by: string }>>(
        `SELECT r.body, r.inserted_by FROM approval_requests r LEFT JOIN approval_closures c ON c.request_id = r.request_id
         WHERE r.environment = ? AND c.request_id IS NULL ORDER BY r.requested_at`,
        [this.environment.name],
      );
      return rows.flatMap((row) => {
        try {
          return [JSON.parse(row.body) as ApprovalRequest];
        } catch {
          return [];
        }
      });
    });
  }

  async answer(request: ApprovalRequest, decision: ApprovalDecision, reason: string): Promise<ApprovalAnswer> {
    return this.team.statements(async (query) => {
      const [closed] = await query<Array<{ outcome: string }>>('SELECT outcome FROM approval_closures WHERE request_id = ?', [request.id]);
      if (closed) throw new OpsError('approval-closed', `Step ${request.step} of run ${request.runId} no longer waits for approval (${closed.outcome}).`);
      const [owner] = await query<Array<{ inserted_by: string }>>('SELECT inserted_by FROM approval_requests WHERE request_id = ?', [request.id]);
      if (!owner) throw new OpsError('approval-not-found', `The team database has no approval request ${request.id}.`);
      const [me] = await query<Array<{ login: string }>>('SELECT USER() AS login');
      const account = accountOf(me.login);
      const approver = this.operatorOf(account);
      const own = account === accountOf(owner.inserted_by);
      if (decision === 'override' && !own) {
        throw new OpsError(
          'approval-not-operator',
          `Only the operator who started run ${request.runId} (database account ${owner.inserted_by}) can break the glass; you are ${me.login}. Approve or refuse it instead.`,
        );
      }
      if (decision !== 'override' && (own || approver === request.operator || this.operators[request.operator] === account)) {
        throw new OpsError(
          'approval-self',
          `You (${approver}, database account ${me.login}) started run ${request.runId}: a second operator, connected with their own database account, must answer step ${request.step}.`,
        );
      }
      const result = await query<{ insertId: number }>('INSERT INTO approval_answers (request_id, decision, reason) VALUES (?, ?, ?)', [request.id, decision, reason]);
      return { decision, reason, approver, proof: `db account ${me.login}`, at: new Date().toISOString(), answerId: `answer-${result.insertId}` };
    });
  }
}
