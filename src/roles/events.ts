// What runs Catalogue Events: the receiver with its dispatcher and sweep (`serve --role
// events`, and all when FEEDLINE_EVENTS_PUBLIC_KEY_FILE is set), and the queue worker that
// applies them (`feedline worker`, `serve --role worker`, and all, with REDIS_URL).
import { openDatabase, type Database } from '../db/client.js';
import { UsageError } from '../errors.js';
import { createEventDispatcher, startEventSweep, startEventsApplyWorker } from '../events/dispatch.js';
import { loadVerificationKeys, tokenVerifier } from '../events/jwt.js';
import { startEventReceiver } from '../events/receiver.js';
import type { EventApplyOptions } from '../events/apply.js';
import type { BackgroundService, ServeDeps } from './parts.js';

export function eventApplyOptions(deps: Pick<ServeDeps, 'config' | 'alerter'>): EventApplyOptions & { prefix: string } {
  return { source: deps.config.source, enhancedWaitSeconds: deps.config.events.enhancedWaitSeconds, prefix: deps.config.queuePrefix, alerter: deps.alerter };
}

export async function startEventsReceiverService(deps: ServeDeps): Promise<BackgroundService & { port: number }> {
  const { config, logger, db } = deps;
  const settings = config.events;
  if (!settings.publicKeyFile) throw new UsageError('serve --role events needs FEEDLINE_EVENTS_PUBLIC_KEY_FILE (the provider\'s public key)');
  if (Boolean(settings.tlsCertFile) !== Boolean(settings.tlsKeyFile)) throw new UsageError('FEEDLINE_EVENTS_TLS_CERT_FILE and FEEDLINE_EVENTS_TLS_KEY_FILE go together');
  const verify = tokenVerifier(await loadVerificationKeys(settings.publicKeyFile), settings.leewaySeconds);
  const dispatcher = createEventDispatcher(db, deps.redis, eventApplyOptions(deps), logger);
  const storeDb = await receiverStore(deps);
  const closeStore = () => (storeDb === db ? Promise.resolve() : storeDb.close());
  const receiver = await startEventReceiver({
    host: settings.host,
    port: settings.port,
    ...(settings.tlsCertFile && settings.tlsKeyFile ? { tls: { certFile: settings.tlsCertFile, keyFile: settings.tlsKeyFile } } : {}),
    paths: { standard: settings.standardPath, enhanced: settings.enhancedPath },
    verify,
    maxBodyBytes: settings.maxBodyBytes,
    storeTimeoutMs: settings.storeTimeoutMs,
    source: config.source,
    db: storeDb,
    dispatcher,
    logger,
  }).catch(async (err: unknown) => {
    await closeStore();
    throw err;
  });
  const sweep = startEventSweep(db, dispatcher, { intervalMs: settings.sweepSeconds * 1000, olderThanSeconds: settings.sweepSeconds }, logger);
  return {
    port: receiver.port,
    async stop() {
      await receiver.close();
      await sweep.stop();
      await dispatcher.close();
      await closeStore();
    },
  };
}

/**
 * The receiver's own PostgreSQL pool (FEEDLINE_EVENTS_POOL_SIZE): an acknowledgement never
 * waits for a connection the apply, the sweep or the gate holds (docs/design.md invariant 12).
 * The embedded database has one connection for everything.
 */
async function receiverStore({ config, db }: Pick<ServeDeps, 'config' | 'db'>): Promise<Database> {
  if (db.kind !== 'postgres') return db;
  return openDatabase({ databaseUrl: config.databaseUrl, home: config.home, poolSize: config.events.poolSize });
}

/** The events queue's worker; `feedline worker` and `serve --role worker|all` both start it. */
export function startEventsWorkerService(deps: Pick<ServeDeps, 'config' | 'logger' | 'db' | 'redis' | 'alerter'>): BackgroundService {
  if (!deps.redis) throw new Error('the events worker needs Redis');
  const worker = startEventsApplyWorker(deps.db, deps.redis, { ...eventApplyOptions(deps), concurrency: deps.config.events.applyConcurrency }, deps.logger);
  return {
    async stop(graceMs) {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => { timer = setTimeout(() => resolve('expired'), graceMs); });
      const outcome = await Promise.race([worker.close().then(() => 'closed' as const), expired]);
      clearTimeout(timer);
      if (outcome === 'expired') await worker.close(true);
    },
  };
}
