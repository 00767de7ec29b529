// The operator's HTTP surface for the SLA: the SLA page at `/`, Prometheus metrics at
// `/metrics`, and bull-board at `/admin/queues`, all behind one authentication check
// (src/http/auth.ts) with its login page (src/http/login.ts). Built as one express Router
// for `feedline serve --role api` to mount.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type Router } from 'express';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../log.js';
import type { RedisConnection } from '../queue/redis.js';
import { createQueue, QUEUE_NAMES } from '../queue/wiring.js';
import { assertSafeToServe, requireAuth, type Viewer } from './auth.js';
import { renderDashboard } from './dashboard.js';
import { DASHBOARD_SCRIPT, DASHBOARD_SCRIPT_PATH } from './dashboard-script.js';
import { createLoginRoutes } from './login.js';
import { createMetricsRegistry } from './metrics.js';
import { securityHeaders } from './security-headers.js';

export const BULL_BOARD_PATH = '/admin/queues';

export interface SlaRoutesDeps {
  config: Config;
  db: Database;
  redis: RedisConnection | undefined;
  logger: Logger;
  now?: () => Date;
}

export interface SlaRoutes {
  router: Router;
  close(): Promise<void>;
}

/**
 * Throws (a UsageError, exit 2) when the configured address is reachable from outside and
 * no credentials are configured: the server must not start like that.
 */
export function createSlaRoutes(deps: SlaRoutesDeps, options: { mountPath?: string } = {}): SlaRoutes {
  const { config, db } = deps;
  assertSafeToServe(config.http);
  const log = deps.logger.child({ component: 'dashboard' });
  const queues = deps.redis ? QUEUE_NAMES.map((name) => createQueue({ connection: deps.redis!, prefix: config.queuePrefix }, name)) : [];
  const registry = createMetricsRegistry({ db, sla: config.sla, queues, now: deps.now });

  const router = express.Router();
  router.use(securityHeaders);
  router.use(createLoginRoutes(config.http, deps.logger));
  router.use(requireAuth(config.http));
  router.get(DASHBOARD_SCRIPT_PATH, (_req, res) => {
    res.type('text/javascript').send(DASHBOARD_SCRIPT);
  });
  router.get('/', async (_req, res) => {
    const viewer = res.locals.viewer as Viewer;
    const html = await renderDashboard({ db, sla: config.sla, source: config.source, feeds: config.provider.feeds, now: deps.now, viewer });
    res.type('html').setHeader('Cache-Control', 'no-store');
    res.send(html);
  });
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  if (queues.length > 0) {
    const basePath = `${(options.mountPath ?? '').replace(/\/$/, '')}${BULL_BOARD_PATH}`;
    // Two boards on one path: read-only for everyone, and one that can retry, promote and
    // clean jobs for the configured admin user (FEEDLINE_DASHBOARD_ADMIN_USER) only.
    const board = (readOnlyMode: boolean) => {
      const adapter = new ExpressAdapter();
      adapter.setBasePath(basePath);
      // @bull-board/express 9.10.1 carries its own copy of @bull-board/api 9.10.1 beside our
      // 9.10.2; the adapter contract is the same, only the private fields' declarations differ.
      type ServerAdapter = Parameters<typeof createBullBoard>[0]['serverAdapter'];
      createBullBoard({
        queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode })),
        serverAdapter: adapter as unknown as ServerAdapter,
        options: { uiConfig: { boardTitle: readOnlyMode ? 'feedline queues (read-only)' : 'feedline queues (admin)' } },
      });
      // The adapter's router is an Express app of its own, which names its framework unless told not to.
      const app = adapter.getRouter() as express.Express;
      app.disable('x-powered-by');
      return app;
    };
    const readOnlyBoard = board(true);
    const adminBoard = board(false);
    router.use(BULL_BOARD_PATH, (req, res, next) => ((res.locals.viewer as Viewer).role === 'admin' ? adminBoard : readOnlyBoard)(req, res, next));
  } else {
    router.get(BULL_BOARD_PATH, (_req, res) => {
      res.status(404).type('text/plain').send('no queues: REDIS_URL is not set, batches are applied in-process\n');
    });
  }
  log.debug({ queues: queues.map((q) => q.name) }, 'sla routes ready');
  return {
    router,
    close: async () => {
      await Promise.all(queues.map((q) => q.close()));
    },
  };
}
