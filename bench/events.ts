// `npm run bench:events -- [--rate 400] [--seconds 60] [--workers 2] [--json]`: the Catalogue
// Events receiver (`feedline serve --role events`) and W apply workers (`serve --role worker`)
// on PostgreSQL and Redis, loaded open-loop from another process (bench/events-load.ts).
// Reports acknowledgement p50/p95/p99/max, throughput, peak RSS, and the time from the last
// acknowledgement to the last event applied; then checks correctness and exits 1 when an
// acknowledged event is missing or unapplied, a 5xx was answered, or the catalogue is not the
// newest snapshot of every release. Times are printed, never asserted (docs/benchmarks.md).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase, query } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { feedlineProcess, ROOT } from '../test/helpers/cli.js';
import { recreateDatabase } from '../test/helpers/db.js';
import { SOURCE } from '../test/helpers/events.js';
import { tempDir } from '../test/helpers/feeds.js';
import { generateProviderKeys, signToken } from '../test/helpers/provider.js';
import { clearPrefix } from '../test/helpers/redis.js';
import { plan, titleOf, type PlannedEvent } from './events-plan.js';

const { values } = parseArgs({ options: {
  rate: { type: 'string', default: '400' }, seconds: { type: 'string', default: '60' }, workers: { type: 'string', default: '2' }, json: { type: 'boolean' },
} });
const rate = Number(values.rate);
const total = Math.round(rate * Number(values.seconds));
const REDIS_URL = process.env.FEEDLINE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/8';
const PREFIX = 'flbench-events';
// This port range (17200-17299).
const PORT = Number(process.env.FEEDLINE_BENCH_EVENTS_PORT ?? 17280);

interface LoadResult {
  requests: number; seconds: number; throughput: number; statuses: Record<string, number>; over10s: number;
  p50: number; p95: number; p99: number; max: number; lastAckAt: number; acked: number[];
}

function serve(role: 'events' | 'worker', env: Record<string, string>, index: number): Promise<ChildProcess> {
  const child = feedlineProcess(['serve', '--role', role], { ...env, FEEDLINE_HTTP_PORT: String(PORT + 1 + index), LOG_LEVEL: 'info' });
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen = (seen + d.toString()).slice(-4000);
      if (seen.includes('serving')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`serve --role ${role} exited ${code}: ${seen}`)));
  });
}

/** Peak resident set of a process so far (VmHWM), in MiB. */
function peakRssMiB(pid: number | undefined): number | null {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
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
const children: ChildProcess[] = [];
try {
  children.push(await serve('events', env, 0));
  for (let w = 0; w < Number(values.workers); w++) children.push(await serve('worker', env, w + 1));
  const tokens = await Promise.all(Array.from({ length: 64 }, () => signToken(keys)));
  const planFile = path.join(dir, 'plan.json');
  writeFileSync(planFile, JSON.stringify({ url: `http://127.0.0.1:${PORT}/events/standard`, rate, total, tokens }));

  const load = await new Promise<LoadResult>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/events-load.ts'), planFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited ${code}`))));
  });

  // Wait for apply to finish: nothing open in the inbox.
  for (;;) {
    const [open] = await query<{ n: number }>(db.orm, sql`select count(*)::integer as n from events_inbox where status in ('pending', 'waiting')`);
    if (open!.n === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const [applied] = await query<{ last: string; stale: number; applied: number; rows: number }>(db.orm, sql`
    select max(applied_at) as last, count(*) filter (where status = 'stale')::integer as stale,
      count(*) filter (where status = 'applied')::integer as applied, count(*)::integer as rows from events_inbox`);
  const rss = { receiver: peakRssMiB(children[0]!.pid), workers: children.slice(1).map((c) => peakRssMiB(c.pid)) };

  // Correctness: every acknowledged event stored and applied; the newest snapshot everywhere.
  const events = plan(total);
  const ackedEvents = load.acked.map((i) => events[i]!);
  const stored = new Set((await query<{ key: string }>(db.orm, sql`
    select item_id || '/' || version as key from events_inbox where status in ('applied', 'stale')`)).map((r) => r.key));
  const lost = ackedEvents.filter((e) => !stored.has(`${e.releaseId}/${e.version}`));
  const newest = new Map<number, PlannedEvent>();
  for (const e of ackedEvents) if ((newest.get(e.releaseId)?.version ?? 0) < e.version) newest.set(e.releaseId, e);
  const rows = await query<{ id: string; status: string; title: string | null }>(db.orm, sql`
    select id, status, title from releases where source = ${SOURCE} and country = 'GB'`);
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  const wrong = [...newest.values()].filter((e) => {
    const row = byId.get(e.releaseId);
    return e.takedown ? row !== undefined && row.status !== 'taken_down' : row?.status !== 'live' || row.title !== titleOf(e);
  });
  const fiveXx = Object.entries(load.statuses).filter(([s]) => s.startsWith('5') || s === 'error').reduce((n, [, c]) => n + c, 0);

  const result = {
    machine: 'shared 2-core machine (other engineers testing at the same time)',
    offered: { rate, seconds: Number(values.seconds), requests: total, workers: Number(values.workers) },
    ackMs: { p50: round(load.p50), p95: round(load.p95), p99: round(load.p99), max: round(load.max) },
    over10s: load.over10s,
    throughput: round(load.throughput),
    statuses: load.statuses,
    lastAckToLastApplySeconds: round((Date.parse(applied!.last) - load.lastAckAt) / 1000),
    inbox: { rows: applied!.rows, applied: applied!.applied, stale: applied!.stale },
    peakRssMiB: rss,
    correctness: { acknowledged: load.acked.length, lost: lost.length, fiveXx, catalogueMismatches: wrong.length },
  };
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(`${rate} req/s offered for ${values.seconds} s (${total} requests), ${values.workers} workers\n`);
    process.stdout.write(`ack ms p50 ${result.ackMs.p50}  p95 ${result.ackMs.p95}  p99 ${result.ackMs.p99}  max ${result.ackMs.max}  (over 10 s: ${load.over10s})\n`);
    process.stdout.write(`throughput ${result.throughput} req/s; statuses ${JSON.stringify(load.statuses)}\n`);
    process.stdout.write(`last ack -> last apply ${result.lastAckToLastApplySeconds} s; applied ${applied!.applied}, stale ${applied!.stale}\n`);
    process.stdout.write(`peak RSS MiB: receiver ${rss.receiver}, workers ${rss.workers.join(', ')}\n`);
    process.stdout.write(`correctness: ${JSON.stringify(result.correctness)}\n`);
  }
  if (lost.length > 0 || fiveXx > 0 || wrong.length > 0 || load.acked.length !== total) {
    process.stderr.write(`FAILED: ${lost.length} acknowledged events lost, ${fiveXx} 5xx/errors, ${wrong.length} releases not at their newest snapshot, ${total - load.acked.length} not acknowledged\n`);
    process.exitCode = 1;
  }
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await clearPrefix(PREFIX, REDIS_URL);
  await db.close();
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
