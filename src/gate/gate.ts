// Assembles one gate process: the availability view and its notification channel, the URL
// signer, the nonce store, the callers, and the HTTP server. `serve --role gate` starts one
// per process (src/gate/cluster.ts); tests start several against one database to race them.
import type { RedisConnection } from '../queue/redis.js';
import type { Config } from '../config/schema.js';
import { gateStartProblems } from '../config/gate.js';
import type { Database } from '../db/client.js';
import { loadTrackFacts } from '../db/gate.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { startPeriodic } from '../periodic.js';
import { systemClock } from '../clock.js';
import { createCallers } from './callers.js';
import { authorize, ORIGINAL_URI_HEADER, playback, type DecisionDeps } from './endpoints.js';
import { postgresNonces, redisNonces } from './nonces.js';
import { listenForChanges, type NotificationChannel } from './notifications.js';
import { startGateServer, type Route } from './server.js';
import { createSigner } from './signing.js';
import { createAvailabilityView, type AvailabilityView } from './view.js';

/** Expired nonces are pruned from PostgreSQL this often (Redis expires them itself). */
const NONCE_PRUNE_INTERVAL_MS = 10 * 60 * 1000;
const PLAYBACK_BODY_BYTES = 4 * 1024;

export interface GateDeps {
  config: Config;
  logger: Logger;
  db: Database;
  redis: RedisConnection | undefined;
  /** Milliseconds since the epoch; tests move it. */
  now?: () => number;
  /** Extra routes (the play log) mounted beside the decisions. */
  routes?: Route[];
  /** How many processes share the caller's rate limit on this host. */
  processes?: number;
}

export interface Gate {
  port: number;
  view: AvailabilityView;
  close(): Promise<void>;
}

export async function startGate(deps: GateDeps): Promise<Gate> {
  const { config, logger, db } = deps;
  const gate = config.gate;
  const problems = gateStartProblems(gate);
  if (problems.length > 0) throw new UsageError(`the playback gate cannot start:\n  ${problems.join('\n  ')}`);
  const now = deps.now ?? (() => systemClock().getTime());
  const log = logger.child({ component: 'gate' });

  const view = createAvailabilityView((source, trackId) => loadTrackFacts(db.orm, source, trackId));
  let channel: NotificationChannel | undefined;
  if (config.databaseUrl) {
    channel = await listenForChanges(config.databaseUrl, view, log);
    view.attach(channel);
  } else {
    log.warn('no DATABASE_URL: the embedded database sends no notifications, so every decision reads it');
  }
  const nonces = deps.redis ? redisNonces(deps.redis, config.queuePrefix) : postgresNonces(db);
  const pruning = startPeriodic({ name: 'pruning expired nonces', schedule: { everyMs: NONCE_PRUNE_INTERVAL_MS }, run: () => nonces.prune(now()), logger: log, failureLevel: 'warn', runAtStart: false, unref: true });

  const decisionDeps: DecisionDeps = {
    view,
    signer: createSigner({ keys: gate.keys, signingKeyId: gate.signingKeyId!, mediaBaseUrl: gate.mediaBaseUrl!, ttlSeconds: gate.urlTtlSeconds, skewSeconds: gate.clockSkewSeconds }),
    nonces,
    defaultSource: config.source,
    skewSeconds: gate.clockSkewSeconds,
    now,
  };
  const routes: Route[] = [
    { method: 'POST', path: '/v1/playback', maxBodyBytes: PLAYBACK_BODY_BYTES, handle: (r) => playback(decisionDeps, r.body) },
    { method: 'GET', path: '/v1/stream/authorize', maxBodyBytes: 0, handle: (r) => authorize(decisionDeps, headerValue(r.headers[ORIGINAL_URI_HEADER])) },
    ...(deps.routes ?? []),
  ];
  const callers = createCallers(gate.callers, Math.max(1, gate.rateLimitPerSecond / (deps.processes ?? 1)));
  let server;
  try {
    server = await startGateServer({ host: gate.host, port: gate.port, routes, callers, logger: log, now,
      // Where decisions come from: "memory" (the view) or "database" (channel lost, or PGlite).
      health: () => ({ pid: process.pid, decisions: view.healthy() ? 'memory' : 'database', tracksInMemory: view.size() }) });
  } catch (err) {
    await pruning.stop();
    await channel?.close();
    throw err;
  }
  const started = server;
  return {
    port: started.port,
    view,
    async close() {
      await pruning.stop();
      await started.close();
      await channel?.close();
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
