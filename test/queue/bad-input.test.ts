// The counts invariant on the production path: batches of one row through BullMQ on a real
// Redis, applied by a `feedline worker` process. Takedowns with unreadable fields and a quote
// that never closes end with every record accounted for and every takedown applied.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir } from '../helpers/feeds.js';
import { feedline, feedlineProcess, ROOT } from '../helpers/cli.js';
import { item } from '../helpers/pipeline.js';
import { REDIS_URL, clearPrefix, testPrefix } from '../helpers/redis.js';

const prefix = testPrefix(import.meta.filename);
const fixture = (name: string) => path.join(ROOT, 'fixtures/csv/bad-input', name);
let env: Record<string, string>;
let db: Database;
let worker: ChildProcess;

beforeAll(async () => {
  await clearPrefix(prefix);
  const url = await freshDatabase(import.meta.filename);
  db = await connect(url);
  env = { DATABASE_URL: url, REDIS_URL, FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_HOME: tempDir('feedline-home-'), FEEDLINE_BATCH_SIZE: '1' };
  worker = feedlineProcess(['worker'], env);
});

afterAll(async () => {
  await new Promise((resolve) => {
    worker.once('close', resolve);
    worker.kill('SIGTERM');
  });
  await db.close();
  await clearPrefix(prefix);
});

describe('bad input through the queue', () => {
  it('every record is accounted for and every takedown with a valid key applies', async () => {
    const [takedowns, unclosed] = await Promise.all([
      feedline(['ingest', fixture('GB_track_updates_20261121.csv'), '--json'], env),
      feedline(['ingest', fixture('GB_track_updates_20261122.csv'), '--json'], env),
    ]);
    expect(takedowns.code, takedowns.stderr).toBe(0);
    expect(JSON.parse(takedowns.stdout)).toMatchObject({ status: 'applied', rows: 10, inserted: 1, takenDown: 7, quarantined: 2, batches: 10 });
    expect(unclosed.code, unclosed.stderr).toBe(0);
    expect(JSON.parse(unclosed.stdout)).toMatchObject({ status: 'applied', rows: 8, inserted: 2, takenDown: 4, quarantined: 2 });
    for (const id of ['7202', '7203', '7204', '7205', '7206', '7207', '7208', '7303', '7305', '7306', '7308']) {
      expect((await item(db, 'track', id))?.status, `track ${id}`).toBe('taken_down');
    }
  }, 300_000);
});
