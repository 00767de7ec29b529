// What `feedline serve` runs besides its own parts, registered here so that each concern
// adds itself without editing serve.ts: HTTP routers for the api role (metrics, dashboard,
// queue board) and background services for the scheduler role (the SLA sweep). The gate and
// Catalogue Events roles are ./gate.ts and ./events.ts. roles/ sits over the folders whose
// parts it assembles, under cli/ alone.
import type { RedisConnection } from '../queue/redis.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import type { MountedRouter } from '../http/server.js';
import type { Logger } from '../log.js';
import { createSlaRoutes } from '../http/sla-routes.js';
import type { Alerter } from '../sla/alerts.js';
import { startSlaService } from '../sla/service.js';
import { startDdexService } from '../ingest/ddex-drop.js';

export interface ServeDeps {
  config: Config;
  logger: Logger;
  db: Database;
  /** Undefined without REDIS_URL. */
  redis: RedisConnection | undefined;
  alerter: Alerter;
}

export interface BackgroundService {
  /** Stop taking work; finish what is in hand within `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

/** Routers mounted by the api role, in order, after /healthz and /readyz. */
export const ROUTERS: ((deps: ServeDeps) => MountedRouter | Promise<MountedRouter>)[] = [
  // The SLA page at /, /metrics and bull-board at /admin/queues, behind dashboard auth;
  // refuses (exit 2) a non-loopback FEEDLINE_HTTP_HOST without credentials.
  (deps) => ({ path: '/', router: createSlaRoutes(deps).router }),
];

/** Services started by the scheduler role, stopped in reverse order on SIGTERM. */
export const SCHEDULER_SERVICES: ((deps: ServeDeps) => BackgroundService | Promise<BackgroundService>)[] = [
  // The SLA sweep (FEEDLINE_SLA_SWEEP_CRON) and the worker running the delayed SLA timers.
  (deps) => startSlaService(deps),
  // DDEX: complete batches in FEEDLINE_DDEX_DROP_DIR, and deal ends and starts come due.
  (deps) => startDdexService(deps),
];
