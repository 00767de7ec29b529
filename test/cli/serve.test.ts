// `feedline serve` as a process: pulls due feeds on its own, answers /healthz and /readyz,
// and a SIGTERM in the middle of a run loses nothing: it exits 0, and a restarted serve
// finishes the run with exact counts.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../../src/db/client.js';
import { getCursor } from '../../src/db/cursors.js';
import { addDays } from '../../src/feeds/due.js';
import { feedlineProcess } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { startFeedServer, type FeedServer } from '../helpers/feed-server.js';
import { tempDir, trackRecord } from '../helpers/feeds.js';
import { REDIS_URL, clearPrefix, testPrefix } from '../helpers/redis.js';
import { CREDS, updatesBody } from '../helpers/scheduling.js';

const prefix = testPrefix(import.meta.filename);
let db: Database;
let server: FeedServer;
let env: Record<string, string>;
let port: number;
const today = new Date().toISOString().slice(0, 10);
const yesterday = addDays(today, -1);
const ROWS = 150;

beforeAll(async () => {
  await clearPrefix(prefix);
  const url = await freshDatabase(import.meta.filename);
  db = await connect(url);
  server = await startFeedServer(CREDS);
  port = await freePort();
  // Tomorrow's feed too: a test that crosses UTC midnight sees it come due, and finds it.
  for (const [i, date] of [yesterday, today, addDays(today, 1)].entries()) {
    server.publish({ entity: 'track', kind: 'updates', country: 'GB' }, date, updatesBody(Array.from({ length: ROWS }, (_, j) => trackRecord(i * 1000 + j + 1, {}, 'I'))));
  }
  env = {
    DATABASE_URL: url, REDIS_URL, FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_HOME: tempDir('feedline-home-'),
    FEEDLINE_PROVIDER_BASE_URL: server.url, FEEDLINE_OAUTH_CONSUMER_KEY: CREDS.consumerKey, FEEDLINE_OAUTH_CONSUMER_SECRET: CREDS.consumerSecret,
    FEEDLINE_CA_FILE: server.caFile!, FEEDLINE_FEEDS: 'track/updates', FEEDLINE_COUNTRIES: 'GB', FEEDLINE_START_DATE: yesterday,
    FEEDLINE_PUBLICATION_HOUR: '0', FEEDLINE_SCHEDULE_CRON: '*/2 * * * * *', FEEDLINE_BATCH_SIZE: '1',
    FEEDLINE_WORKER_CONCURRENCY: '1', FEEDLINE_SHUTDOWN_GRACE_MS: '1500', FEEDLINE_HTTP_PORT: String(port), LOG_LEVEL: process.env.SERVE_TEST_LOG ?? 'warn',
  };
});
afterAll(async () => {
  await server.close();
  await db.close();
  await clearPrefix(prefix);
});

describe('feedline serve', () => {
  it('serves health, and a SIGTERM mid-run exits 0 and loses nothing after a restart', async () => {
    const first = feedlineProcess(['serve'], env);
    const exited = exitOf(first);
    // Wait until a run is part-way applied.
    await until(async () => {
      const [row] = await query<{ n: number }>(db.orm, sql`select count(*)::integer as n from feed_batches where status = 'applied'`);
      return (row?.n ?? 0) >= 5;
    }, 30_000);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { postgres: { ok: true }, migrations: { ok: true }, redis: { ok: true } } });

    first.kill('SIGTERM');
    expect(await exited).toBe(0);
    const [midway] = await query<{ applied: number }>(db.orm, sql`select count(*)::integer as applied from feed_batches where status = 'applied'`);
    expect(midway!.applied).toBeLessThan(2 * ROWS);

    const second = feedlineProcess(['serve', '--role', 'all'], env);
    const secondExit = exitOf(second);
    await until(async () => ((await getCursor(db.orm, '7digital', { entity: 'track', kind: 'updates', country: 'GB' })) ?? '') >= today, 45_000);
    second.kill('SIGTERM');
    expect(await secondExit).toBe(0);

    const runs = await query<{ feed_date: string; status: string; rows: number; inserted: number }>(db.orm, sql`
      select feed_date::text, status, rows, inserted from feed_runs order by feed_date`);
    // Two runs, or three if the test crossed midnight while serve ran: each applied once, whole.
    expect(runs.slice(0, 2)).toEqual([
      { feed_date: yesterday, status: 'applied', rows: ROWS, inserted: ROWS },
      { feed_date: today, status: 'applied', rows: ROWS, inserted: ROWS },
    ]);
    expect(runs.slice(2)).toEqual(runs.length === 3 ? [{ feed_date: addDays(today, 1), status: 'applied', rows: ROWS, inserted: ROWS }] : []);
    const [live] = await query<{ n: number }>(db.orm, sql`select count(*)::integer as n from tracks where status = 'live'`);
    expect(live!.n).toBe(runs.length * ROWS);
    expect(server.requestCount({ entity: 'track', kind: 'updates', country: 'GB' }, yesterday)).toBe(1);
  }, 90_000);
});

function exitOf(child: ChildProcess): Promise<number | null> {
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => {
    if (code !== 0 || process.env.SERVE_TEST_LOG) process.stderr.write(stderr);
    resolve(code);
  }));
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = s.address() as { port: number };
      s.close(() => resolve(p));
    });
  });
}
