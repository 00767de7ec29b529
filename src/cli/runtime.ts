// What a command runs on: config, logger, database (migrated), Redis when configured.
// Resources register a closer as they open and close in reverse order.
import type { RedisConnection } from '../queue/redis.js';
import type { Config } from '../config/schema.js';
import { openDatabase, type Database } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import { refusal } from '../db/refusals.js';
import { UnreachableError, UsageError, isConnectionError } from '../errors.js';
import { describeUrl } from '../config/load.js';
import { outlastOutage } from '../db/outage.js';
import type { Logger } from '../log.js';
import { openRedis } from '../queue/redis.js';
import { runOutage } from '../ingest/lifecycle.js';
import { inlineSink, queueSink, type BatchSink } from '../queue/sink.js';
import { runTimers, type RunTimers } from '../sla/timers.js';

export interface Runtime {
  config: Config;
  logger: Logger;
  db: Database;
  redis: RedisConnection | undefined;
  /** Registers a resource to close, after everything opened later. */
  defer(close: () => Promise<unknown> | unknown): void;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  redis: 'if-configured' | 'required' | 'never';
  poolSize?: number;
  /**
   * A long-running process (worker, serve) started while PostgreSQL restarts waits it out
   * as a running one does (src/db/outage.ts), rather than exit; a command exits 5 at once.
   */
  outlastOutage?: boolean;
}

export async function openRuntime(config: Config, logger: Logger, options: RuntimeOptions): Promise<Runtime> {
  const closers: (() => Promise<unknown> | unknown)[] = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) {
      try {
        await closer();
      } catch (err) {
        logger.warn({ err }, 'error while closing');
      }
    }
  };
  try {
    const open = () => openMigrated(config, options.poolSize);
    const db = options.outlastOutage && config.databaseUrl
      ? await outlastOutage({ where: describeUrl(config.databaseUrl) }, runOutage({ config, logger }), () => open().catch(unwrapUnreachable))
      : await open();
    closers.push(() => db.close());
    let redis: RedisConnection | undefined;
    if (options.redis === 'required' && !config.redisUrl) {
      throw new UsageError('REDIS_URL is not set: this command needs the queue');
    }
    if (options.redis !== 'never' && config.redisUrl) {
      const connected = await openRedis(config.redisUrl, options.redis === 'required' ? 'worker' : 'producer');
      redis = connected;
      closers.push(() => connected.quit());
    }
    return { config, logger, db, redis, defer: (c) => closers.push(c), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The database, migrated (one process at a time: src/db/migrate.ts); closed again if migrating fails. */
async function openMigrated(config: Config, poolSize: number | undefined): Promise<Database> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, home: config.home, poolSize });
  try {
    await migrate(db);
    return db;
  } catch (err) {
    await db.close().catch(() => {});
    // A role that may connect but not create tables: configuration, said in words.
    throw (config.databaseUrl && refusal(err, config.databaseUrl, db.where)) || err;
  }
}

/** A refused connection, not the UnreachableError made of it, so outlastOutage tries again. */
function unwrapUnreachable(err: unknown): never {
  throw err instanceof UnreachableError && err.service === 'PostgreSQL' && isConnectionError(err.cause) ? err.cause : err;
}

/** The queue when Redis is configured, otherwise the in-process apply. */
export function batchSink(runtime: Runtime): BatchSink {
  const { config } = runtime;
  return runtime.redis
    ? queueSink(runtime.redis, { prefix: config.queuePrefix, attempts: config.jobAttempts, maxQueued: config.maxQueuedBatches })
    : inlineSink(runtime.db, runOutage(runtime));
}

/**
 * The SLA timers every registered run gets when Redis is configured (src/sla/timers.ts),
 * closed with the runtime; without Redis, none: the SLA sweep alone keeps the clock.
 */
export function slaTimers(runtime: Runtime): RunTimers | undefined {
  if (!runtime.redis) return undefined;
  const timers = runTimers(runtime.redis, { prefix: runtime.config.queuePrefix, sla: runtime.config.sla });
  runtime.defer(() => timers.close());
  return timers;
}
