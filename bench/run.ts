// `npm run bench -- [--rows N] [--workers W] [--runs R] [--states empty,prefilled]
//   [--order ascending|random] [--contestants script,lean,reference,feedline] [--in-process]
//   [--reuse-templates] [--batch-size B] [--worker-concurrency C] [--json]`
//
// feedline end to end against three hand-written references on the same generated feed, in
// two catalogue states: `empty` (the updates feed into an empty catalogue) and `prefilled`
// (a full feed of the same ids applied first, so every row is an update), with the feed's
// ids ascending (as the provider publishes them) or shuffled (`--order random`). The
// references: the user's script (bench/script.ts: typed COPY, numeric ids, one guarded
// merge), the headline yardstick; the lean one (bench/lean.ts: text keys with a source
// column, an audit row per takedown record); and the full one (bench/reference.ts), which
// also keeps the raw record and counts physical lines as feedline does. Each state is prepared once
// per contestant as a template and cloned for every run; contestants alternate within a
// run, so each run's ratios are paired. End states are compared by digest and must be
// equal. Results are printed, never asserted against a time (docs/benchmarks.md).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { versionBase } from '../src/catalogue/version.js';
import { generateFullFeed, generateUpdatesFeed } from './generate.js';
import { createReferenceSchema, prepareBaseState, runReference } from './reference.js';
import { createLeanSchema, runLean } from './lean.js';
import { createScriptSchema, runScript } from './script.js';
import type { FeedOrder } from './generate.js';
import { benchDatabase, cloneDatabase, listDatabases, recreate, stateDigest, type StateDigest } from './databases.js';
import { benchEnv, prepareFeedline, startWorker, stopWorker, timeFeedline, type FeedlineMeasurement, type FeedlineShape } from './feedline.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FULL_DATE = '2026-11-16';
const UPDATES_DATE = '2026-11-20';
const COMMON = { country: 'GB', source: '7digital' } as const;
const fullBase = versionBase(new Date(`${FULL_DATE}T00:00:00Z`), 'full');
const updatesBase = versionBase(new Date(`${UPDATES_DATE}T00:00:00Z`), 'updates');

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    workers: { type: 'string', default: '2' },
    runs: { type: 'string', default: '3' },
    states: { type: 'string', default: 'empty,prefilled' },
    contestants: { type: 'string', default: 'script,lean,reference,feedline' },
    order: { type: 'string', default: 'ascending' },
    'in-process': { type: 'boolean', default: false },
    // Keep the prepared states of an earlier invocation (only while the code that prepared them is unchanged).
    'reuse-templates': { type: 'boolean', default: false },
    'batch-size': { type: 'string' },
    // Batches each worker applies at once (FEEDLINE_WORKER_CONCURRENCY; default 2).
    'worker-concurrency': { type: 'string' },
    // Only feedline: for the scaling goal (10M vs 1M), which needs no reference run.
    'feedline-only': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});
const rows = Number(args.rows);
const runs = Number(args.runs);
type State = 'empty' | 'prefilled';
type Contestant = 'script' | 'lean' | 'reference' | 'feedline';
const CONTESTANTS: readonly Contestant[] = ['script', 'lean', 'reference', 'feedline'];
const order = args.order as FeedOrder;
if (order !== 'ascending' && order !== 'random') throw new Error(`--order: ascending or random, got ${args.order}`);
const states = args.states.split(',') as State[];
const contestants = (args['feedline-only'] ? ['feedline'] : args.contestants.split(',')) as Contestant[];
for (const s of states) if (s !== 'empty' && s !== 'prefilled') throw new Error(`--states: unknown state ${s}`);
for (const c of contestants) if (!CONTESTANTS.includes(c)) throw new Error(`--contestants: unknown contestant ${c}`);
const shape: FeedlineShape = {
  redisUrl: process.env.FEEDLINE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/8',
  workers: Number(args.workers),
  inProcess: args['in-process'],
  batchSize: args['batch-size'],
  workerConcurrency: args['worker-concurrency'],
};

interface Run { ms: Record<Contestant, number | undefined>; feedline?: FeedlineMeasurement }

async function main(): Promise<void> {
  const outDir = path.join(ROOT, 'bench/out', order === 'ascending' ? String(rows) : `${rows}-${order}`);
  mkdirSync(outDir, { recursive: true });
  const full = path.join(outDir, `GB_track_full_${FULL_DATE.replaceAll('-', '')}.csv.gz`);
  const updates = path.join(outDir, `GB_track_updates_${UPDATES_DATE.replaceAll('-', '')}.csv.gz`);
  if (!existsSync(full)) await generateFullFeed({ path: full, rows, seed: 1, order });
  if (!existsSync(updates)) await generateUpdatesFeed({ path: updates, rows, seed: 2, existingIds: rows, order });
  log(`feeds: ${rows} rows each, ids ${order} (${path.relative(ROOT, updates)}); ${shape.inProcess ? 'feedline in process' : `feedline with ${shape.workers} workers`}`);

  const template = (c: Contestant, s: State) => benchDatabase(`${c}_${s}_${rows}${order === 'ascending' ? '' : `_${order}`}`);
  const existing = args['reuse-templates'] ? await listDatabases() : new Set<string>();
  for (const s of states) for (const c of contestants) if (!existing.has(template(c, s))) await prepare(c, s, template(c, s), full);

  const results: Record<State, Run[]> = { empty: [], prefilled: [] };
  for (let run = 1; run <= runs; run++) {
    for (const s of states) {
      const measured: Run = { ms: { script: undefined, lean: undefined, reference: undefined, feedline: undefined } };
      const digests: Partial<Record<Contestant, StateDigest>> = {};
      for (const c of contestants) {
        const name = benchDatabase(`${c}_run`);
        const url = await cloneDatabase(template(c, s), name);
        if (c === 'feedline') {
          measured.feedline = await timeFeedline(url, updates, shape);
          measured.ms.feedline = measured.feedline.ms;
        } else measured.ms[c] = await timeSql(url, (sql) => c === 'script'
          ? runScript({ sql, feedPath: updates, country: COMMON.country, versionBase: updatesBase, kind: 'updates' })
          : c === 'lean'
            ? runLean({ ...COMMON, sql, feedPath: updates, versionBase: updatesBase, kind: 'updates' })
            : runReference({ ...COMMON, sql, feedPath: updates, versionBase: updatesBase }).then(() => {}));
        digests[c] = await stateDigest(name);
      }
      compare(s, digests);
      log(`run ${run} ${s}: ${contestants.map((c) => `${c} ${(measured.ms[c]! / 1000).toFixed(1)} s`).join(', ')}`);
      results[s].push(measured);
    }
  }
  const takedownMs = contestants.includes('feedline') && !shape.inProcess ? await timeTakedowns() : undefined;
  report(results, takedownMs);
}

async function prepare(c: Contestant, s: State, name: string, full: string): Promise<void> {
  const url = await recreate(name);
  const started = performance.now();
  if (c === 'feedline') await prepareFeedline(url, s === 'prefilled' ? full : undefined, shape);
  else {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      if (c === 'script') {
        await createScriptSchema(sql);
        if (s === 'prefilled') await runScript({ sql, feedPath: full, country: COMMON.country, versionBase: fullBase, kind: 'full' });
      } else if (c === 'lean') {
        await createLeanSchema(sql);
        if (s === 'prefilled') await runLean({ ...COMMON, sql, feedPath: full, versionBase: fullBase, kind: 'full' });
      } else if (s === 'prefilled') await prepareBaseState({ ...COMMON, sql, fullFeedPath: full, versionBase: fullBase });
      else await createReferenceSchema(sql);
      await sql`vacuum (analyze)`;
      await sql`checkpoint`;
    } finally {
      await sql.end();
    }
  }
  log(`prepared ${c} ${s} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function timeSql(url: string, work: (sql: postgres.Sql) => Promise<void>): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const started = performance.now();
    await work(sql);
    return performance.now() - started;
  } finally {
    await sql.end();
  }
}

/**
 * Every contestant must end in the same catalogue. feedline and lean audit each takedown
 * record that took effect, so their audit rows must match; every contestant that audits
 * must have audited the same items taken down (the user's script audits just those).
 */
function compare(s: State, digests: Partial<Record<Contestant, StateDigest>>): void {
  const entries = Object.entries(digests) as [Contestant, StateDigest][];
  const [first] = entries;
  const records = entries.filter(([c, d]) => c !== 'script' && d.audit !== null);
  const audited = entries.filter(([, d]) => d.auditedDown !== null);
  const differ = (list: [Contestant, StateDigest][], same: (a: StateDigest, b: StateDigest) => boolean) =>
    list.find(([, d]) => !same(list[0]![1], d));
  const odd = differ(entries, (a, b) => a.digest === b.digest)
    ?? differ(records, (a, b) => a.audit === b.audit)
    ?? differ(audited, (a, b) => a.auditedDown === b.auditedDown);
  if (odd) throw new Error(`END STATES DIFFER (${s}): ${first![0]} ${JSON.stringify(first![1])}, ${odd[0]} ${JSON.stringify(odd[1])}`);
  if (first) {
    log(`end states equal (${s}): ${first[1].tracks} tracks, ${first[1].live} live, ${records[0]?.[1].audit ?? '-'} takedown audit rows, ${audited[0]?.[1].auditedDown ?? '-'} items taken down and audited`);
  }
}

/** A feed of 1,000 takedowns, from `feedline ingest` starting to every takedown applied. */
async function timeTakedowns(): Promise<number> {
  const url = await recreate(benchDatabase('takedowns'));
  const env = benchEnv(url, shape);
  const redis = new Redis(shape.redisUrl);
  await redis.flushdb();
  redis.disconnect();
  const workers = Array.from({ length: shape.workers }, () => startWorker(env));
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const file = path.join(ROOT, 'bench/out/GB_track_updates_20261121.csv.gz');
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

function report(results: Record<State, Run[]>, takedownMs: number | undefined): void {
  const perState = states.map((s) => {
    const list = results[s];
    const med = (c: Contestant) => (contestants.includes(c) ? median(list.map((r) => r.ms[c]!)) / 1000 : null);
    // Ratios are taken per run (contestants ran back to back), then the median of them.
    const ratio = (c: Contestant) => (contestants.includes('feedline') && contestants.includes(c)
      ? median(list.map((r) => r.ms.feedline! / r.ms[c]!)) : null);
    const feedline = list.map((r) => r.feedline).filter((m) => m !== undefined);
    return {
      state: s,
      seconds: { script: med('script'), lean: med('lean'), reference: med('reference'), feedline: med('feedline') },
      runs: list.map((r) => r.ms),
      ratioToScript: ratio('script'),
      ratioToLean: ratio('lean'),
      ratioToReference: ratio('reference'),
      workerPeakRssMB: feedline.length ? Math.max(...feedline.map((m) => m.workerPeakRssBytes)) / 2 ** 20 : null,
      redisPeakUsedMemoryMB: feedline.length ? Math.max(...feedline.map((m) => m.redisPeakBytes)) / 2 ** 20 : null,
      ledgerKBPerRun: feedline.length ? feedline[0]!.ledgerBytesPerRun / 1024 : null,
    };
  });
  const result = {
    rows, runs, order, shape: shape.inProcess ? 'in-process' : `${shape.workers} workers`, states: perState,
    takedowns1000Seconds: takedownMs === undefined ? null : takedownMs / 1000,
    statesEqual: contestants.length > 1 ? true : null,
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const secs = (v: number | null) => (v === null ? '       -' : `${v.toFixed(2).padStart(8)} s`);
  const ratio = (v: number | null) => (v === null ? '       -' : v.toFixed(2).padStart(8));
  const lines = ['', `rows ${rows}, ids ${order}, feedline ${result.shape}, ${runs} runs (medians; ratios paired per run)`];
  for (const p of perState) {
    lines.push(
      `  ${p.state}:`,
      `    user's script (typed COPY)      ${secs(p.seconds.script)}`,
      `    lean reference (COPY + merge)   ${secs(p.seconds.lean)}`,
      `    full reference (+ raw, lines)   ${secs(p.seconds.reference)}`,
      `    feedline (end to end)           ${secs(p.seconds.feedline)}`,
      `    RATIO FEEDLINE / USER'S SCRIPT  ${ratio(p.ratioToScript)}`,
      `    ratio feedline / lean           ${ratio(p.ratioToLean)}`,
      `    ratio feedline / full reference ${ratio(p.ratioToReference)}`,
      `    peak worker RSS                 ${p.workerPeakRssMB === null ? '       -' : p.workerPeakRssMB.toFixed(0).padStart(8)} MB`,
      `    peak Redis used_memory          ${p.redisPeakUsedMemoryMB === null ? '       -' : p.redisPeakUsedMemoryMB.toFixed(1).padStart(8)} MB`,
      `    ledger kept per run             ${p.ledgerKBPerRun === null ? '       -' : p.ledgerKBPerRun.toFixed(0).padStart(8)} KB`,
    );
  }
  lines.push(
    `  1,000 takedowns, end to end     ${result.takedowns1000Seconds === null ? '       -' : `${result.takedowns1000Seconds.toFixed(2).padStart(8)} s`}`,
    `  end states                         ${contestants.length > 1 ? 'equal' : 'not compared (one contestant)'}`,
    '',
  );
  process.stdout.write(lines.join('\n'));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

await main();
