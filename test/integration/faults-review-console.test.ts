/**
 * Outside review (issue 11), item 4: one WebSocket message used to kill browser mode and every run
 * in it. `{"id":1,"name":{"toString":1},"payload":{}}` made dispatch call String() on an object whose
 * toString is not a function; the rejection was unhandled in server.ts and Node ended the process.
 * The server runs in its own process (test/faults/serve.mjs), as `npm start` runs it, so a crash is
 * a real crash; a run is held at a manual step on the real sshd lab while the hostile frames arrive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { header, startFaultLab, workDir } from '../faults/helpers';
import type { SshLab } from '../lab/sshd-lab';

const ROOT = path.resolve(import.meta.dirname, '../..');

let lab: SshLab;
let work: string;
let serverProcess: ChildProcess | undefined;
let server: { url: string; origin: string; token: string };

beforeAll(async () => {
  lab = await startFaultLab();
  work = workDir('review-console');
  mkdirSync(path.join(work, 'runbooks'), { recursive: true });
  writeFileSync(
    path.join(work, 'runbooks', 'survive.yaml'),
    `${header('survive')}steps:\n` +
      '  - { id: hold, title: Hold, manual: "Wait here while hostile frames arrive." }\n' +
      '  - { id: after, title: After, on: controller01, run: "echo survived" }\n',
  );
  serverProcess = spawn(process.execPath, [path.join(ROOT, 'test/faults/serve.mjs'), work, lab.envFile], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let line = '';
  await new Promise<void>((resolve, reject) => {
    serverProcess!.stdout!.on('data', (chunk) => {
      line += chunk;
      if (line.includes('\n')) resolve();
    });
    serverProcess!.once('exit', (code) => reject(new Error(`browser-mode server exited ${code}`)));
  });
  server = JSON.parse(line.split('\n')[0]);
}, 120_000);

afterAll(async () => {
  if (serverProcess?.pid && serverProcess.exitCode === null) {
    const exited = new Promise((resolve) => serverProcess!.once('exit', resolve));
    process.kill(serverProcess.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (serverProcess.exitCode === null) process.kill(serverProcess.pid, 'SIGKILL');
  }
  await lab?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Reply {
  ok: boolean;
  value?: unknown;
  error?: { code: string; userMessage: string };
}

/** An authorised socket that collects every frame it receives. */
async function socket(): Promise<{ ws: WebSocket; frames: string[]; closed: Promise<number> }> {
  const ws = new WebSocket(`${server.origin.replace('http', 'ws')}/api?token=${server.token}`, { headers: { Origin: server.origin } });
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(data.toString()));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, frames, closed };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    if (serverProcess?.exitCode !== null) throw new Error(`the browser-mode server died (exit ${serverProcess?.exitCode}) while waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function reply(frames: string[], id: number): Reply | undefined {
  for (const frame of frames) {
    const message = JSON.parse(frame) as { id?: number; result?: Reply };
    if (message.id === id) return message.result;
  }
  return undefined;
}

async function call(connection: { ws: WebSocket; frames: string[] }, id: number, name: string, payload: unknown): Promise<Reply> {
  connection.ws.send(JSON.stringify({ id, name, payload }));
  await waitFor(() => reply(connection.frames, id) !== undefined, `the reply to ${name}`);
  return reply(connection.frames, id)!;
}

describe('review item 4: a hostile WebSocket message', () => {
  it('neither kills browser mode nor the run in it, and the sender gets a readable refusal', async () => {
    const operator = await socket();
    const started = await call(operator, 1, 'run:start', { runbookId: 'survive', environmentId: lab.envFile, params: {}, onFailure: 'stop' });
    expect(started.ok, JSON.stringify(started)).toBe(true);
    const runId = (started.value as { runId: string }).runId;
    await waitFor(() => operator.frames.some((frame) => frame.includes('step.awaiting') && frame.includes(runId)), 'the run to wait at its manual step');

    // The reviewer's frame, then its relatives: every one is answered or refused, none kills anything.
    const hostileFrames = [
      '{"id":1,"name":{"toString":1},"payload":{}}',
      '{"id":2,"name":{"toString":null,"valueOf":null},"payload":{}}',
      '{"id":3,"name":["run:list"],"payload":{}}',
      '{"id":4,"name":null}',
      '{"id":5,"name":"run:list","payload":{"toString":1}}',
      '{"id":6,"name":"__proto__","payload":{}}',
      '{"id":{"toString":1},"name":"run:list","payload":{}}',
      '{"id":1e400,"name":"run:list","payload":{}}',
      '{"name":{"toString":1}}',
      '[{"id":7,"name":{"toString":1}}]',
    ];
    for (const frame of hostileFrames) {
      const attacker = await socket();
      attacker.ws.send(frame);
      // Either a refusal naming the problem, or the socket closed as a policy violation; never silence.
      await Promise.race([attacker.closed, waitFor(() => attacker.frames.some((text) => JSON.parse(text).id !== undefined), `an answer to ${frame}`)]);
      const answered = attacker.frames.map((text) => JSON.parse(text) as { id?: number; result?: Reply }).find((message) => message.id !== undefined);
      if (answered) {
        expect(answered.result?.ok, frame).toBe(false);
        expect(answered.result?.error?.userMessage, frame).toMatch(/\w/);
      }
      attacker.ws.terminate();
    }

    // The server still serves, the operator's socket is still open, the run still waits and then finishes.
    expect(serverProcess!.exitCode).toBeNull();
    expect(operator.ws.readyState).toBe(WebSocket.OPEN);
    const listed = await call(operator, 2, 'run:list', {});
    expect(listed.ok).toBe(true);
    expect(JSON.stringify(listed.value)).toContain(runId);
    const done = await call(operator, 3, 'run:completeManual', { runId, step: 'hold', outcome: 'done' });
    expect(done.ok, JSON.stringify(done)).toBe(true);
    await waitFor(() => operator.frames.some((frame) => frame.includes('run.finished') && frame.includes(runId)), 'the run to finish');
    const finished = operator.frames.map((frame) => JSON.parse(frame)).find((message) => message.payload?.event?.type === 'run.finished' && message.payload.runId === runId);
    expect(finished.payload.event.status).toBe('succeeded');
    operator.ws.close();
  });

  it('refuses a message whose name is not a string of the contract with a sentence, not with String() of it', async () => {
    const connection = await socket();
    connection.ws.send('{"id":9,"name":{"toString":1},"payload":{}}');
    await waitFor(() => reply(connection.frames, 9) !== undefined, 'the refusal');
    expect(reply(connection.frames, 9)).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    expect(reply(connection.frames, 9)!.error!.userMessage).toMatch(/name must be one of the console's commands/);
    connection.ws.close();
  });
});
