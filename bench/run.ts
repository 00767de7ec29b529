// `npm run bench -- [--rows N] [--workers W] [--runs R] [--json]`: feedline end to end
// against a hand-written COPY + merge (bench/reference.ts) on the same generated feed and
// the same prepared state, alternating R times, then checks both ended in the same catalogue.
// Results are printed, never asserted against a time (docs/benchmarks.md records them).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { sql as drizzleSql } from 'drizzle-orm';
import { loadConfig } from '../src/config/load.js';
import { openDatabase, query, type Database } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { ingestFeed, waitForRun } from '../src/ingest/ingest.js';
import { createLogger } from '../src/log.js';
import { inlineSink, queueSink } from '../src/queue/sink.js';
import { versionBase } from '../src/apply/version.js';
import { generateFullFeed, generateUpdatesFeed } from './generate.js';
import { prepareBaseState, runReference } from './reference.js';
import { databaseUrl, recreateDatabase } from '../test/helpers/db.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REDIS_URL = process.env.FEEDLINE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/8';
const PREFIX = 'flbench';
const FULL_DATE = '2026-11-16';
const UPDATES_DATE = '2026-11-20';
const silent = createLogger({ level: 'silent', destination: { write() {} } });

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    workers: { type: 'string', default: '2' },
    runs: { type: 'string', default: '3' },
    'batch-size': { type: 'string' },
    // Only feedline: for the scaling goal (10M vs 1M), which needs no reference run.
    'feedline-only': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});
const rows = Number(args.rows);
const workerCount = Number(args.workers);
const runs = Number(args.runs);

interface Measurement {
  /** Absent with --feedline-only. */
  referenceMs?: number;
  feedlineMs: number;
  workerPeakRssBytes: number;
  redisPeakBytes: number;
  ledgerBytesPerRun: number;
}

async function main(): Promise<void> {
  const outDir = path.join(ROOT, 'bench/out', String(rows));
  mkdirSync(outDir, { recursive: true });
  const full = path.join(outDir, `GB_track_full_${FULL_DATE.replaceAll('-', '')}.csv.gz`);
  const updates = path.join(outDir, `GB_track_updates_${UPDATES_DATE.replaceAll('-', '')}.csv.gz`);
  if (!existsSync(full)) await generateFullFeed({ path: full, rows, seed: 1 });
  if (!existsSync(updates)) await generateUpdatesFeed({ path: updates, rows, seed: 2, existingIds: rows });
  log(`feeds: ${rows} rows each (${path.relative(ROOT, updates)})`);

  const withReference = !args['feedline-only'];
  const measurements: Measurement[] = [];
  for (let run = 1; run <= runs; run++) {
    const referenceMs = withReference ? await timeReference(full, updates) : undefined;
    if (referenceMs !== undefined) log(`run ${run}: reference ${(referenceMs / 1000).toFixed(1)} s`);
    const measured = await timeFeedline(full, updates);
    log(`run ${run}: feedline ${(measured.feedlineMs / 1000).toFixed(1)} s`);
    measurements.push({ referenceMs, ...measured });
    if (withReference) await compareStates();
  }
  const takedownMs = await timeTakedowns();

  const referenceMs = withReference ? median(measurements.map((m) => m.referenceMs!)) : undefined;
  const feedlineMs = median(measurements.map((m) => m.feedlineMs));
  const timing = (ms: number) => ({ medianSeconds: ms / 1000, rowsPerSecond: Math.round(rows / (ms / 1000)) });
  const result = {
    rows, workers: workerCount, runs,
    reference: referenceMs === undefined ? null : timing(referenceMs),
    feedline: timing(feedlineMs),
    ratio: referenceMs === undefined ? null : feedlineMs / referenceMs,
    workerPeakRssMB: Math.max(...measurements.map((m) => m.workerPeakRssBytes)) / 2 ** 20,
    redisPeakUsedMemoryMB: Math.max(...measurements.map((m) => m.redisPeakBytes)) / 2 ** 20,
    ledgerKBPerRun: measurements[0]!.ledgerBytesPerRun / 1024,
    takedowns1000Seconds: takedownMs / 1000,
    statesEqual: withReference ? true : null,
  };
  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write([
      '',
      `rows ${rows}, ${workerCount} workers, ${runs} runs (median)`,
      `  reference (COPY + merge)   ${result.reference ? timingLine(result.reference) : '   skipped (--feedline-only)'}`,
      `  feedline (end to end)      ${timingLine(result.feedline)}`,
      `  ratio feedline/reference   ${result.ratio === null ? '       -' : result.ratio.toFixed(2).padStart(8)}`,
      `  peak worker RSS            ${result.workerPeakRssMB.toFixed(0).padStart(8)} MB`,
      `  peak Redis used_memory     ${result.redisPeakUsedMemoryMB.toFixed(1).padStart(8)} MB`,
      `  ledger kept per run        ${result.ledgerKBPerRun.toFixed(0).padStart(8)} KB`,
      `  1,000 takedowns, end to end${result.takedowns1000Seconds.toFixed(2).padStart(7)} s`,
      `  end states                    ${withReference ? 'equal' : 'not compared (--feedline-only)'}`,
      '',
    ].join('\n'));
  }
}

async function timeReference(full: string, updates: string): Promise<number> {
  const url = await recreateDatabase('feedline_bench_reference');
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await prepareBaseState({ sql, fullFeedPath: full, country: 'GB', source: '7digital', versionBase: versionBase(new Date(`${FULL_DATE}T00:00:00Z`), 'full') });
    const started = performance.now();
    await runReference({ sql, feedPath: updates, country: 'GB', source: '7digital', versionBase: versionBase(new Date(`${UPDATES_DATE}T00:00:00Z`), 'updates') });
    return performance.now() - started;
  } finally {
    await sql.end();
  }
}

async function timeFeedline(full: string, updates: string): Promise<Omit<Measurement, 'referenceMs'>> {
  const url = await recreateDatabase('feedline_bench_feedline');
  const env = benchEnv(url);
  const config = loadConfig(env);
  const db = await openDatabase({ databaseUrl: url, home: config.home, poolSize: 2 });
  await migrate(db);
  // The same prepared state as the reference: the full feed loaded, vacuumed, checkpointed.
  const base = await ingestFeed({ config, db, sink: inlineSink(db), logger: silent }, { input: full, feed: {} });
  await waitForRun({ config, db, logger: silent }, base.run.id, 100);
  await db.orm.execute(drizzleSql`vacuum (analyze) tracks`);
  await db.orm.execute(drizzleSql`checkpoint`);

  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  const workers = Array.from({ length: workerCount }, () => startWorker(env));
  await new Promise((resolve) => setTimeout(resolve, 2500));
  let redisPeakBytes = 0;
  let workerPeakRssBytes = 0;
  const sampler = setInterval(() => {
    redis.info('memory').then((info) => {
      redisPeakBytes = Math.max(redisPeakBytes, Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0));
    }, () => {});
    for (const w of workers) workerPeakRssBytes = Math.max(workerPeakRssBytes, peakRss(w.pid!));
  }, 100);
  const sink = queueSink(redis, { prefix: PREFIX, attempts: config.jobAttempts, maxQueued: config.maxQueuedBatches });
  const started = performance.now();
  const outcome = await ingestFeed({ config, db, sink, logger: silent }, { input: updates, feed: {} });
  const run = await waitForRun({ config, db, logger: silent }, outcome.run.id, 25);
  const feedlineMs = performance.now() - started;
  clearInterval(sampler);
  for (const w of workers) workerPeakRssBytes = Math.max(workerPeakRssBytes, peakRss(w.pid!));
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
  return { feedlineMs, workerPeakRssBytes, redisPeakBytes, ledgerBytesPerRun: ledger?.bytes ?? 0 };
}

/** Same live and taken-down ids, statuses and titles in both end states; throws if not. */
async function compareStates(): Promise<void> {
  const digest = async (name: string) => {
    const sql = postgres(databaseUrl(name), { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ n: number; live: number; digest: string }[]>`
        select count(*)::int as n, count(*) filter (where status = 'live')::int as live,
          md5(string_agg(id || '|' || status || '|' || coalesce(title, '') || '|' || coalesce(display_title, ''), E'\n' order by id)) as digest
        from tracks`;
      return row!;
    } finally {
      await sql.end();
    }
  };
  const reference = await digest('feedline_bench_reference');
  const feedline = await digest('feedline_bench_feedline');
  if (reference.digest !== feedline.digest) {
    throw new Error(`END STATES DIFFER: reference ${JSON.stringify(reference)}, feedline ${JSON.stringify(feedline)}`);
  }
  log(`end states equal: ${reference.n} tracks, ${reference.live} live`);
}

/** A feed of 1,000 takedowns, from `feedline ingest` starting to every takedown applied. */
async function timeTakedowns(): Promise<number> {
  const url = await recreateDatabase('feedline_bench_takedowns');
  const env = benchEnv(url);
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  redis.disconnect();
  const workers = Array.from({ length: workerCount }, () => startWorker(env));
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const file = path.join(ROOT, 'bench/out/GB_track_updates_20261121.csv.gz');
  const { writeFileSync } = await import('node:fs');
  const { gzipSync } = await import('node:zlib');
  const header = 'action,trackId,title,version,type,isrc,explicitContent,trackNumber,discNumber,artistId,artistAppearsAs,releaseId,duration,formats,price,rrp,url,popularity,streamingReleaseDate,licensorID';
  const records = Array.from({ length: 1000 }, (_, i) => `D,${i + 1},Title ${i + 1},,Audio,GBBEN${String(i).padStart(7, '0')},false,1,1,1,Artist,1,200,17,0.99,0.99,https://example.test/${i},0.5,2026-01-01T00:00:00Z,1`);
  writeFileSync(file, gzipSync(`${header}\n${records.join('\n')}\n`));
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'ingest', file], { env, stdio: 'ignore' });
    child.on('close', resolve);
  });
  const ms = performance.now() - started;
  await Promise.all(workers.map(stopWorker));
  if (code !== 0) throw new Error(`takedown ingest exited ${code}`);
  return ms;
}

function benchEnv(url: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATABASE_URL: url,
    REDIS_URL,
    FEEDLINE_QUEUE_PREFIX: PREFIX,
    FEEDLINE_HOME: path.join(ROOT, 'bench/out/home'),
    LOG_LEVEL: 'warn',
    ...(args['batch-size'] ? { FEEDLINE_BATCH_SIZE: args['batch-size'] } : {}),
  };
}

function startWorker(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'worker'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  return child;
}

function stopWorker(child: ChildProcess): Promise<unknown> {
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

function timingLine(timing: { medianSeconds: number; rowsPerSecond: number }): string {
  return `${timing.medianSeconds.toFixed(2).padStart(8)} s  ${String(timing.rowsPerSecond).padStart(8)} rows/s`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

await main();
