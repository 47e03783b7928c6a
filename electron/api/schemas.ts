/**
 * Run-time checks of every command's request. Main (ipcMain) and the WebSocket server run each
 * payload through its schema before anything reaches the engine: the renderer is untrusted input.
 * The request types of ./contract.ts are inferred from these schemas, and it checks that they name its
 * commands exactly (so this file needs nothing from it: the two do not import each other).
 */
import { z } from 'zod';

/** Bounds that keep a hostile or buggy renderer from making main allocate without limit. */
const LIMITS = {
  id: 512,
  path: 4096,
  text: 4096,
  /** One keystroke batch or a paste into a terminal. */
  terminalInput: 64 * 1024,
  params: 64,
} as const;

const id = z.string().min(1).max(LIMITS.id);
const text = z.string().max(LIMITS.text);
const paramValue = z.union([z.string().max(LIMITS.text), z.number(), z.boolean(), z.array(z.string().max(LIMITS.id)).max(256)]);
const params = z.record(z.string().max(LIMITS.id), paramValue).refine((value) => Object.keys(value).length <= LIMITS.params, 'too many parameters');
const terminalSize = { cols: z.number().int().min(10).max(1000), rows: z.number().int().min(4).max(500) };
const empty = z.object({}).strict();

const environmentId = z.string().min(1).max(LIMITS.path);
const runTarget = { runbookId: id, environmentId, params };
/** The longest drill objective accepted: a week, in ms. */
const MAX_OBJECTIVE_MS = 7 * 24 * 3600 * 1000;
const drill = z
  .object({
    objectives: z
      .record(id, z.number().int().positive('an objective must be a positive duration').max(MAX_OBJECTIVE_MS))
      .refine((value) => Object.keys(value).length <= 256, 'too many objectives'),
  })
  .strict();
/** A recorded run: in the local journals, or (with `teamEnvironmentId`) in that environment's team database. */
const runReference = { runId: id, teamEnvironmentId: environmentId.optional() };

/** What to import: an inventory file, or discovery through an environment's controller. */
const importRequest = {
  file: z.string().min(1).max(LIMITS.path).optional(),
  discoverFrom: environmentId.optional(),
  via: id.optional(),
  sudo: z.boolean().optional(),
  from: z.enum(['auto', 'ssh-config', 'ansible']).optional(),
  name: z.string().trim().min(1).max(LIMITS.id).optional(),
  profile: z.string().trim().min(1).max(LIMITS.path).optional(),
  /** GROUP=ROLE[,ROLE] lines, as `--map` takes them. */
  map: z.array(z.string().max(LIMITS.text)).max(256).optional(),
  user: id.optional(),
};

export const commandRequestSchemas = {
  'library:list': empty,
  'environment:list': empty,
  'environment:open': z.object({ file: z.string().min(1).max(LIMITS.path) }).strict(),
  'environment:importPreview': z.object(importRequest).strict(),
  'environment:importSave': z.object({ ...importRequest, out: z.string().min(1).max(LIMITS.path), force: z.boolean().default(false) }).strict(),
  'lab:status': empty,
  'lab:start': empty,
  'hosts:check': z.object({ environmentId: z.string().min(1).max(LIMITS.path), hosts: z.array(id).max(1000).optional() }).strict(),
  'hosts:acceptKey': z.object({ environmentId: z.string().min(1).max(LIMITS.path), host: id, fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{20,64}$/) }).strict(),
  'run:plan': z.object(runTarget).strict(),
  'run:start': z
    .object({
      ...runTarget,
      onFailure: z.enum(['ask', 'stop', 'rollback']).default('ask'),
      drill: drill.optional(),
      // The team database cannot be reached to take the leases: lease on this machine only (`--local-locks`).
      localLocks: z.boolean().default(false),
    })
    .strict(),
  'run:list': empty,
  'run:confirm': z.object({ runId: id, step: id, text }).strict(),
  'run:completeManual': z.object({ runId: id, step: id, outcome: z.enum(['done', 'failed']), note: text.optional() }).strict(),
  'run:decide': z.object({ runId: id, step: id, choice: id }).strict(),
  'run:resolveFailure': z.object({ runId: id, step: id, action: z.enum(['retry', 'retry-failed', 'skip', 'abort', 'rollback']), reason: text.optional() }).strict(),
  'run:pause': z.object({ runId: id }).strict(),
  'run:resume': z.object({ runId: id }).strict(),
  'run:snapshot': z.object({ runId: id, label: z.string().trim().min(1, 'a label is required').max(64) }).strict(),
  'run:abort': z.object({ runId: id, reason: z.string().trim().min(1, 'a reason is required').max(LIMITS.text), rollback: z.boolean() }).strict(),
  'run:overrideApproval': z
    .object({ runId: id, step: id, reason: z.string().trim().min(1, 'a reason is required: breaking the glass is shown in the report').max(LIMITS.text) })
    .strict(),
  'run:output': z.object({ runId: id, step: id.optional(), afterSeq: z.number().int().min(0).optional() }).strict(),
  'terminal:open': z.object({ environmentId: z.string().min(1).max(LIMITS.path), host: id, ...terminalSize }).strict(),
  'terminal:write': z.object({ terminalId: id, data: z.string().min(1).max(LIMITS.terminalInput) }).strict(),
  'terminal:resize': z.object({ terminalId: id, ...terminalSize }).strict(),
  'terminal:ack': z
    .object({
      terminalId: id,
      chars: z
        .number()
        .int()
        .min(0)
        .max(1 << 30),
    })
    .strict(),
  'terminal:close': z.object({ terminalId: id }).strict(),
  'terminal:list': empty,
  'audit:list': empty,
  'audit:show': z.object(runReference).strict(),
  'audit:transcript': z.object({ runId: id, name: id }).strict(),
  'audit:export': z.object({ ...runReference, format: z.enum(['md', 'html', 'json']) }).strict(),
  'audit:compare': z.object({ a: z.object(runReference).strict(), b: z.object(runReference).strict() }).strict(),
  'audit:teamList': z.object({ environmentId }).strict(),
  'audit:recordings': empty,
  /** A run's transcript (`runId` + `name`), or a host terminal's recording (`recording`, its file name). */
  'audit:facts': z.object({ runIds: z.array(id).max(500) }).strict(),
  'audit:cast': z.union([z.object({ runId: id, name: id }).strict(), z.object({ recording: id }).strict()]),
  'locks:list': z.object({ environmentId }).strict(),
  'locks:break': z.object({ environmentId, host: id, reason: z.string().trim().min(1, 'a reason is required: it is recorded with your name').max(LIMITS.text) }).strict(),
  'approval:list': z.object({ environmentId }).strict(),
  'approval:answer': z
    .object({
      environmentId,
      runId: id,
      step: id,
      decision: z.enum(['approve', 'refuse']),
      reason: z.string().trim().min(1, 'a reason is required: it is journaled with your name').max(LIMITS.text),
    })
    .strict(),
} satisfies Record<string, z.ZodType>;

/** Validates a payload for `name`; the zod issues become one sentence. */
export function parseRequest<Name extends keyof typeof commandRequestSchemas>(
  name: Name,
  payload: unknown,
): { ok: true; value: z.output<(typeof commandRequestSchemas)[Name]> } | { ok: false; message: string } {
  const schema = commandRequestSchemas[name] as z.ZodType;
  const result = schema.safeParse(payload ?? {});
  if (result.success) return { ok: true, value: result.data as z.output<(typeof commandRequestSchemas)[Name]> };
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || 'request'}: ${issue.message}`).join('; ');
  return { ok: false, message: `The request ${name} was refused: ${issues}.` };
}
