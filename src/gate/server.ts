// The gate's HTTP server: plain node:http, because its endpoints sit in the path of every
// play and a framework's per-request work showed in the tail latency. Every route but
// /healthz needs a caller's bearer token and is rate limited per caller. Nothing is logged
// per request; errors are logged without the request's token or URI.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import type { Callers } from './callers.js';
import type { Reply } from './endpoints.js';

export interface GateRequest {
  caller: string;
  headers: IncomingMessage['headers'];
  /** Parsed JSON for routes that take a body. */
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  /** The largest body accepted, in bytes; 0 for none. */
  maxBodyBytes: number;
  handle(request: GateRequest): Promise<Reply>;
}

export interface GateServer {
  port: number;
  close(): Promise<void>;
}

export async function startGateServer(options: { host: string; port: number; routes: Route[]; callers: Callers; logger: Logger; now: () => number; health: () => Record<string, unknown> }): Promise<GateServer> {
  const routes = new Map(options.routes.map((r) => [`${r.method} ${r.path}`, r]));
  const { callers, logger } = options;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const question = req.url?.indexOf('?') ?? -1;
    const path = question >= 0 ? req.url!.slice(0, question) : req.url ?? '/';
    if (path === '/healthz') return send(res, { status: 200, body: { ok: true, ...options.health() } });
    const route = routes.get(`${req.method} ${path}`);
    if (!route) return send(res, { status: 404, body: { error: 'no such endpoint' } });
    const caller = callers.identify(req.headers.authorization);
    if (!caller) {
      res.setHeader('www-authenticate', 'Bearer');
      return send(res, { status: 401, body: { error: 'a bearer token of a configured calling service is required' } });
    }
    if (!callers.admit(caller, options.now())) {
      res.setHeader('retry-after', '1');
      return send(res, { status: 429, body: { error: 'rate limit exceeded' } });
    }
    let body: unknown;
    if (route.maxBodyBytes > 0) {
      const text = await readBody(req, route.maxBodyBytes);
      if (text === undefined) return send(res, { status: 413, body: { error: `the body is over ${route.maxBodyBytes} bytes` } });
      try {
        body = JSON.parse(text);
      } catch {
        return send(res, { status: 400, body: { error: 'the body is not JSON' } });
      }
    }
    send(res, await route.handle({ caller, headers: req.headers, body }));
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, method: req.method, path: req.url?.split('?')[0] }, 'gate request failed');
      if (!res.headersSent) send(res, { status: 503, body: { error: 'the gate cannot decide now' } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}

function send(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
