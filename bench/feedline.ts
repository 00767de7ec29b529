// feedline as the benchmark runs it: worker processes already waiting on the queue (or, in
// process, no queue at all), then one `updates` feed ingested until its run is applied.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { sql as drizzleSql } from 'drizzle-orm';
import { loadConfig } from '../src/config/load.js';
import { openDatabase, query } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { ingestFeed, waitForRun } from '../src/ingest/ingest.js';
import { runOutage } from '../src/ingest/lifecycle.js';
import { createLogger } from '../src/log.js';
import { inlineSink, queueSink } from '../src/queue/sink.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PREFIX = 'flbench';
const silent = createLogger({ level: 'silent', destination: { write() {} } });

export interface FeedlineShape {
  redisUrl: string;
  workers: number;
  /** No Redis, no workers: the parse and the applies in this process (the default shape without REDIS_URL). */
  inProcess: boolean;
  batchSize?: string;
  workerConcurrency?: string;
}

export interface FeedlineMeasurement {
  ms: number;
  workerPeakRssBytes: number;
  redisPeakBytes: number;
  ledgerBytesPerRun: number;
}

export function benchEnv(url: string, shape: Pick<FeedlineShape, 'redisUrl' | 'batchSize' | 'workerConcurrency'>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATABASE_URL: url,
    REDIS_URL: shape.redisUrl,
    FEEDLINE_QUEUE_PREFIX: PREFIX,
    FEEDLINE_HOME: path.join(ROOT, 'bench/out/home'),
    LOG_LEVEL: 'warn',
    ...(shape.batchSize ? { FEEDLINE_BATCH_SIZE: shape.batchSize } : {}),
    ...(shape.workerConcurrency ? { FEEDLINE_WORKER_CONCURRENCY: shape.workerConcurrency } : {}),
  };
}

/** Migrates a database and, given a full feed, applies it in process, vacuumed and checkpointed. */
export async function prepareFeedline(url: string, fullFeed: string | undefined, shape: FeedlineShape): Promise<void> {
  const config = loadConfig(benchEnv(url, shape));
  const db = await openDatabase({ databaseUrl: url, home: config.home, poolSize: 2 });
  try {
    await migrate(db);
    if (!fullFeed) return;
    const base = await ingestFeed({ config, db, sink: inlineSink(db), logger: silent }, { input: fullFeed, feed: {} });
    await waitForRun({ config, db, logger: silent }, base.run.id, { pollMs: 100 });
    await db.orm.execute(drizzleSql`vacuum (analyze)`);
    await db.orm.execute(drizzleSql`checkpoint`);
  } finally {
    await db.close();
  }
}

export async function timeFeedline(url: string, updates: string, shape: FeedlineShape): Promise<FeedlineMeasurement> {
  const env = benchEnv(url, shape);
  const config = loadConfig(env);
  const db = await openDatabase({ databaseUrl: url, home: config.home, poolSize: shape.inProcess ? 4 : 2 });
  const redis = new Redis(shape.redisUrl);
  await redis.flushdb();
  const workers = shape.inProcess ? [] : Array.from({ length: shape.workers }, () => startWorker(env));
  if (workers.length > 0) await new Promise((resolve) => setTimeout(resolve, 2500));
  let redisPeakBytes = 0;
  let workerPeakRssBytes = 0;
  const sampler = setInterval(() => {
    redis.info('memory').then((info) => {
      redisPeakBytes = Math.max(redisPeakBytes, Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0));
    }, () => {});
    for (const w of workers) workerPeakRssBytes = Math.max(workerPeakRssBytes, peakRss(w.pid!));
  }, 100);
  const sink = shape.inProcess
    ? inlineSink(db, runOutage({ config, logger: silent }))
    : queueSink(redis, { prefix: PREFIX, attempts: config.jobAttempts, maxQueued: config.maxQueuedBatches });
  const started = performance.now();
  const outcome = await ingestFeed({ config, db, sink, logger: silent }, { input: updates, feed: {} });
  const run = await waitForRun({ config, db, logger: silent }, outcome.run.id, { pollMs: 25 });
  const ms = performance.now() - started;
  clearInterval(sampler);
  for (const w of workers) workerPeakRssBytes = Math.max(workerPeakRssBytes, peakRss(w.pid!));
  if (shape.inProcess) workerPeakRssBytes = peakRss(process.pid);
  if (run.status !== 'applied') throw new Error(`feedline run ended ${run.status}: ${run.error}`);
  const [ledger] = await query<{ bytes: number }>(db.orm, drizzleSql`
    select ((select coalesce(sum(pg_column_size(b.*)), 0) from feed_batches b where run_id = ${run.id})
      + (select coalesce(sum(pg_column_size(a.*)), 0) from takedown_audit a where run_id = ${run.id})
      + (select coalesce(sum(pg_column_size(q.*)), 0) from quarantine q where run_id = ${run.id})
      + (select pg_column_size(r.*) from feed_runs r where id = ${run.id}))::float8 as bytes`);
  await sink.close();
  await Promise.all(workers.map(stopWorker));
  redis.disconnect();
  await db.close();
  return { ms, workerPeakRssBytes, redisPeakBytes, ledgerBytesPerRun: ledger?.bytes ?? 0 };
}

export function startWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'worker'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

export function stopWorker(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve) => {
    child.once('close', resolve);
    child.kill('SIGTERM');
  });
}

/** The process's peak resident set (VmHWM), in bytes. */
function peakRss(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
