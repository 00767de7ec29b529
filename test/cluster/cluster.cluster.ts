// feedline on a real three-master Redis Cluster: every queue in one hash slot under its own
// braced prefix, the core ingest through two worker processes (one SIGKILLed mid-run) ending
// in the same state as a clean run, and the SLA timers firing.
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateUpdatesFeed } from '../../bench/generate.js';
import { query, type Database } from '../../src/db/client.js';
import { type Run } from '../../src/db/runs.js';
import { getRun } from '../../src/db/run-lookups.js';
import { ingestFeed } from '../../src/ingest/ingest.js';
import { openRedis, type RedisConnection } from '../../src/queue/redis.js';
import { queueSink } from '../../src/queue/sink.js';
import { createQueue, QUEUE_NAMES, queuePrefix } from '../../src/queue/wiring.js';
import { createAlerter } from '../../src/sla/alerts.js';
import { runTimers, startSlaTimerWorker } from '../../src/sla/timers.js';
import { cleanState, compare, snapshot } from '../faults/harness.js';
import { feedline, feedlineProcess } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { silentLogger, testConfig } from '../helpers/pipeline.js';
import { deleteMatching, testPrefix } from '../helpers/redis.js';
import { startCluster, type TestCluster } from '../helpers/redis-cluster.js';

const FILE = 'test/cluster/cluster.cluster.ts';
const PORTS = [17610, 17611, 17612];
const prefix = testPrefix(FILE);
let cluster: TestCluster;
let redis: RedisConnection;

beforeAll(async () => {
  cluster = await startCluster(PORTS);
  redis = await openRedis(cluster.url, 'worker');
});
afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

/** Every key under this prefix, on every master. */
async function clusterKeys(): Promise<string[]> {
  const keys: string[] = [];
  for (const master of cluster.masters()) {
    let cursor = '0';
    do {
      const [next, found] = await master.scan(cursor, 'MATCH', `{${prefix}-*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
  }
  return keys;
}

async function waitForRun(db: Database, predicate: (run: Run) => boolean, timeoutMs = 150_000): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await query<{ id: number }>(db.orm, sql`select id::integer as id from feed_runs order by id limit 1`);
    const run = row ? await getRun(db.orm, row.id) : undefined;
    if (run && predicate(run)) return run;
    if (Date.now() > deadline) throw new Error(`run not as expected after ${timeoutMs} ms: ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('on a Redis Cluster', () => {
  it('puts each queue under its own braced prefix, all its keys in one hash slot', async () => {
    const wiring = { connection: redis, prefix };
    const queues = QUEUE_NAMES.map((name) => createQueue<{ n: number }>(wiring, name));
    try {
      for (const queue of queues) {
        await queue.add('probe', { n: 1 }, { jobId: 'probe-1' });
        await queue.add('probe', { n: 2 }, { jobId: 'probe-2', delay: 60_000 });
        // Multi-key commands across the queue's keys: these fail with CROSSSLOT unless one slot.
        expect(await queue.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 1, delayed: 1 });
        await queue.obliterate({ force: true });
        await queue.add('probe', { n: 3 }, { jobId: 'probe-3' });
      }
      const keys = await clusterKeys();
      for (const name of QUEUE_NAMES) {
        const own = keys.filter((k) => k.startsWith(`${queuePrefix(prefix, name)}:${name}:`));
        expect(own.length, name).toBeGreaterThan(0);
        const slots = new Set(await Promise.all(own.map((k) => cluster.masters()[0]!.call('cluster', 'keyslot', k))));
        expect(slots.size, name).toBe(1);
      }
      expect(keys.every((k) => QUEUE_NAMES.some((name) => k.startsWith(`${queuePrefix(prefix, name)}:`)))).toBe(true);
    } finally {
      for (const queue of queues) await queue.obliterate({ force: true }).catch(() => undefined);
      await Promise.all(queues.map((q) => q.close()));
    }
  });

  it('ingests through two worker processes, one SIGKILLed mid-run, to the state of a clean run', async () => {
    const dir = tempDir('feedline-cluster-');
    const file = path.join(dir, 'GB_track_updates_20261120.csv.gz');
    await generateUpdatesFeed({ path: file, rows: 30_000, seed: 16, existingIds: 20_000 });
    const clean = await cleanState(file, 'cluster');
    const url = await freshDatabase(`${FILE}-kill`);
    const db = await connect(url);
    const env = {
      DATABASE_URL: url, REDIS_URL: cluster.url, FEEDLINE_QUEUE_PREFIX: `${prefix}-kill`, FEEDLINE_HOME: tempDir('feedline-cluster-home-'),
      FEEDLINE_BATCH_SIZE: '500', FEEDLINE_JOB_LOCK_MS: '4000', FEEDLINE_RECOVERY_INTERVAL_MS: '2000', FEEDLINE_STALE_PARSE_SECONDS: '5', FEEDLINE_JOB_ATTEMPTS: '3',
    };
    const workers = [feedlineProcess(['worker'], env), feedlineProcess(['worker'], env)];
    for (const w of workers) { w.stdout!.resume(); w.stderr!.resume(); }
    try {
      const ingest = feedline(['ingest', file], env);
      await waitForRun(db, (r) => r.batchesApplied >= 10);
      workers[0]!.kill('SIGKILL');
      const replacement = feedlineProcess(['worker'], env);
      replacement.stdout!.resume();
      replacement.stderr!.resume();
      workers.push(replacement);
      const result = await ingest;
      expect(result.code, result.stderr).toBe(0);
      const run = await waitForRun(db, (r) => r.status === 'applied');
      const diff = compare(clean, await snapshot(db, run));
      expect(diff.differences, diff.first).toBe(0);
      expect(diff.checked).toBeGreaterThan(20_000);
    } finally {
      await Promise.all(workers.filter((w) => w.exitCode === null && w.signalCode === null).map((w) => new Promise((resolve) => {
        w.once('close', resolve);
        w.kill('SIGTERM');
      })));
      await db.close();
      for (const master of cluster.masters()) await deleteMatching(master, `{${prefix}-kill-*`);
    }
  });

  it('fires the SLA timers armed when a run is registered', async () => {
    // A 6-second window with the warning at 3 seconds, on the real clock.
    const config = testConfig({ FEEDLINE_SLA_HOURS: String(6 / 3600), FEEDLINE_SLA_WARNING_HOURS: String(3 / 3600), FEEDLINE_QUEUE_PREFIX: `${prefix}-sla` });
    const db = await connect(await freshDatabase(`${FILE}-sla`));
    const alerter = createAlerter({ db, logger: silentLogger, webhooks: { urls: [], timeoutMs: 1000 } });
    const sink = queueSink(redis, { prefix: config.queuePrefix, attempts: 2, maxQueued: 100 });
    const timers = runTimers(redis, { prefix: config.queuePrefix, sla: config.sla });
    const worker = startSlaTimerWorker({ db, alerter, sla: config.sla, logger: silentLogger, now: () => new Date() }, redis, config.queuePrefix);
    try {
      const file = updatesFeed(tempDir(), 'GB_track_updates_20261110.csv.gz', [trackRecord(1, {}, 'I')]);
      // No apply worker: the run stays unapplied, and only the timers watch it.
      const outcome = await ingestFeed({ config, db, sink, timers, logger: silentLogger }, { input: file, feed: {}, publishedAt: new Date() });
      const subject = `sla-run-${outcome.run.id}`;
      const states = async () => (await query<{ state: string }>(db.orm, sql`select state from alert_events where subject = ${subject} order by id`)).map((r) => r.state);
      const deadline = Date.now() + 20_000;
      while (!(await states()).includes('breach') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await states()).toEqual(['warning', 'breach']);
    } finally {
      await worker.close();
      await sink.close();
      await timers.close();
      await alerter.idle();
      await db.close();
      for (const master of cluster.masters()) await deleteMatching(master, `{${prefix}-sla-*`);
    }
  });
});
