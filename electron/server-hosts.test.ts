/**
 * Outside review (issue 11), item 18: `--host 0.0.0.0` refused every client, since the Host check
 * allowed only the literal `0.0.0.0:port`, which no browser sends. Listening on every address now
 * accepts the machine's own addresses (and loopback names), and still refuses any other name: a DNS
 * rebinding page sends its own.
 */
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
let rendererDir: string;
let service: ConsoleService;

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-server-hosts-'));
  rendererDir = path.join(work, 'renderer');
  mkdirSync(rendererDir, { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>OpsDeck</title>');
  service = new ConsoleService({
    auditDir: path.join(work, 'audit'),
    bundledRunbooksDir: BUNDLED_RUNBOOKS_DIR,
    userRunbooksDir: path.join(work, 'runbooks'),
    lab: { availability: () => ({ available: false, reason: 'not in tests' }), start: () => Promise.reject(new Error('no lab')) },
  });
});

afterAll(async () => {
  await service?.close();
  rmSync(work, { recursive: true, force: true });
});

/** The machine's own IPv4 addresses other than loopback (may be none in a bare container). */
function ownAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((entry): entry is os.NetworkInterfaceInfo => !!entry && entry.family === 'IPv4' && !entry.internal)
    .map((entry) => entry.address);
}

function get(connectTo: string, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: connectTo, port, path: '/', headers: { Host: host } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

function upgrade(connectTo: string, port: number, host: string, origin: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://${connectTo}:${port}/api?token=${token}`, { headers: { Host: host, Origin: origin } });
    socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.on('open', () => {
      socket.close();
      resolve(101);
    });
    socket.on('error', () => undefined);
  });
}

describe.each(['0.0.0.0', '::'])('browser mode listening on every address (--host %s)', (listen) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ service, rendererDir, host: listen });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('prints a link a browser can open (a loopback address, not the wildcard)', () => {
    expect(server.url).toMatch(/^http:\/\/(127\.0\.0\.1|\[::1\]):\d+\/\?token=/);
  });

  it('accepts clients that arrive on loopback and on the machine’s own addresses, page and socket', async () => {
    const port = server.port;
    expect(await get('127.0.0.1', port, `127.0.0.1:${port}`)).toBe(200);
    expect(await get('127.0.0.1', port, `localhost:${port}`)).toBe(200);
    expect(await upgrade('127.0.0.1', port, `127.0.0.1:${port}`, `http://127.0.0.1:${port}`, server.token)).toBe(101);
    if (listen === '::') {
      expect(await get('::1', port, `[::1]:${port}`)).toBe(200);
      expect(await upgrade('[::1]', port, `[::1]:${port}`, `http://[::1]:${port}`, server.token)).toBe(101);
    }
    for (const address of ownAddresses()) {
      expect(await get(address, port, `${address}:${port}`), address).toBe(200);
      expect(await upgrade(address, port, `${address}:${port}`, `http://${address}:${port}`, server.token), address).toBe(101);
    }
  });

  it('still refuses other names (DNS rebinding) and a socket whose Origin is not the address it came to', async () => {
    const port = server.port;
    expect(await get('127.0.0.1', port, `evil.example:${port}`)).toBe(403);
    expect(await get('127.0.0.1', port, `0.0.0.0:${port}`)).toBe(403);
    expect(await get('127.0.0.1', port, `127.0.0.1:${port + 1}`)).toBe(403);
    expect(await get('127.0.0.1', port, `10.255.255.254:${port}`)).toBe(403);
    expect(await upgrade('127.0.0.1', port, `evil.example:${port}`, `http://evil.example:${port}`, server.token)).toBe(403);
    expect(await upgrade('127.0.0.1', port, `127.0.0.1:${port}`, `http://evil.example:${port}`, server.token)).toBe(403);
    expect(await upgrade('127.0.0.1', port, `127.0.0.1:${port}`, `http://127.0.0.1:${port}`, 'wrong')).toBe(401);
  });
});
