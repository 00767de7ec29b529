// Parsing waits while FEEDLINE_MAX_QUEUED_BATCHES batches are queued (docs/design.md
// invariant 8): the queue sink polls the queue until there is room, and goes on once there is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { ingestFeed } from '../../src/ingest/ingest.js';
import { openRedis, type RedisConnection } from '../../src/queue/redis.js';
import { createApplyQueue, queueSink } from '../../src/queue/sink.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { silentLogger, testConfig } from '../helpers/pipeline.js';
import { clearPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';

const prefix = testPrefix(import.meta.filename);
let db: Database;
let redis: RedisConnection;

beforeAll(async () => {
  await clearPrefix(prefix);
  db = await connect(await freshDatabase(import.meta.filename));
  redis = await openRedis(REDIS_URL, 'producer');
});
afterAll(async () => {
  await db?.close();
  redis?.disconnect();
  await clearPrefix(prefix);
});

describe('backpressure', () => {
  it('parsing stops at maxQueued batches queued and goes on when the queue has room', async () => {
    const config = testConfig({ REDIS_URL, FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_BATCH_SIZE: '2' });
    const sink = queueSink(redis, { prefix, attempts: 1, maxQueued: 2 });
    const queue = createApplyQueue(redis, prefix);
    try {
      const records = Array.from({ length: 10 }, (_, i) => trackRecord(i + 1, {}, 'I'));
      let done = false;
      const ingesting = ingestFeed({ config, db, sink, logger: silentLogger }, { input: updatesFeed(tempDir(), 'GB_track_updates_20261203.csv.gz', records), feed: {} })
        .finally(() => { done = true; });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(done).toBe(false);
      expect(await queue.getWaitingCount()).toBe(2);
      // Take the queued jobs away, as workers would: the parser goes on to the end.
      while (!done) {
        await queue.drain();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await ingesting).status).toBe('queued');
    } finally {
      await sink.close();
      await queue.close();
    }
  });
});
