// `npm run bench:events -- [--rate 400] [--duration 10m] [--workers 1] [--worker-kind worker|serve]
// [--backlog 20000] [--json]` (docs/benchmarks.md "Catalogue Events at the peak"). On this
// machine: the receiver (`node bin/feedline.js serve --role events`), the apply workers
// (`feedline worker`, or `serve --role worker`), PostgreSQL and Redis; the load from another
// process (bench/events-load.ts), open-loop. Phase 1 posts the plan at --rate for --duration
// and waits for the apply to drain. Phase 2 stops the workers, stores a backlog of --backlog
// items through the receiver, starts the workers again and times the apply alone. Then every
// acknowledged item and every release and track of the plan is checked; exit 1 when a check
// fails. Times are printed against their goals, never asserted.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { exportJWK } from 'jose';
import { Redis } from 'ioredis';
import { openDatabase, query, type Database } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { ROOT } from '../test/helpers/cli.js';
import { recreateDatabase } from '../test/helpers/db.js';
import { SOURCE } from '../test/helpers/events.js';
import { tempDir } from '../test/helpers/feeds.js';
import { generateProviderKeys } from '../test/helpers/provider.js';
import { clearPrefix } from '../test/helpers/redis.js';
import { checkCatalogue, checkInbox } from './events-check.js';
import type { LoadPlan, LoadResult } from './events-load.js';
import { nextRelease, planItems, planRequests, type PlannedRequest } from './events-plan.js';
import { peakRssMiB, runLoad, startReceiver, startWorkers, stop, type WorkerKind } from './events-processes.js';
import { correctnessFailures, goals, printed, type BenchResult } from './events-report.js';

/** `90s`, `10m`, `1h` or a number of seconds. */
function durationSeconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`--duration ${text}: expected e.g. 90s, 10m, 1h or seconds`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
}

const { values } = parseArgs({ options: {
  rate: { type: 'string', default: '400' }, duration: { type: 'string', default: '10m' }, workers: { type: 'string', default: '1' },
  'worker-kind': { type: 'string', default: 'worker' }, backlog: { type: 'string', default: '20000' }, json: { type: 'boolean' },
} });
const rate = Number(values.rate);
const seconds = durationSeconds(values.duration);
const workerCount = Number(values.workers);
const workerKind = values['worker-kind'] as WorkerKind;
const backlogItems = Number(values.backlog);
if (!(rate > 0) || !(workerCount >= 1) || !(backlogItems >= 1) || !['worker', 'serve'].includes(workerKind)) {
  throw new Error('--rate and --backlog must be positive, --workers at least 1, --worker-kind worker or serve');
}
if (!existsSync(path.join(ROOT, 'dist/src/cli/main.js'))) throw new Error('bin/feedline.js runs the build: run `npm run build` first');

const REDIS_URL = process.env.FEEDLINE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/8';
const PREFIX = 'flbench-events';
// This port range (17200-17299): the receiver, its HTTP port, then one per `serve` worker.
const PORT = Number(process.env.FEEDLINE_BENCH_EVENTS_PORT ?? 17280);
const FIRST_RELEASE = 3_000_000;
/** Stop waiting for the apply when the inbox's open count has not moved for this long. */
const STALL_MS = 5 * 60_000;

/** Waits until no event is open (pending or waiting), or the count stalls; logs progress to stderr. */
async function drained(db: Database): Promise<void> {
  let last = -1;
  let movedAt = Date.now();
  let loggedAt = Date.now();
  for (;;) {
    const [open] = await query<{ n: number }>(db.orm, sql`select count(*)::integer as n from events_inbox where status in ('pending', 'waiting')`);
    if (open!.n === 0) return;
    if (open!.n !== last) [last, movedAt] = [open!.n, Date.now()];
    if (Date.now() - movedAt > STALL_MS) return void process.stderr.write(`apply stalled with ${open!.n} events open\n`);
    if (Date.now() - loggedAt > 30_000) {
      loggedAt = Date.now();
      process.stderr.write(`${open!.n} events still open\n`);
    }
    // Seldom: counting a large backlog every 250 ms took a third of a core from the apply it waits for.
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

async function lastAppliedSince(db: Database, afterInboxId: number): Promise<{ at: number | null; rows: number; maxId: number }> {
  const [row] = await query<{ last: string | null; rows: number; max_id: string | null }>(db.orm, sql`
    select max(applied_at) as last, count(*)::integer as rows, max(id)::text as max_id from events_inbox where id > ${afterInboxId}`);
  return { at: row!.last ? Date.parse(row!.last) : null, rows: row!.rows, maxId: Number(row!.max_id ?? afterInboxId) };
}

function ackedItems(requests: readonly PlannedRequest[], load: LoadResult) {
  return load.acked.flatMap((i) => requests[i]!.items);
}

const dbUrl = await recreateDatabase('feedline_bench_events');
const db = await openDatabase({ databaseUrl: dbUrl, home: '', poolSize: 2 });
await migrate(db);
await clearPrefix(PREFIX, REDIS_URL);
const dir = tempDir('feedline-bench-events-');
const keys = await generateProviderKeys();
writeFileSync(path.join(dir, 'provider.pem'), keys.publicKeyPem);
const env = {
  DATABASE_URL: dbUrl, REDIS_URL, FEEDLINE_QUEUE_PREFIX: PREFIX, FEEDLINE_HOME: dir, FEEDLINE_SOURCE: SOURCE,
  FEEDLINE_EVENTS_PUBLIC_KEY_FILE: path.join(dir, 'provider.pem'), FEEDLINE_EVENTS_PORT: String(PORT),
};
const privateJwk = await exportJWK(keys.privateKey);
const loadOf = async (size: LoadPlan['size'], firstRelease: number, name: string) => {
  const planFile = path.join(dir, `${name}.json`);
  const plan: LoadPlan = { url: `http://127.0.0.1:${PORT}/events/standard`, rate, size, firstRelease, privateJwk, kid: keys.kid };
  writeFileSync(planFile, JSON.stringify(plan));
  return runLoad(planFile);
};

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
let sampledPeakBytes = 0;
const sampler = setInterval(() => void redis.info('memory').then((info) => {
  sampledPeakBytes = Math.max(sampledPeakBytes, Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0));
}, () => {}), 500);
const receiver = await startReceiver({ ...env, FEEDLINE_HTTP_PORT: String(PORT + 1) });
let workers = await startWorkers(workerKind, workerCount, env, PORT + 2);
try {
  // Phase 1: the peak, received and applied at once.
  const loadRequests = planRequests(Math.round(rate * seconds), FIRST_RELEASE);
  const load = await loadOf({ requests: loadRequests.length }, FIRST_RELEASE, 'load');
  await drained(db);
  const afterLoad = await lastAppliedSince(db, 0);
  const loadWorkersRss = workers.map((w) => peakRssMiB(w.pid));
  await stop(workers);

  // Phase 2: a backlog stored with no worker running, then applied alone.
  const backlogFirst = nextRelease(loadRequests);
  const backlogRequests = planItems(backlogItems, backlogFirst);
  const backlog = await loadOf({ items: backlogItems }, backlogFirst, 'backlog');
  workers = await startWorkers(workerKind, workerCount, env, PORT + 2);
  const workersReadyAt = Date.now();
  await drained(db);
  const afterBacklog = await lastAppliedSince(db, afterLoad.maxId);
  const backlogSeconds = ((afterBacklog.at ?? workersReadyAt) - workersReadyAt) / 1000;

  const acked = [...ackedItems(loadRequests, load), ...ackedItems(backlogRequests, backlog)];
  const memory = await redis.info('memory');
  const { acked: _acknowledgedIndexes, ...loadFigures } = load;
  const result: BenchResult = {
    offered: { rate, seconds, requests: loadRequests.length, items: loadRequests.reduce((n, r) => n + r.items.length, 0), workers: workerCount, workerKind },
    load: loadFigures,
    lastAckToLastApplySeconds: afterLoad.at === null || load.lastAckAt === 0 ? null : (afterLoad.at - load.lastAckAt) / 1000,
    backlog: { events: backlogItems, stored: ackedItems(backlogRequests, backlog).length, seconds: backlogSeconds, eventsPerSecond: backlogSeconds > 0 ? afterBacklog.rows / backlogSeconds : 0 },
    peakRssMiB: { receiver: peakRssMiB(receiver.pid), workers: loadWorkersRss, backlogWorkers: workers.map((w) => peakRssMiB(w.pid)), loadGenerator: load.peakRssMiB },
    redis: { usedMemoryPeakMiB: Number(/used_memory_peak:(\d+)/.exec(memory)?.[1] ?? 0) / 2 ** 20, sampledPeakMiB: sampledPeakBytes / 2 ** 20 },
    inbox: await checkInbox(db, acked),
    catalogue: await checkCatalogue(db, acked),
  };
  if (values.json) process.stdout.write(`${JSON.stringify({ ...result, goals: goals(result), failures: correctnessFailures(result) }, null, 2)}\n`);
  else process.stdout.write(printed(result));
  if (correctnessFailures(result).length > 0) process.exitCode = 1;
} finally {
  clearInterval(sampler);
  await stop([receiver, ...workers]);
  redis.disconnect();
  await clearPrefix(PREFIX, REDIS_URL);
  await db.close();
}
