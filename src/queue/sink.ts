// Where parsed batches go: onto the BullMQ apply queue (REDIS_URL set), or straight into
// the apply function in this process (the embedded default). Both apply the same way.
import type { Queue } from 'bullmq';
import type { Database } from '../db/client.js';
import { applyBatch, applyBatchRowByRow } from '../apply/batch.js';
import { outlastOutage, type OutageOptions } from '../db/outage.js';
import { UnreachableError, isConnectionError } from '../errors.js';
import { pollUntil } from '../periodic.js';
import type { BatchJob } from '../catalogue/batch.js';
import { batchJobId } from './jobs.js';
import { checkInRows } from './payloads.js';
import type { RedisConnection } from './redis.js';
import { createQueue, QUEUES } from './wiring.js';

export interface BatchSink {
  /** Resolves when the batch is accepted; waiting here is the parser's backpressure. */
  submit(job: BatchJob): Promise<void>;
  /** Resolves when every submitted batch has been handed over (inline: applied). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface QueueSinkOptions {
  prefix: string;
  attempts: number;
  /** Batches waiting in Redis before submit waits. */
  maxQueued: number;
}

function applyJobOptions(attempts: number) {
  return {
    attempts,
    backoff: { type: 'exponential', delay: 1000 },
    // Redis is transport: the ledger in PostgreSQL keeps the history (docs/design.md invariant 8).
    removeOnComplete: true,
    removeOnFail: { count: 1000 },
  } as const;
}

export function createApplyQueue(redis: RedisConnection, prefix: string): Queue<BatchJob> {
  return createQueue<BatchJob>({ connection: redis, prefix }, QUEUES.apply);
}

export function queueSink(redis: RedisConnection, options: QueueSinkOptions): BatchSink {
  const queue = createApplyQueue(redis, options.prefix);
  const jobOptions = applyJobOptions(options.attempts);
  const queued = async () => Object.values(await queue.getJobCounts('waiting', 'prioritized', 'delayed')).reduce((a, b) => a + b, 0);
  const waitForRoom = () => pollUntil(queued, (n) => n < options.maxQueued, { everyMs: 20, upToMs: 250 });
  return {
    async submit(job) {
      await waitForRoom();
      const data = await checkInRows(redis, options.prefix, job);
      await queue.addBulk([{ name: 'batch', data, opts: { ...jobOptions, jobId: batchJobId(job.runId, job.seq) } }]);
    },
    async flush() {},
    close: () => queue.close(),
  };
}

/**
 * Applies in this process while the parser reads on: parsing and the database overlap
 * without a queue. On PostgreSQL two batches are in flight at once, on two connections, as
 * two workers would apply them (the version guard makes their order irrelevant); PGlite is
 * one connection, so one. A batch the database refuses is applied row by row at once, as a
 * worker does after its last attempt. A batch that meets a PostgreSQL outage is applied
 * again when the database is back, within `outage`; without it, the outage fails the batch
 * at once, and the next submit (or the flush) throws its error.
 */
export function inlineSink(db: Database, outage?: OutageOptions): BatchSink {
  const limit = db.kind === 'postgres' ? 2 : 1;
  const inFlight = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  const attempt = (job: BatchJob) => (outage ? outlastOutage(db, outage, () => applyBatch(db, job)) : applyBatch(db, job));
  const apply = (job: BatchJob) => attempt(job).catch((err: unknown) => {
    if (err instanceof UnreachableError || isConnectionError(err)) throw err;
    return applyBatchRowByRow(db, job);
  });
  const settle = async () => {
    await Promise.all(inFlight);
    if (failure) throw failure.err;
  };
  return {
    async submit(job) {
      while (inFlight.size >= limit) await Promise.race(inFlight);
      if (failure) throw failure.err;
      const tracked: Promise<void> = apply(job).then(() => {}, (err: unknown) => {
        failure ??= { err };
      }).finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    },
    flush: settle,
    async close() {
      await settle().catch(() => {});
    },
  };
}
