// `feedline worker` applies Catalogue Events, as `serve --role worker` does: the README's
// "Production use" runs it, and without it an acknowledged event would wait forever.
import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../../src/db/client.js';
import { createEventDispatcher } from '../../src/events/dispatch.js';
import { createLogger } from '../../src/log.js';
import { openRedis, type RedisConnection } from '../../src/queue/redis.js';
import { feedlineProcess } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { releaseEvent, SOURCE, storeTestEvent } from '../helpers/events.js';
import { tempDir } from '../helpers/feeds.js';
import { clearPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';

const PREFIX = testPrefix('test/events/worker-command.test.ts');
let url: string;
let db: Database;
let redis: RedisConnection;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  url = await freshDatabase('test/events/worker-command.test.ts');
  db = await connect(url);
  redis = await openRedis(REDIS_URL, 'producer');
  await clearPrefix(PREFIX);
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await clearPrefix(PREFIX);
  await redis?.quit();
  await db?.close();
});

describe('feedline worker', () => {
  it('applies an event the receiver queued', async () => {
    const id = await storeTestEvent(db, releaseEvent(600, 1, { title: 'Applied by feedline worker' }));
    const dispatcher = createEventDispatcher(db, redis, { source: SOURCE, enhancedWaitSeconds: 60, prefix: PREFIX }, createLogger({ level: 'silent' }));
    dispatcher.submit(id);
    await dispatcher.close();
    worker = feedlineProcess(['worker', '--concurrency', '1'], { DATABASE_URL: url, REDIS_URL, FEEDLINE_QUEUE_PREFIX: PREFIX, FEEDLINE_HOME: tempDir('feedline-worker-cmd-') });
    let status = '';
    for (let i = 0; i < 240 && status !== 'applied'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const [row] = await query<{ status: string }>(db.orm, sql`select status from events_inbox where id = ${id}`);
      status = row!.status;
    }
    expect(status).toBe('applied');
    const [release] = await query<{ title: string }>(db.orm, sql`select title from releases where id = '600' and country = 'GB'`);
    expect(release!.title).toBe('Applied by feedline worker');
  }, 120_000);
});
