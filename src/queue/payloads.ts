// A batch's rows travel beside its job, not inside it (the claim-check pattern): the parser
// SETs the JSON text it encoded once as a plain Redis string, and the job carries only the
// key. BullMQ would otherwise JSON-encode that text again into the job (escaping every
// quote) and the worker decode it again: on two cores, the parser's largest cost after GC.
// The key sits in the apply queue's hash slot, so it goes wherever the queue goes on a
// cluster. It is deleted when the batch is done; the TTL bounds what a crash leaves behind.
import { UnrecoverableBatchError } from '../errors.js';
import type { BatchJob } from '../catalogue/batch.js';
import { batchJobId } from './jobs.js';
import type { RedisConnection } from './redis.js';
import { queuePrefix, QUEUES } from './wiring.js';

/** A week: longer than any batch waits for a worker; a payload gone is re-parsed by recovery. */
const PAYLOAD_TTL_SECONDS = 7 * 24 * 3600;

function payloadKey(prefix: string, job: Pick<BatchJob, 'runId' | 'seq'>): string {
  return `${queuePrefix(prefix, QUEUES.apply)}:${QUEUES.apply}:rows:${batchJobId(job.runId, job.seq)}`;
}

/** Stores the job's rows under their key; returns the job that carries the key instead. */
export async function checkInRows(redis: RedisConnection, prefix: string, job: BatchJob): Promise<BatchJob> {
  if (job.payload === undefined) return job;
  const { payload, ...rest } = job;
  const rowsKey = payloadKey(prefix, job);
  await redis.set(rowsKey, payload, 'EX', PAYLOAD_TTL_SECONDS);
  return { ...rest, rowsKey };
}

/** The job with its rows back in `payload`; a job without a key is returned as it is. */
export async function claimRows(redis: RedisConnection, job: BatchJob): Promise<BatchJob> {
  if (job.rowsKey === undefined) return job;
  const payload = await redis.get(job.rowsKey);
  // Recovery removes the failed job and re-parses the batch from the archive.
  if (payload === null) throw new UnrecoverableBatchError(`batch ${job.runId}/${job.seq}: its rows are no longer in Redis (${job.rowsKey}); recovery re-parses them from the archive`);
  return { ...job, payload };
}

/** Deletes a finished batch's rows (best effort: the TTL removes them anyway). */
export async function dropRows(redis: RedisConnection, job: BatchJob): Promise<void> {
  if (job.rowsKey !== undefined) await redis.del(job.rowsKey).catch(() => 0);
}
