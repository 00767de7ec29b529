// A batch's rows travel beside its BullMQ job (src/queue/payloads.ts): the job names a Redis
// key, the key holds the JSON text the parser encoded, and it is gone once the batch is done.
// Rows lost from Redis fail the job at once, and recovery re-parses them from the archive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchJob } from '../../src/catalogue/batch.js';
import type { CsvRow } from '../../src/catalogue/rows.js';
import type { Database } from '../../src/db/client.js';
import { ingestFeed, waitForRun } from '../../src/ingest/ingest.js';
import { recoverRuns } from '../../src/ingest/recover.js';
import { openRedis, type RedisConnection } from '../../src/queue/redis.js';
import { createApplyQueue, queueSink } from '../../src/queue/sink.js';
import { startApplyWorker } from '../../src/queue/worker.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { item, silentLogger, testConfig } from '../helpers/pipeline.js';
import { clearPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';

const prefix = testPrefix(import.meta.filename);
const dir = tempDir();
let url: string;
let db: Database;
let redis: RedisConnection;

beforeAll(async () => {
  await clearPrefix(prefix);
  url = await freshDatabase(import.meta.filename);
  db = await connect(url);
  redis = await openRedis(REDIS_URL, 'worker');
});
afterAll(async () => {
  await db?.close();
  redis?.disconnect();
  await clearPrefix(prefix);
});

/** Parses a three-batch feed onto the queue with no worker running; returns its run and jobs. */
async function enqueue(country: string) {
  const config = testConfig({ DATABASE_URL: url, REDIS_URL, FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_BATCH_SIZE: '2' });
  const sink = queueSink(redis, { prefix, attempts: 3, maxQueued: 100 });
  const ctx = { config, db, sink, logger: silentLogger };
  const records = [1, 2, 3, 4, 5].map((n) => trackRecord(n, { title: `Song "${n}"` }, 'I'));
  const outcome = await ingestFeed(ctx, { input: updatesFeed(dir, `${country}_track_updates_20261201.csv.gz`, records), feed: {} });
  await sink.close();
  const queue = createApplyQueue(redis, prefix);
  const jobs = (await queue.getJobs(['waiting'])).filter((j) => j.data.runId === outcome.run.id);
  return { ctx, run: outcome.run, queue, jobs };
}

async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('rows beside the job', () => {
  it('the job names a key that holds its rows, and the key is gone once the batch is applied', async () => {
    const { ctx, run, queue, jobs } = await enqueue('GB');
    try {
      expect(jobs).toHaveLength(3);
      const keys: string[] = [];
      for (const job of jobs) {
        const data: BatchJob = job.data;
        expect(data.payload).toBeUndefined();
        expect(data.rowsKey).toMatch(/rows:run-\d+-batch-\d$/);
        const rows = JSON.parse((await redis.get(data.rowsKey!))!) as CsvRow[];
        expect(rows.length).toBe(data.count);
        keys.push(data.rowsKey!);
      }
      const worker = startApplyWorker(db, redis, silentLogger, { prefix, concurrency: 1 });
      try {
        expect((await waitForRun(ctx, run.id, { pollMs: 50 })).status).toBe('applied');
      } finally {
        await worker.close();
      }
      expect((await item(db, 'track', '5'))?.title).toBe('Song "5"');
      for (const key of keys) expect(await redis.exists(key)).toBe(0);
    } finally {
      await queue.close();
    }
  });

  it('rows lost from Redis fail the job at its first attempt; recovery re-parses them and the run applies', async () => {
    const { ctx, run, queue, jobs } = await enqueue('IE');
    try {
      const lost = jobs.find((j) => j.data.seq === 1)!;
      await redis.del(lost.data.rowsKey!);
      const worker = startApplyWorker(db, redis, silentLogger, { prefix, concurrency: 1 });
      try {
        await waitUntil(async () => (await queue.getJob(lost.id!))?.failedReason !== undefined, 'the job to fail');
        const failed = await queue.getJob(lost.id!);
        expect(failed?.attemptsMade).toBe(1);
        expect(failed?.failedReason).toMatch(/rows are no longer in Redis/);
        const report = await recoverRuns({ ...ctx, sink: queueSink(redis, { prefix, attempts: 3, maxQueued: 100 }) }, queue, 0);
        expect(report.requeued).toEqual([{ runId: run.id, seqs: [1] }]);
        expect((await waitForRun(ctx, run.id, { pollMs: 50 })).status).toBe('applied');
      } finally {
        await worker.close();
      }
      expect((await item(db, 'track', '3', 'IE'))?.title).toBe('Song "3"');
    } finally {
      await queue.close();
    }
  });
});
