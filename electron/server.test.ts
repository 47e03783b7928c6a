/** Browser mode's API needs the token (never in a cookie), and every request is checked for Host and Origin. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConsoleService } from './app/service';
import { BUNDLED_RUNBOOKS_DIR } from './core/inventory/environment';
import { startServer, type RunningServer } from './server';

let work: string;
let service: ConsoleService;
let server: RunningServer;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-server-'));
  const rendererDir = path.join(work, 'renderer');
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>OpsDeck</title>');
  writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(work, 'secret.txt'), 'not for the browser');
  service = new ConsoleService({
    auditDir: path.join(work, 'audit'),
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: path.join(work, 'runbooks'),
    lab: { availability: () => ({ available: false, reason: 'not in tests' }), start: () => Promise.reject(new Error('no lab')) },
  });
  server = await startServer({ service, rendererDir });
});

afterAll(async () => {
  await server?.close();
  await service?.close();
  rmSync(work, { recursive: true, force: true });
});

function get(pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${server.origin}${pathAndQuery}`, { headers }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
      })
      .on('error', reject);
  });
}

/** Opens a socket; resolves with the HTTP status of a refused upgrade, or 101 when it opened. */
function upgrade(query: string, headers: Record<string, string>): Promise<{ status: number; socket?: WebSocket }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${server.origin.replace('http', 'ws')}/api${query}`, { headers });
    socket.on('unexpected-response', (_request, response) => resolve({ status: response.statusCode ?? 0 }));
    socket.on('open', () => resolve({ status: 101, socket }));
    socket.on('error', () => undefined);
  });
}

describe('browser-mode server', () => {
  it('binds 127.0.0.1 and prints a URL with a long random token', () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
    expect(server.url).toBe(`${server.origin}/?token=${server.token}`);
  });

  it('serves the page and its scripts (the public build, no secret in them) with and without the token, never setting a cookie', async () => {
    for (const request of ['/', `/?token=${server.token}`, '/?token=wrong', '/assets/app.js']) {
      const response = await get(request);
      expect(response.status, request).toBe(200);
      expect(response.headers['set-cookie'], request).toBeUndefined();
    }
    const page = await get(`/?token=${server.token}`);
    expect(page.body).toContain('OpsDeck');
    expect(page.body).not.toContain(server.token);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
  });

  it('never serves files outside the renderer directory', async () => {
    const response = await get(`/..%2Fsecret.txt?token=${server.token}`);
    expect(response.status).toBe(404);
    expect(response.body).not.toContain('not for the browser');
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await get(`/?token=${server.token}`, { Host: 'evil.example:80' })).status).toBe(403);
  });

  it('refuses WebSocket upgrades without the token (401) or from another origin (403)', async () => {
    expect((await upgrade('', { Origin: server.origin })).status).toBe(401);
    expect((await upgrade('?token=nope', { Origin: server.origin })).status).toBe(401);
    expect((await upgrade(`?token=${server.token}`, { Origin: 'http://evil.example' })).status).toBe(403);
    // A cookie is no credential (the token never is one): a socket carrying the token only there is refused.
    expect((await upgrade('', { Origin: server.origin, Cookie: `opsdeck_token=${server.token}` })).status).toBe(401);
  });

  it('carries the contract over an authorised socket, validating every payload', async () => {
    const { status, socket } = await upgrade(`?token=${server.token}`, { Origin: server.origin });
    expect(status).toBe(101);
    const replies = new Map<number, unknown>();
    socket!.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as { id?: number; result?: unknown };
      if (message.id !== undefined) replies.set(message.id, message.result);
    });
    socket!.send(JSON.stringify({ id: 1, name: 'lab:status', payload: {} }));
    socket!.send(JSON.stringify({ id: 2, name: 'run:abort', payload: { runId: 'x', reason: '', rollback: 'yes' } }));
    socket!.send(JSON.stringify({ id: 3, name: 'shell:exec', payload: {} }));
    await expect.poll(() => replies.size).toBe(3);
    expect(replies.get(1)).toEqual({ ok: true, value: { available: false, reason: 'not in tests', state: 'stopped' } });
    expect(replies.get(2)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(replies.get(3)).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    socket!.close();
  });
});
