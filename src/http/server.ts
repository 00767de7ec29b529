// The HTTP surface of `feedline serve --role api|all`: an express 5 app with /healthz and
// /readyz, onto which other parts mount their routers (metrics, dashboards, queue board).
// Each router arrives already built with its own auth; this file knows none of them.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from '../log.js';
import type { Readiness } from './health.js';
import { securityHeaders } from './security-headers.js';

/** A router and where it is mounted, e.g. `{ path: '/metrics', router }`. */
export interface MountedRouter {
  path: string;
  router: Router | express.RequestHandler;
}

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  logger: Logger;
  /** Readiness probe behind /readyz (src/http/health.ts checkReadiness). */
  readiness: () => Promise<Readiness>;
  /** Mounted after /healthz and /readyz, in order. */
  routers?: readonly MountedRouter[];
}

export interface HttpServer {
  app: Express;
  /** http://host:port, with the port actually bound. */
  url: string;
  port: number;
  /** Stops accepting connections, ends idle ones, waits for requests in flight. */
  close(): Promise<void>;
}

export function createHttpApp(options: Omit<HttpServerOptions, 'host' | 'port'>): Express {
  const log = options.logger.child({ component: 'http' });
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const readiness = await options.readiness();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  for (const mounted of options.routers ?? []) app.use(mounted.path, mounted.router);
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    log.error({ err, path: req.path }, 'request failed');
    if (!res.headersSent) res.status(500).json({ error: 'internal error' });
  });
  return app;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const app = createHttpApp(options);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port, options.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  options.logger.info({ url }, 'http server listening');
  return {
    app,
    url,
    port,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeIdleConnections();
    }),
  };
}
