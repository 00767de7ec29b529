// An apply worker: takes batch jobs from the queue and applies them. Any number may run,
// in any number of processes; the version guard and the batch ledger make that safe.
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Database } from '../db/client.js';
import { applyBatch } from '../apply/batch.js';
import { recordBatchFailure } from '../db/runs.js';
import type { Logger } from '../log.js';
import { QUEUE, type BatchJob } from './jobs.js';

export interface ApplyWorkerOptions {
  prefix: string;
  concurrency: number;
}

export function startApplyWorker(db: Database, redis: Redis, logger: Logger, options: ApplyWorkerOptions): Worker<BatchJob> {
  const log = logger.child({ component: 'apply-worker' });
  const worker = new Worker<BatchJob>(QUEUE.apply, async (job: Job<BatchJob>) => {
    const { runId, seq } = job.data;
    const started = performance.now();
    const outcome = await applyBatch(db, job.data);
    const ms = Math.round(performance.now() - started);
    if (outcome.state === 'applied') {
      log.debug({ runId, seq, ms, inserted: outcome.inserted, updated: outcome.updated, takenDown: outcome.takenDown }, 'batch applied');
      if (outcome.runCompleted) log.info({ runId }, 'run applied');
    }
    return outcome.state;
  }, {
    connection: redis,
    prefix: options.prefix,
    concurrency: options.concurrency,
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    log.error({ runId: job.data.runId, seq: job.data.seq, attempt: job.attemptsMade, final, err }, 'batch failed');
    recordBatchFailure(db.orm, job.data.runId, job.data.seq, err.message, final).catch((dbErr: unknown) => {
      log.warn({ err: dbErr }, 'could not record the batch failure');
    });
  });
  worker.on('error', (err) => log.warn({ err }, 'worker connection error'));
  return worker;
}
