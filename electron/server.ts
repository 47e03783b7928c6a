/**
 * Browser mode: the built renderer over http and the api/ contract over a WebSocket, on 127.0.0.1
 * by default. The API socket needs the token printed at start: the page finds it in its URL once,
 * keeps it in sessionStorage and sends it when it opens the socket. The token is never put in a
 * cookie: cookies ignore the port, so the browser would hand it to every other service on
 * 127.0.0.1 (see docs/console.md). The page and its scripts are the public build and carry no
 * secret, so they are served without it. Every request must name this server in its Host header
 * (DNS rebinding), and a socket must come from the page of the address it was opened on. A thin
 * adapter: everything else is ConsoleService.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { defaultServiceOptions } from './app/config';
import { laneOfEvent, laneOfReply, WindowSender } from './app/flow';
import { liveRunsOf } from './app/live-runs';
import type { Result } from './api/contract';
import type { WireMessage, WireRequest } from './api/wire';
import { ConsoleService, toApiError, type ServiceEvent } from './app/service';

/** Largest message a client may send (a paste into a terminal is capped at 64 KiB by the schema). */
const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface ServerOptions {
  service: ConsoleService;
  /** The built renderer (index.html and assets). */
  rendererDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The token (tests); a new random one by default. */
  token?: string;
}

export interface RunningServer {
  /** The URL to open, token included. */
  url: string;
  origin: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** The page's Content-Security-Policy in browser mode (the Electron window sets its own). */
export function browserModeCsp(origin: string): string {
  const socket = origin.replace(/^http/, 'ws');
  return [
    "default-src 'none'",
    // The asciicast player compiles its bundled WebAssembly terminal; no JavaScript eval is allowed.
    "script-src 'self' 'wasm-unsafe-eval'",
    // xterm.js writes <style> elements for its themes and cursor; no script may be inline.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ${socket}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The shape of a client's message, checked before anything uses it: a JSON object with a safe integer
 * `id`. The name and payload are left to ConsoleService.dispatch, which refuses what is not a command
 * of the contract. Returns the reason (a close frame's text) when the message is not a request.
 */
export function parseWireRequest(raw: RawData): WireRequest | string {
  let message: unknown;
  try {
    message = JSON.parse(raw.toString());
  } catch {
    return 'not JSON';
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return 'not a request';
  const { id, name, payload } = message as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) return 'not a request: id must be an integer';
  return { id, name, payload };
}

function sameSecret(given: string | undefined | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `0.0.0.0` and `::`: the server listens on every address of the machine. */
function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** An address as it appears in a URL and a Host header: IPv6 in brackets. */
function hostInUrl(address: string): string {
  return net.isIPv6(address) ? `[${address}]` : address;
}

/**
 * The names a browser may put in the Host header to reach this server: what it listens on, loopback,
 * and, when it listens on every address, each address the machine has now (read at each check: a
 * DHCP lease may change them). Never a DNS name but `localhost`: a rebinding page sends its own.
 */
function allowedHostNames(listen: string): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '[::1]']);
  if (!isWildcard(listen)) {
    names.add(hostInUrl(listen));
    return names;
  }
  for (const entry of Object.values(os.networkInterfaces()).flat()) {
    // A link-local IPv6 address needs a zone (%eth0) that browsers do not send in Host.
    if (entry && !(entry.family === 'IPv6' && entry.address.toLowerCase().startsWith('fe80:'))) names.add(hostInUrl(entry.address));
  }
  return names;
}

/** Whether a Host header names this server (listening on `listen`, port `port`). */
export function isAllowedHost(header: string | undefined, listen: string, port: number): boolean {
  if (!header) return false;
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(header);
  if (!match) return false;
  const [, name, givenPort] = match;
  if ((givenPort === undefined ? 80 : Number(givenPort)) !== port) return false;
  return allowedHostNames(listen).has(name.toLowerCase());
}

/** Starts the server; resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = path.resolve(options.rendererDir);
  const service = options.service;
  let origin = '';
  let port = 0;

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', origin);
    const baseHeaders = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' };
    // DNS rebinding: a page of another site resolving to 127.0.0.1 sends its own Host.
    if (!isAllowedHost(request.headers.host, host, port)) {
      response.writeHead(403, { ...baseHeaders, 'Content-Type': 'text/plain; charset=utf-8' }).end('Forbidden: unexpected Host header.\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...baseHeaders, Allow: 'GET, HEAD' }).end();
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(url.pathname);
    } catch {
      // A malformed escape (/%E0%A4%A) threw out of this handler and took the whole process down.
      response.writeHead(400, { ...baseHeaders, 'Content-Type': 'text/plain; charset=utf-8' }).end('Bad request: malformed URL.\n');
      return;
    }
    const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
    const file = path.resolve(rendererDir, relative);
    if (!file.startsWith(rendererDir + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { ...baseHeaders, 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found.\n');
      return;
    }
    const headers: Record<string, string> = {
      ...baseHeaders,
      'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': browserModeCsp(`http://${request.headers.host}`),
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
    };
    response.writeHead(200, headers);
    response.end(request.method === 'HEAD' ? undefined : readFileSync(file));
  });

  /** Each socket with its sender: run events go ahead of the terminal output waiting for the socket. */
  const sockets = new Map<WebSocket, WindowSender>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  server.on('upgrade', (request, socket: Socket, head) => {
    const url = new URL(request.url ?? '/', origin);
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (!isAllowedHost(request.headers.host, host, port)) return refuse(403, 'Forbidden');
    if (!sameSecret(url.searchParams.get('token'), token)) return refuse(401, 'Unauthorized');
    // Only the page this server served, on the address the socket came to; never another site's page.
    if (request.headers.origin !== `http://${request.headers.host}`) return refuse(403, 'Forbidden');
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws));
  });

  const broadcast = (event: ServiceEvent) => {
    const text = JSON.stringify({ event: event.name, payload: event.payload } satisfies WireMessage);
    const lane = laneOfEvent(event.name);
    for (const [ws, sender] of sockets) if (ws.readyState === ws.OPEN) sender.send(text, lane);
  };
  const unsubscribe = service.onEvent(broadcast);

  let windowCounter = 0;
  function onConnection(ws: WebSocket): void {
    const sender = new WindowSender(
      (text, written) => {
        // A closing socket takes nothing more; what waits is dropped when it has closed.
        if (ws.readyState === ws.OPEN) ws.send(text, () => written());
      },
      () => ws.bufferedAmount,
    );
    sockets.set(ws, sender);
    // Each socket is one window (tab): it acknowledges terminal output for itself.
    const windowId = `socket-${++windowCounter}`;
    service.windowAttached(windowId);
    // ws reports a frame over maxPayload (and other protocol errors) as an 'error' event and closes
    // the socket (1009/1002) itself; without a listener that event was an uncaught exception.
    ws.on('error', () => undefined);
    ws.on('message', (raw: RawData) => {
      const request = parseWireRequest(raw);
      if (typeof request === 'string') {
        ws.close(1008, request);
        return;
      }
      const reply = (result: Result<unknown>) => {
        if (ws.readyState === ws.OPEN) sender.send(JSON.stringify({ id: request.id, result } satisfies WireMessage), laneOfReply(request.name));
      };
      // One client's message must never reject unhandled: Node would end the process, and every run with it.
      service.dispatch(request.name, request.payload, { windowId }).then(reply, (error: unknown) => reply({ ok: false, error: toApiError(error) }));
    });
    ws.on('close', () => {
      sender.clear();
      sockets.delete(ws);
      service.windowDetached(windowId);
      if (sockets.size === 0) service.rendererDetached();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  // On every address, the link names loopback: no browser opens http://0.0.0.0 or http://[::].
  const linkHost = host === '0.0.0.0' ? '127.0.0.1' : isWildcard(host) ? '::1' : host;
  origin = `http://${hostInUrl(linkHost)}:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    async close() {
      unsubscribe();
      for (const ws of sockets.keys()) ws.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** The built renderer of this checkout. */
export const RENDERER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../out/renderer');

/**
 * `npm start` without Electron: serves the console and prints the URL to open. Options:
 * --host ADDRESS (default 127.0.0.1), --port N (default: a free one), --env FILE (repeat).
 */
export async function main(argv: string[], out: (text: string) => void = (text) => process.stdout.write(text)): Promise<RunningServer> {
  let host = '127.0.0.1';
  let port = 0;
  const environmentFiles: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const option = argv[index];
    const value = argv[index + 1];
    if (option === '--host' && value) host = argv[++index];
    else if (option === '--port' && value) port = Number(argv[++index]);
    else if (option === '--env' && value) environmentFiles.push(argv[++index]);
    else throw new Error(`Unknown option ${option}. Options: --host ADDRESS, --port N, --env FILE.`);
  }
  const service = new ConsoleService(defaultServiceOptions({ environmentFiles }));
  const running = await startServer({ service, rendererDir: RENDERER_DIR, host, port });
  if (isWildcard(host)) {
    out(
      `Warning: the console listens on every address of this machine, reachable from other machines at http://<this machine's address>:${running.port}/?token=…; anyone with the link can run runbooks.\n`,
    );
  } else if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    out(`Warning: the console listens on ${host}, reachable from other machines; anyone with the link can run runbooks.\n`);
  }
  out(`OpsDeck console (browser mode): open ${running.url}\nCtrl-C stops it.\n`);
  const stop = async () => {
    await running.close();
    await service.close();
    process.exit(0);
  };
  process.on(
    'SIGINT',
    interruptHandler(() => liveRunsOf(service), stop, out),
  );
  process.once('SIGTERM', () => void stop());
  return running;
}

/**
 * Ctrl-C in browser mode. With no live run it stops the console at once. With live runs the first
 * Ctrl-C names them and stops nothing (a reflex Ctrl-C in the wrong terminal must not abort a
 * maintenance); a second one stops the console, aborting them without rollback.
 */
export function interruptHandler(liveRuns: () => Promise<string[]>, stop: () => Promise<void>, out: (text: string) => void): () => void {
  let warned = false;
  let stopping = false;
  return () => {
    if (stopping) return;
    void liveRuns().then((runs) => {
      if (runs.length > 0 && !warned) {
        warned = true;
        out(
          `\n${runs.length === 1 ? 'A run is' : `${runs.length} runs are`} still live in this console:\n${runs.map((run) => `  ${run}\n`).join('')}` +
            'Stopping the console aborts them (no rollback). Press Ctrl-C again to stop anyway, or finish or abort them in the console first.\n',
        );
        return;
      }
      stopping = true;
      if (runs.length > 0) out(`Stopping: aborting ${runs.join(', ')}.\n`);
      void stop();
    });
  };
}
