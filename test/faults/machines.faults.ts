// Many machines, simulated: the scheduler, two workers and the api run as separate processes,
// each with a FEEDLINE_HOME of its own (no shared disk), FEEDLINE_ARCHIVE=postgres, and a
// Redis server of this test's own. The scheduler fetches a 200,000-row feed from the
// provider and dies (SIGKILL) while parsing it; then Redis loses everything (FLUSHALL). A
// worker that never saw the file takes the run over and re-parses it from the PostgreSQL
// archive, and the end state has zero differences from a clean run.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, freshDatabase } from '../helpers/db.js';
import { feedlineProcess } from '../helpers/cli.js';
import { startFeedServer, type FeedServer } from '../helpers/feed-server.js';
import { tempDir } from '../helpers/feeds.js';
import { CREDS } from '../helpers/scheduling.js';
import { FAULT_ROWS, Scenario, cleanState, compare, generateFeed, snapshot, type State } from './harness.js';

// Loopback ports of this test's own (issue 16's range): its Redis, and the api's HTTP.
const REDIS_PORT = 17620;
const API_PORT = 17621;
const FEED_DATE = '2026-11-20';

let redisServer: ChildProcess;
let provider: FeedServer;
let clean: State;

beforeAll(async () => {
  redisServer = spawn('redis-server', ['--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const feed = await generateFeed(tempDir('feedline-machines-'));
  clean = await cleanState(feed, 'machines');
  provider = await startFeedServer(CREDS);
  provider.publish({ entity: 'track', kind: 'updates', country: 'GB' }, FEED_DATE, readFileSync(feed));
});
afterAll(async () => {
  await provider?.close();
  await new Promise<void>((resolve) => {
    if (!redisServer || redisServer.exitCode !== null) return resolve();
    redisServer.once('exit', () => resolve());
    redisServer.kill('SIGTERM');
  });
});

function start(args: string[], env: Record<string, string>): ChildProcess {
  const child = feedlineProcess(args, env);
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

function stop(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('close', resolve);
    child.kill('SIGTERM');
  });
}

describe('many machines, no shared disk', () => {
  it('scheduler, two workers and the api on their own homes: scheduler killed and Redis flushed mid-run, recovered from the PostgreSQL archive', async () => {
    const url = await freshDatabase('faults-machines');
    const db = await connect(url);
    const shared = {
      DATABASE_URL: url,
      REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}/0`,
      FEEDLINE_ARCHIVE: 'postgres',
      FEEDLINE_QUEUE_PREFIX: 'flfault-machines',
      FEEDLINE_BATCH_SIZE: '2000',
      FEEDLINE_JOB_LOCK_MS: '4000',
      FEEDLINE_RECOVERY_INTERVAL_MS: '2000',
      FEEDLINE_STALE_PARSE_SECONDS: '5',
      FEEDLINE_JOB_ATTEMPTS: '3',
      FEEDLINE_SHUTDOWN_GRACE_MS: '1500',
      FEEDLINE_HTTP_PORT: '0',
    };
    const homes = { scheduler: tempDir('feedline-host-scheduler-'), workerA: tempDir('feedline-host-worker-a-'), workerB: tempDir('feedline-host-worker-b-'), api: tempDir('feedline-host-api-') };
    const scheduler = start(['serve', '--role', 'scheduler'], {
      ...shared, FEEDLINE_HOME: homes.scheduler,
      FEEDLINE_PROVIDER_BASE_URL: provider.url, FEEDLINE_OAUTH_CONSUMER_KEY: CREDS.consumerKey, FEEDLINE_OAUTH_CONSUMER_SECRET: CREDS.consumerSecret,
      FEEDLINE_CA_FILE: provider.caFile!, FEEDLINE_FEEDS: 'track/updates', FEEDLINE_COUNTRIES: 'GB', FEEDLINE_START_DATE: FEED_DATE,
      FEEDLINE_MAX_BACKLOG_DAYS: '60', FEEDLINE_SCHEDULE_CRON: '*/2 * * * * *',
    });
    const workers = [start(['worker'], { ...shared, FEEDLINE_HOME: homes.workerA }), start(['worker'], { ...shared, FEEDLINE_HOME: homes.workerB })];
    const api = start(['serve', '--role', 'api'], { ...shared, FEEDLINE_HOME: homes.api, FEEDLINE_HTTP_PORT: String(API_PORT) });
    const scenario = Scenario.watch('machines', db);
    try {
      // The scheduler has fetched the file and is parsing it; workers are applying batches.
      const started = await scenario.waitForRun((r) => r.batchesApplied >= 5);
      expect(started.archivePath).toBe(`postgres:${started.fileSha256}`);
      // The only host that saw the file dies mid-parse; then Redis loses everything.
      scheduler.kill('SIGKILL');
      const redis = new Redis({ host: '127.0.0.1', port: REDIS_PORT });
      await redis.flushall();
      redis.disconnect();
      const before = await scenario.waitForRun(() => true);
      expect(before.status).toBe('parsing');
      expect(before.batchesApplied).toBeLessThan(FAULT_ROWS / 2000);

      const run = await scenario.waitForRun((r) => r.status === 'applied');
      const result = compare(clean, await snapshot(db, run));
      process.stdout.write(`\nmany machines: ${FAULT_ROWS} rows, ${result.checked} rows checked, ${result.differences} differences\n`);
      expect(result.differences, result.first).toBe(0);
      // A worker built its own copy of the file from PostgreSQL to re-parse the lost batches.
      const copies = [homes.workerA, homes.workerB].filter((home) => existsSync(path.join(home, 'archive-cache', 'archive', run.fileSha256.slice(0, 2), run.fileSha256)));
      expect(copies.length).toBeGreaterThan(0);
      // No host but the scheduler ever had a directory archive.
      expect([homes.workerA, homes.workerB, homes.api].some((home) => existsSync(path.join(home, 'archive')))).toBe(false);
      expect((await fetch(`http://127.0.0.1:${API_PORT}/readyz`)).status).toBe(200);
    } finally {
      await Promise.all([scheduler, ...workers, api].map(stop));
      await db.close();
    }
  });
});
