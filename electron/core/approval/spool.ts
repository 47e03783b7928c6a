/**
 * Approval through a spool directory on one machine, for environments without a team database. The
 * operator's run writes `<id>.request.json`; a second operator, logged in as another OS user, creates
 * `<id>.answer.<random>.json` beside it. Who answered is the answer file's owner as the kernel reports
 * it (lstat), mapped to a user name: a name written inside the file is never read. The directory is
 * sticky and world-writable (mode 1777, like /tmp) or group-writable for the operators' group: everyone
 * may add a file, nobody may remove or replace another's.
 *
 * Pitfalls handled here: an answer that is a symlink or a second hard link to someone else's file is
 * not attributed (its owner says nothing about who placed it); an answer from the uid that runs the
 * run, or from a user of the run's operator name, is self-approval.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { OpsError } from '../errors';
import type { ApprovalAnswer, ApprovalDecision, ApprovalRequest, ApprovalTransport } from './types';

const REQUEST_SUFFIX = '.request.json';
const ANSWER_INFIX = '.answer.';
/** Nobody needs more to say why; a larger file is not read. */
const MAX_FILE_BYTES = 256 * 1024;

const execFileAsync = promisify(execFile);

/** An OS user's name by uid: NSS (`getent`, so LDAP users resolve too), else /etc/passwd, else `uid N`. */
export async function userNameOf(uid: number): Promise<string> {
  try {
    const { stdout } = await execFileAsync('getent', ['passwd', String(uid)], { timeout: 5000 });
    const name = stdout.split(':')[0]?.trim();
    if (name) return name;
  } catch {
    // No getent, or no such user: /etc/passwd below.
  }
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => entry.split(':')[2] === String(uid));
    if (line) return line.split(':')[0];
  } catch {
    // Unreadable: the number is all there is.
  }
  return `uid ${uid}`;
}

export interface SpoolOptions {
  /** The uid of this process; tests never need another (they run the approver as another user). */
  uid?: number;
}

export class SpoolApprovalTransport implements ApprovalTransport {
  readonly description: string;
  private readonly uid: number;

  constructor(
    readonly directory: string,
    options: SpoolOptions = {},
  ) {
    this.description = `the approval spool ${directory} on ${os.hostname()}`;
    this.uid = options.uid ?? process.getuid?.() ?? -1;
  }

  // ---- the run's side ----------------------------------------------------------------------

  async submit(request: ApprovalRequest): Promise<void> {
    await this.ensureDirectory();
    const target = this.requestFile(request.id);
    const temporary = path.join(this.directory, `.${request.id}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await fs.writeFile(temporary, `${JSON.stringify(request, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
      await fs.chmod(temporary, 0o644);
      await fs.rename(temporary, target);
    } catch (error) {
      await fs.rm(temporary, { force: true }).catch(() => undefined);
      throw this.spoolError('cannot write the approval request into', error);
    }
  }

  async answers(request: ApprovalRequest): Promise<ApprovalAnswer[]> {
    const prefix = `${request.id}${ANSWER_INFIX}`;
    let names: string[];
    try {
      names = (await fs.readdir(this.directory)).filter((name) => name.startsWith(prefix) && name.endsWith('.json'));
    } catch (error) {
      throw this.spoolError('cannot read', error);
    }
    const answers: ApprovalAnswer[] = [];
    for (const name of names) {
      const answer = await this.readAnswer(request, path.join(this.directory, name), name);
      if (answer) answers.push(answer);
    }
    return answers.sort((a, b) => a.at.localeCompare(b.at));
  }

  async close(request: ApprovalRequest): Promise<void> {
    // Only the request goes: the answers belong to their writers (the sticky bit keeps them).
    await fs.rm(this.requestFile(request.id), { force: true });
  }

  // ---- the approver's side -----------------------------------------------------------------

  async pending(): Promise<ApprovalRequest[]> {
    let names: string[];
    try {
      names = (await fs.readdir(this.directory)).filter((name) => name.endsWith(REQUEST_SUFFIX) && !name.startsWith('.'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.spoolError('cannot read', error);
    }
    const requests: ApprovalRequest[] = [];
    for (const name of names) {
      const request = await this.readRequest(path.join(this.directory, name)).catch(() => undefined);
      if (request && `${request.id}${REQUEST_SUFFIX}` === name) requests.push(request);
    }
    return requests.sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  }

  async answer(request: ApprovalRequest, decision: ApprovalDecision, reason: string): Promise<ApprovalAnswer> {
    const file = this.requestFile(request.id);
    let owner: number;
    try {
      owner = (await fs.lstat(file)).uid;
    } catch {
      throw new OpsError('approval-closed', `Step ${request.step} of run ${request.runId} no longer waits for approval (it was answered, overridden or the run stopped).`);
    }
    const me = await userNameOf(this.uid);
    if (decision === 'override' && owner !== this.uid) {
      throw new OpsError(
        'approval-not-operator',
        `Only the operator who started run ${request.runId} (the owner of its request, uid ${owner}) can break the glass; you are ${me}. Approve or refuse it instead.`,
      );
    }
    if (decision !== 'override' && (owner === this.uid || me === request.operator)) {
      throw new OpsError(
        'approval-self',
        `You (${me}) started run ${request.runId}: a second operator must ${decision === 'approve' ? 'approve' : 'answer'} step ${request.step}. Ask a colleague logged in as another user to run "opsdeck approve".`,
      );
    }
    const name = `${request.id}${ANSWER_INFIX}${randomBytes(6).toString('hex')}.json`;
    const at = new Date().toISOString();
    try {
      // The name is written for a person reading the spool; the run reads the file's owner instead.
      await fs.writeFile(path.join(this.directory, name), `${JSON.stringify({ decision, reason, approver: me, at })}\n`, { mode: 0o644, flag: 'wx' });
    } catch (error) {
      throw this.spoolError('cannot write the answer into', error);
    }
    return { decision, reason, approver: me, proof: `uid ${this.uid}`, at, answerId: name };
  }

  // ---- files -------------------------------------------------------------------------------

  private requestFile(id: string): string {
    if (!/^[A-Za-z0-9._~-]+$/.test(id)) throw new OpsError('approval-not-found', `"${id}" is not an approval request id.`);
    return path.join(this.directory, `${id}${REQUEST_SUFFIX}`);
  }

  private async readRequest(file: string): Promise<ApprovalRequest> {
    const stat = await fs.lstat(file);
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) throw new Error('not a request');
    const value = JSON.parse(await fs.readFile(file, 'utf8')) as ApprovalRequest;
    if (typeof value.id !== 'string' || typeof value.runId !== 'string' || typeof value.step !== 'string' || !Array.isArray(value.commands) || !Array.isArray(value.hosts)) {
      throw new Error('not a request');
    }
    return value;
  }

  /** One answer file, attributed to its owner; undefined when it is still being written. */
  private async readAnswer(request: ApprovalRequest, file: string, name: string): Promise<ApprovalAnswer | undefined> {
    let stat;
    try {
      stat = await fs.lstat(file);
    } catch {
      return undefined;
    }
    const approver = await userNameOf(stat.uid);
    const base = { approver, proof: `uid ${stat.uid} (owner of ${name})`, at: stat.mtime.toISOString(), answerId: name };
    if (!stat.isFile() || stat.nlink !== 1) {
      return { ...base, decision: 'refuse', reason: '', rejected: `${name} is not a plain file of its own (a link): its owner does not say who answered` };
    }
    if (stat.size === 0) return undefined;
    if (stat.size > MAX_FILE_BYTES) return { ...base, decision: 'refuse', reason: '', rejected: `${name} is larger than ${MAX_FILE_BYTES} bytes` };
    let body: { decision?: unknown; reason?: unknown };
    try {
      const handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        body = JSON.parse(await handle.readFile('utf8')) as typeof body;
      } finally {
        await handle.close();
      }
    } catch {
      // Half written (the approver's write is one small write, so rarely): read again at the next poll.
      if (Date.now() - stat.mtimeMs < 5000) return undefined;
      return { ...base, decision: 'refuse', reason: '', rejected: `${name} is not a JSON answer` };
    }
    const decision = body.decision === 'approve' || body.decision === 'refuse' || body.decision === 'override' ? body.decision : undefined;
    const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
    if (!decision) return { ...base, decision: 'refuse', reason, rejected: `${name} says neither approve nor refuse` };
    if (decision === 'override') {
      if (stat.uid !== this.uid) return { ...base, decision, reason, rejected: `only the run's own operator can break the glass, and ${approver} is not (uid ${stat.uid})` };
      if (!reason) return { ...base, decision, reason, rejected: 'breaking the glass needs a reason' };
      return { ...base, decision, reason };
    }
    if (stat.uid === this.uid || approver === request.operator) {
      return { ...base, decision, reason, rejected: `self-approval: ${approver} is the operator of the run; a second operator must answer` };
    }
    if (decision === 'refuse' && !reason) return { ...base, decision, reason, rejected: 'a refusal needs a reason' };
    return { ...base, decision, reason };
  }

  /** Creates the spool when missing, sticky and writable by all (like /tmp). */
  private async ensureDirectory(): Promise<void> {
    try {
      await fs.mkdir(this.directory, { recursive: false });
      await fs.chmod(this.directory, 0o1777);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        await fs.mkdir(path.dirname(this.directory), { recursive: true, mode: 0o755 }).catch(() => undefined);
        try {
          await fs.mkdir(this.directory);
          await fs.chmod(this.directory, 0o1777);
          return;
        } catch (again) {
          if ((again as NodeJS.ErrnoException).code === 'EEXIST') return;
          throw this.spoolError('cannot create', again);
        }
      }
      throw this.spoolError('cannot create', error);
    }
  }

  private spoolError(what: string, error: unknown): OpsError {
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === 'EACCES' || code === 'EPERM'
        ? ` Every operator of this machine must be able to add files there: make it sticky and writable by all (chmod 1777 ${this.directory}) or by the operators' group (chgrp ops ${this.directory}; chmod 3770 ${this.directory}).`
        : '';
    return new OpsError('approval-spool', `OpsDeck ${what} the approval spool ${this.directory}: ${(error as Error).message}.${hint}`, { cause: error });
  }
}
