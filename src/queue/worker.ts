// An apply worker: takes batch jobs from the queue and applies them. Any number may run,
// in any number of processes; the version guard and the batch ledger make that safe.
import { UnrecoverableError, type Job, type Worker } from 'bullmq';
import type { Database } from '../db/client.js';
import { applyBatch, applyBatchRowByRow, type BatchOutcome } from '../apply/batch.js';
import { logRunFinish, recordBatchFailure } from '../db/runs.js';
import { isConnectionError, isUnrecoverable } from '../errors.js';
import type { Logger } from '../log.js';
import type { BatchJob } from '../catalogue/batch.js';
import { claimRows, dropRows } from './payloads.js';
import type { RedisConnection } from './redis.js';
import { createWorker, QUEUES } from './wiring.js';

export interface ApplyWorkerOptions {
  prefix: string;
  concurrency: number;
  /** How long a job's lock lasts without renewal: a killed worker's batch waits this long (default 30 s). */
  lockDurationMs?: number;
  /** Told when a batch had to be applied row by row (for alerting). */
  onPoisonBatch?: (job: BatchJob, quarantined: number) => void;
}

/** BullMQ's own class fails a job now, without the retries left: for a non-retryable error. */
function forBullMQ(err: unknown): unknown {
  return isUnrecoverable(err) ? new UnrecoverableError(err.message) : err;
}

export function startApplyWorker(db: Database, redis: RedisConnection, logger: Logger, options: ApplyWorkerOptions): Worker<BatchJob> {
  const log = logger.child({ component: 'apply-worker' });
  const worker = createWorker<BatchJob>({ connection: redis, prefix: options.prefix }, QUEUES.apply, async (job: Job<BatchJob>) => {
    const { runId, seq } = job.data;
    const started = performance.now();
    // Rows that cannot be read never reach the row-by-row fallback below.
    const batch = await claimRows(redis, job.data).catch((err: unknown) => {
      throw forBullMQ(err);
    });
    let outcome: BatchOutcome;
    try {
      outcome = await applyBatch(db, batch);
    } catch (err) {
      if (isUnrecoverable(err)) throw forBullMQ(err);
      // Out of attempts, and not because the database was away: some row is refused.
      // Apply the rest row by row rather than hold the whole run back.
      if (isConnectionError(err) || job.attemptsMade + 1 < (job.opts.attempts ?? 1)) throw err;
      log.error({ runId, seq, err }, 'batch failed every attempt; applying it row by row');
      outcome = await applyBatchRowByRow(db, batch);
      if (outcome.state === 'applied') options.onPoisonBatch?.(job.data, outcome.quarantined);
    }
    await dropRows(redis, job.data);
    const ms = Math.round(performance.now() - started);
    if (outcome.state === 'applied') {
      log.debug({ runId, seq, ms, inserted: outcome.inserted, updated: outcome.updated, takenDown: outcome.takenDown }, 'batch applied');
      if (outcome.finished) logRunFinish(log, outcome.finished);
    }
    return outcome.state;
  }, {
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs ?? 30_000,
    // Check for stalled jobs (their worker died) as often as a lock can expire.
    stalledInterval: options.lockDurationMs ?? 30_000,
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    log.error({ runId: job.data.runId, seq: job.data.seq, attempt: job.attemptsMade, final, err }, 'batch failed');
    // Recovery re-parses a batch that failed for good, so its rows are not needed again.
    if (final) void dropRows(redis, job.data);
    recordBatchFailure(db.orm, job.data.runId, job.data.seq, err.message, final).catch((dbErr: unknown) => {
      log.warn({ err: dbErr }, 'could not record the batch failure');
    });
  });
  worker.on('error', (err) => log.warn({ err }, 'worker connection error'));
  return worker;
}
