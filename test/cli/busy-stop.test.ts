// A busy process stops promptly too: a worker (or serve) in the middle of applying a queued
// feed exits 0 within its grace period of SIGTERM, with no process of its tree left, and a
// worker started afterwards finishes the run with exact counts (nothing in hand was lost).
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../../src/db/client.js';
import { feedline } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { alive, descendants, startBuilt } from '../helpers/processes.js';
import { REDIS_URL, clearPrefix, testPrefix } from '../helpers/redis.js';

const FILE = 'test/cli/busy-stop.test.ts';
const prefix = testPrefix(FILE);
const GRACE_MS = 3_000;
/** Node's own exit after the grace: closing the pools and the Redis connections. */
const EXIT_MARGIN_MS = 1_500;
const ROWS = 60_000;

let db: Database;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  await clearPrefix(prefix);
  const url = await freshDatabase(FILE);
  db = await connect(url);
  dir = tempDir('feedline-busy-');
  env = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info',
    DATABASE_URL: url, REDIS_URL, FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_HOME: dir,
    FEEDLINE_HTTP_PORT: '0', FEEDLINE_SHUTDOWN_GRACE_MS: String(GRACE_MS), FEEDLINE_BATCH_SIZE: '500',
    FEEDLINE_PROVIDER_BASE_URL: 'http://127.0.0.1:9/feeds', FEEDLINE_ALLOW_HTTP: 'true',
    FEEDLINE_OAUTH_CONSUMER_KEY: 'busy-key', FEEDLINE_OAUTH_CONSUMER_SECRET: 'busy-secret',
  };
});
afterAll(async () => {
  await db.close();
  await clearPrefix(prefix);
});

const start = (args: readonly string[]) => startBuilt(args, env);

async function appliedBatches(runId: number): Promise<number> {
  const [row] = await query<{ n: number }>(db.orm, sql`select count(*)::int as n from feed_batches where run_id = ${runId} and status = 'applied'`);
  return row!.n;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Writes a feed of ROWS inserts dated `day` and starts `feedline ingest --no-wait` on it: the
 * parser queues as fast as workers take batches (its backpressure), so it needs a worker.
 */
function ingestFeed(day: number): Promise<number> {
  const date = `2026-11-${String(day).padStart(2, '0')}`;
  const records = Array.from({ length: ROWS }, (_, i) => trackRecord(day * 1_000_000 + i + 1, {}, 'I'));
  const file = updatesFeed(dir, `GB_track_updates_${date.replaceAll('-', '')}.csv.gz`, records);
  return feedline(['ingest', file, '--no-wait', '--json'], env).then((queued) => {
    expect(queued.code, queued.stderr).toBe(0);
    return (JSON.parse(queued.stdout) as { runId: number }).runId;
  });
}

async function runOf(day: number): Promise<number> {
  let id = 0;
  await until(async () => {
    const [run] = await query<{ id: number }>(db.orm, sql`select id::int from feed_runs where feed_date = ${`2026-11-${String(day).padStart(2, '0')}`}`);
    id = run?.id ?? 0;
    return id > 0;
  }, 60_000, 'the run to be registered');
  return id;
}

describe('a busy process on SIGTERM', () => {
  for (const [day, args] of [[1, ['worker']], [2, ['serve', '--role', 'worker']], [3, ['serve', '--role', 'all']]] as const) {
    it(`${args.join(' ')}: exits 0 within its grace period with its whole tree, and loses nothing`, async () => {
      const busy = start([...args]);
      const queued = ingestFeed(day);
      const runId = await runOf(day);
      let tree: number[] = [];
      try {
        await until(async () => (await appliedBatches(runId)) >= 2, 60_000, 'the worker to be applying').catch((err: Error) => {
          throw new Error(`${err.message}:\n${busy.output().slice(-3000)}`);
        });
        tree = descendants(busy.child.pid!);
        // Signalled mid-run, not after it.
        expect(await appliedBatches(runId)).toBeLessThan(ROWS / 500);
      } finally {
        busy.child.kill('SIGTERM');
      }
      const signalled = Date.now();
      const code = await Promise.race([busy.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
      const tookMs = Date.now() - signalled;
      const left = tree.filter(alive);
      for (const pid of [busy.child.pid!, ...left]) if (alive(pid)) process.kill(pid, 'SIGKILL');
      expect(code, busy.output().slice(-3000)).toBe(0);
      expect(tookMs, busy.output().slice(-3000)).toBeLessThan(GRACE_MS + EXIT_MARGIN_MS);
      expect(left).toEqual([]);

      const after = start(['worker']);
      try {
        await until(async () => {
          const [run] = await query<{ status: string }>(db.orm, sql`select status from feed_runs where id = ${runId}`);
          return run!.status !== 'parsing' && run!.status !== 'applying';
        }, 120_000, 'the run to finish');
      } finally {
        after.child.kill('SIGTERM');
        await after.exited;
      }
      expect(await queued).toBe(runId);
      const [run] = await query<{ status: string; rows: number; inserted: number }>(db.orm, sql`select status, rows, inserted from feed_runs where id = ${runId}`);
      expect(run).toEqual({ status: 'applied', rows: ROWS, inserted: ROWS });
    }, 240_000);
  }
});
