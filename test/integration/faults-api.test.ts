/**
 * FAULT SUITE — hostile or broken API traffic from the renderer side: the browser-mode WebSocket
 * (electron/server.ts) and the dispatch the Electron IPC uses (ConsoleService.dispatch). Malformed,
 * oversized, unknown commands, runs/hosts/terminals that do not exist, path traversal, a request
 * without the token, a page from another origin, a foreign Host. The server must answer each with a
 * readable refusal, never crash, never leak a file's content, and keep serving the real page.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConsoleService } from '../../electron/app/service';
import { BUNDLED_RUNBOOKS_DIR } from '../../electron/core/inventory/environment';
import { startServer, type RunningServer } from '../../electron/server';
import { workDir } from '../faults/helpers';

let work: string;
let service: ConsoleService;
let server: RunningServer;
const SECRET_FILE_CONTENT = 'root:$6$notforthebrowser$abcdef:19000:0:99999:7:::';

beforeAll(async () => {
  work = workDir('api');
  const rendererDir = path.join(work, 'renderer');
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>OpsDeck</title>');
  writeFileSync(path.join(work, 'shadow-like'), SECRET_FILE_CONTENT + '\n');
  service = new ConsoleService({
    auditDir: path.join(work, 'audit'),
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: path.join(work, 'runbooks'),
    environmentsDir: path.join(work, 'environments'),
    lab: { availability: () => ({ available: false, reason: 'fault suite' }), start: () => Promise.reject(new Error('no lab')) },
  });
  server = await startServer({ service, rendererDir });
});

afterAll(async () => {
  await server?.close();
  await service?.close();
  rmSync(work, { recursive: true, force: true });
});

function get(pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${server.origin}${pathAndQuery}`, { headers }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.setTimeout(5000, () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

function open(headers: Record<string, string> = { Origin: '' }, query = `?token=`): Promise<{ status: number; socket?: WebSocket }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${server.origin.replace('http', 'ws')}/api${query}`, { headers });
    socket.on('unexpected-response', (_request, response) => resolve({ status: response.statusCode ?? 0 }));
    socket.on('open', () => resolve({ status: 101, socket }));
    socket.on('error', () => resolve({ status: -1 }));
  });
}

async function authorisedSocket(): Promise<WebSocket> {
  const { status, socket } = await open({ Origin: server.origin }, `?token=${server.token}`);
  expect(status).toBe(101);
  return socket!;
}

/** Sends one raw frame; resolves with the reply to `id`, or the close code if the socket closed. */
function call(socket: WebSocket, raw: string | Buffer, id?: number): Promise<{ reply?: { ok: boolean; error?: { code: string; userMessage: string } }; closed?: number }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString());
      if (message.id === id) {
        socket.off('message', onMessage);
        resolve({ reply: message.result });
      }
    };
    socket.on('message', onMessage);
    socket.once('close', (code) => resolve({ closed: code }));
    socket.send(raw);
  });
}

let nextId = 1;
async function request(name: unknown, payload: unknown) {
  const socket = await authorisedSocket();
  const id = nextId++;
  const result = await call(socket, JSON.stringify({ id, name, payload }), id);
  socket.close();
  return result;
}

async function stillServing(): Promise<void> {
  expect((await get(`/?token=${server.token}`)).status).toBe(200);
  expect((await request('library:list', {})).reply?.ok).toBe(true);
}

describe('fault: hostile API traffic (browser-mode WebSocket and the IPC dispatch)', () => {
  it('refuses a socket without the token (401), from another origin (403), without an Origin (403), with a foreign Host (403)', async () => {
    expect((await open({ Origin: server.origin }, '')).status).toBe(401);
    expect((await open({ Origin: server.origin }, '?token=wrong')).status).toBe(401);
    expect((await open({ Origin: 'https://evil.example' }, `?token=${server.token}`)).status).toBe(403);
    expect((await open({}, `?token=${server.token}`)).status).toBe(403);
    expect((await open({ Origin: server.origin, Host: 'evil.example' }, `?token=${server.token}`)).status).toBe(403);
    expect((await get('/', { Host: 'evil.example' })).status).toBe(403);
    // The page is the public build (the token is needed by the API socket only, see electron/server.ts).
    expect((await get('/')).status).toBe(200);
    await stillServing();
  });

  it('a malformed URL with the token does not crash the server', async () => {
    const result = await get(`/%E0%A4%A?token=${server.token}`).catch((error: Error) => ({ status: -1, body: error.message }));
    console.log(`[faults-api] GET /%E0%A4%A → ${result.status} ${result.body.trim()}`);
    expect([400, 404]).toContain(result.status);
    await stillServing();
  });

  it('path traversal in the URL serves nothing outside the renderer', async () => {
    for (const attempt of ['/../shadow-like', '/..%2fshadow-like', '/%2e%2e/shadow-like', '/assets/..%2f..%2fshadow-like']) {
      const result = await get(`${attempt}?token=${server.token}`);
      expect(result.body).not.toContain('notforthebrowser');
    }
    await stillServing();
  });

  it('closes on frames that are not JSON requests, and keeps serving others', async () => {
    for (const raw of ['not json', '[]', 'null', '{"name":"library:list"}', '{"id":"1","name":"library:list"}', Buffer.from([0xff, 0xfe, 0x00]), '['.repeat(100_000)]) {
      const socket = await authorisedSocket();
      const result = await call(socket, raw);
      expect(result.closed, String(raw).slice(0, 20)).toBe(1008);
    }
    await stillServing();
  });

  it('closes an oversized frame (2 MiB) without reading it into the engine', async () => {
    const socket = await authorisedSocket();
    const result = await call(socket, JSON.stringify({ id: 1, name: 'terminal:write', payload: { terminalId: 'x', data: 'a'.repeat(2 * 1024 * 1024) } }));
    expect(result.closed).toBe(1009);
    await stillServing();
  });

  it('answers unknown commands, bad payloads and things that do not exist with readable errors', async () => {
    const cases: Array<[unknown, unknown, string]> = [
      ['fs:read', { file: '/etc/shadow' }, 'unknown-command'],
      ['__proto__', {}, 'unknown-command'],
      ['constructor', {}, 'unknown-command'],
      [42, {}, 'unknown-command'],
      ['run:abort', { runId: 'x', reason: 'r', rollback: 'maybe' }, 'bad-request'],
      ['run:abort', { runId: 'x', reason: '', rollback: false }, 'bad-request'],
      ['run:start', { runbookId: 'hello-lab', environmentId: '/nope.yaml', params: { ['__proto__']: 'x' }, extra: 1 }, 'bad-request'],
      ['run:plan', { runbookId: 'x'.repeat(10_000), environmentId: 'e', params: {} }, 'bad-request'],
      ['terminal:write', { terminalId: 'x', data: 'a'.repeat(70_000) }, 'bad-request'],
      ['terminal:ack', { terminalId: 'x', chars: -1 }, 'bad-request'],
      ['run:confirm', { runId: 'no-such-run', step: 's', text: 't' }, 'run-not-found'],
      ['run:decide', { runId: '../../etc', step: 's', choice: 'c' }, 'run-not-found'],
      ['run:resume', { runId: 'no-such-run' }, 'run-not-found'],
      ['terminal:write', { terminalId: 'no-such-terminal', data: 'ls\n' }, 'terminal-not-found'],
      ['terminal:close', { terminalId: 'no-such-terminal' }, ''],
      ['audit:show', { runId: 'no-such-run' }, ''],
      ['audit:transcript', { runId: 'no-such-run', name: '../../../../etc/passwd' }, ''],
      ['hosts:check', { environmentId: '/no/such/env.yaml' }, ''],
      ['terminal:open', { environmentId: '/no/such/env.yaml', host: 'compute01', cols: 80, rows: 24 }, ''],
      ['run:plan', { runbookId: 'no-such-runbook', environmentId: '/no/such/env.yaml', params: {} }, ''],
      ['environment:open', { file: path.join(work, 'shadow-like') }, ''],
      ['environment:open', { file: '/proc/self/environ' }, ''],
    ];
    const seen: string[] = [];
    for (const [name, payload, code] of cases) {
      const { reply, closed } = await request(name, payload);
      seen.push(`${String(name)} → ${closed ? `closed ${closed}` : reply?.ok ? 'ok' : `${reply?.error?.code}: ${reply?.error?.userMessage.slice(0, 110)}`}`);
      expect(closed, String(name)).toBeUndefined();
      if (name === 'terminal:close') continue; // closing what is already closed may answer ok
      expect(reply?.ok, `${String(name)} ${JSON.stringify(payload).slice(0, 80)}`).toBe(false);
      if (code) expect(reply?.error?.code).toBe(code);
      expect(reply?.error?.userMessage.length).toBeGreaterThan(10);
      expect(reply?.error?.userMessage).not.toContain('notforthebrowser');
      expect(reply?.error?.userMessage).not.toMatch(/PATH=|HOME=\//);
    }
    console.log(`[faults-api]\n  ${seen.join('\n  ')}`);
    await stillServing();
  });

  it('answers 500 pipelined requests on one socket, in bounded time', async () => {
    const socket = await authorisedSocket();
    const replies = new Set<number>();
    const done = new Promise<void>((resolve) =>
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString());
        if (typeof message.id === 'number') replies.add(message.id);
        if (replies.size === 500) resolve();
      }),
    );
    const started = Date.now();
    for (let i = 0; i < 500; i++) socket.send(JSON.stringify({ id: 10_000 + i, name: i % 2 ? 'run:list' : 'nope:nope', payload: {} }));
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    console.log(`[faults-api] 500 pipelined requests answered: ${replies.size} in ${Date.now() - started} ms`);
    expect(replies.size).toBe(500);
    socket.close();
  });

  it('the IPC dispatch refuses the same payloads (Electron path: ConsoleService.dispatch)', async () => {
    expect(await service.dispatch('fs:read', { file: '/etc/shadow' })).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    expect(await service.dispatch('run:abort', null)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await service.dispatch('run:abort', 'x')).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await service.dispatch('run:confirm', { runId: 'nope', step: 's', text: 't' })).toMatchObject({ ok: false, error: { code: 'run-not-found' } });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await service.dispatch('library:list', cyclic)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });
});
