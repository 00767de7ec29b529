// A job no attempt can apply fails at its first attempt: the worker turns a non-retryable
// FeedlineError (here a batch the ledger does not hold) into BullMQ's UnrecoverableError
// instead of spending the job's five attempts and their backoff on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import type { BatchJob } from '../../src/catalogue/batch.js';
import { openRedis, type RedisConnection } from '../../src/queue/redis.js';
import { createApplyQueue } from '../../src/queue/sink.js';
import { startApplyWorker } from '../../src/queue/worker.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { silentLogger } from '../helpers/pipeline.js';
import { clearPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';

const prefix = testPrefix(import.meta.filename);
let db: Database;
let redis: RedisConnection;

beforeAll(async () => {
  await clearPrefix(prefix);
  db = await connect(await freshDatabase(import.meta.filename));
  redis = await openRedis(REDIS_URL, 'worker');
});

afterAll(async () => {
  await db?.close();
  redis?.disconnect();
  await clearPrefix(prefix);
});

describe('an unregistered batch', () => {
  it('fails after one attempt, not five', async () => {
    const queue = createApplyQueue(redis, prefix);
    const worker = startApplyWorker(db, redis, silentLogger, { prefix, concurrency: 1 });
    try {
      const job: BatchJob = {
        runId: 987_654, seq: 3, entity: 'track', source: '7digital', country: 'GB', versionBase: '0',
        layout: { action: 2, columns: { id: 3 } }, rows: [],
      };
      const added = await queue.add('apply', job, { attempts: 5, backoff: { type: 'fixed', delay: 10 } });
      const deadline = Date.now() + 20_000;
      let state = await added.getState();
      while (state !== 'failed' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        state = await added.getState();
      }
      const failed = await queue.getJob(added.id!);
      expect(state).toBe('failed');
      expect(failed?.attemptsMade).toBe(1);
      expect(failed?.failedReason).toBe('batch 987654/3 is not registered');
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});
