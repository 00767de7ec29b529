import os from 'node:os';
import type { Logger } from '../log.js';
import { recoverRunsOnce } from '../ingest/recover.js';
import { createAlerter } from '../sla/alerts.js';
import { createApplyQueue, queueSink } from '../queue/sink.js';
import { startEventsWorkerService } from '../roles/events.js';
import { startAlertingApplyWorker } from './apply-worker.js';
import { closeWithin } from './close-within.js';
import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp } from './output.js';
import { openRuntime, type Runtime } from './runtime.js';
import { startPeriodic } from '../periodic.js';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run apply workers: take batches and Catalogue Events from the queues and apply them',
  help: `Usage: feedline worker [--concurrency N]

Needs DATABASE_URL and REDIS_URL. Applies feed batches and the Catalogue Events the
receiver (serve --role events) queued. Run as many processes as you like. Every
FEEDLINE_RECOVERY_INTERVAL_MS (15 s) one of
them (whichever holds the lock) re-enqueues batches that PostgreSQL says are unfinished but
the queue no longer has (Redis lost or flushed), from the raw archive (FEEDLINE_ARCHIVE), and
resumes runs whose parser died. On SIGTERM or SIGINT it stops taking batches, finishes the
ones in hand and exits 0.

Options:
  --concurrency N   batches applied at once by this process (default FEEDLINE_WORKER_CONCURRENCY)`,
  async run(argv, ctx) {
    const { values } = parseCommand('worker', argv, { concurrency: { type: 'string' } }, { min: 0, max: 0 });
    if (values.help) return printHelp(ctx, this.help);
    const concurrency = Number(values.concurrency ?? ctx.config.workerConcurrency);
    lowerPriority(ctx.config.workerNice, ctx.logger);
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'required', poolSize: concurrency + 2, outlastOutage: true });
    try {
      const alerter = createAlerter({ db: runtime.db, logger: ctx.logger, webhooks: ctx.config.webhooks });
      const worker = startAlertingApplyWorker(runtime, alerter, ctx.logger, concurrency);
      const events = startEventsWorkerService({ ...runtime, logger: ctx.logger, alerter });
      ctx.logger.info({ concurrency, database: runtime.db.where }, 'worker started');
      const stopRecovery = startRecoveryLoop(runtime, ctx.logger);
      const signal = await ctx.stopping;
      ctx.logger.info({ signal }, 'worker stopping: finishing batches in hand');
      await stopRecovery();
      // Past the grace period a batch in hand is left to the queue (its lock lapses, another worker takes it).
      await Promise.all([
        closeWithin(worker.close(), ctx.config.shutdownGraceMs, () => worker.close(true)),
        events.stop(ctx.config.shutdownGraceMs),
      ]);
      await alerter.idle();
      return 0;
    } finally {
      await runtime.close();
    }
  },
};

/**
 * Gives this process the niceness FEEDLINE_WORKER_NICE asks, so a receiver sharing its cores
 * answers the provider first (README "Catalogue Events"); only the Node process, not PostgreSQL.
 */
export function lowerPriority(nice: number, logger: Logger): void {
  if (nice <= 0) return;
  try {
    os.setPriority(nice);
  } catch (err) {
    logger.warn({ err, nice }, 'worker priority not lowered');
  }
}

/** Periodic recovery, one process at a time; returns a function that stops it. */
export function startRecoveryLoop(runtime: Runtime, logger: Logger): () => Promise<void> {
  const { config, db, redis } = runtime;
  const queue = createApplyQueue(redis!, config.queuePrefix);
  const sink = queueSink(redis!, { prefix: config.queuePrefix, attempts: config.jobAttempts, maxQueued: config.maxQueuedBatches });
  const log = logger.child({ component: 'recovery' });
  const recovery = startPeriodic({
    name: 'recovery',
    schedule: { everyMs: config.recoveryIntervalMs },
    run: () => recoverRunsOnce({ config, db, sink, logger }, queue),
    logger: log,
    failureLevel: 'warn',
  });
  return async () => {
    await recovery.stop();
    await sink.close();
    await queue.close();
  };
}
