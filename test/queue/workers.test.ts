// The production shape: batches through BullMQ on a real Redis, applied by two separate
// `feedline worker` processes, in whatever order they take them.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { feedline, feedlineProcess } from '../helpers/cli.js';
import { item } from '../helpers/pipeline.js';
import { REDIS_URL, clearPrefix, testPrefix, waitForApplyWorkers } from '../helpers/redis.js';

const prefix = testPrefix(import.meta.filename);
const dir = tempDir();
let env: Record<string, string>;
let db: Database;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  await clearPrefix(prefix);
  const url = await freshDatabase(import.meta.filename);
  db = await connect(url);
  env = { DATABASE_URL: url, REDIS_URL, FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_HOME: tempDir('feedline-home-'), FEEDLINE_BATCH_SIZE: '1' };
  for (let i = 0; i < 2; i++) workers.push(feedlineProcess(['worker'], env));
});

afterAll(async () => {
  await Promise.all(workers.map((w) => new Promise((resolve) => {
    w.once('close', resolve);
    w.kill('SIGTERM');
  })));
  await db.close();
  await clearPrefix(prefix);
});

describe('two worker processes', () => {
  it('apply I, U, D of one id across batch boundaries to a takedown, with exact counts', async () => {
    const file = updatesFeed(dir, 'GB_track_updates_20261101.csv.gz', [
      trackRecord(10, {}, 'I'), trackRecord(10, { title: 'Changed' }, 'U'), trackRecord(10, {}, 'D'),
      ...Array.from({ length: 20 }, (_, i) => trackRecord(100 + i, {}, 'I')),
    ]);
    const result = await feedline(['ingest', file, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    // Counts are by the file's actions, whatever order the workers applied the batches in.
    expect(summary).toMatchObject({ status: 'applied', rows: 23, batches: 23, inserted: 21, updated: 1, takenDown: 1, unchanged: 0, quarantined: 0 });
    expect((await item(db, 'track', '10'))?.status).toBe('taken_down');
    expect((await item(db, 'track', '119'))?.status).toBe('live');
  });

  it('report the same file again as a duplicate without touching the queue', async () => {
    const file = updatesFeed(dir, 'GB_track_updates_20261102.csv.gz', [trackRecord(20, {}, 'I')]);
    expect((await feedline(['ingest', file], env)).code).toBe(0);
    const again = await feedline(['ingest', file, '--json'], env);
    expect(JSON.parse(again.stdout).status).toBe('duplicate');
  });

  it('stop on SIGTERM with exit code 0', async () => {
    const extra = feedlineProcess(['worker'], env);
    await waitForApplyWorkers(prefix, workers.length + 1);
    const code = await new Promise((resolve) => {
      extra.once('close', resolve);
      extra.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });
});
