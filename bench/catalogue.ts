// `npm run bench:catalogue -- [--rows 20000000] [--countries 8] [--updates 1000000] [--reps 5]`:
// does feedline stay fast on a large catalogue? Runs the same operations twice, on an empty
// catalogue and on one of --rows track rows over --countries countries (COPYed straight into
// PostgreSQL, bench/catalogue-build.ts), and prints both with their ratio:
//   - a --updates-row updates feed applied on top (`feedline ingest`, in-process apply),
//   - `feedline get`, `feedline sla`, `feedline report` for a day (the commands run in this
//     process: connection, queries and output, without Node's start-up),
//   - the SLA page and a /metrics scrape (`feedline serve --role api`).
// Before building it estimates the disk from a sample and refuses, saying so, when the free
// space is under three times that. It drops its database when it ends. Not part of CI.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { getCommand } from '../src/cli/get.js';
import { reportCommand } from '../src/cli/report.js';
import { SLA_EXIT, slaCommand } from '../src/cli/sla.js';
import type { Command } from '../src/cli/command.js';
import { loadConfig } from '../src/config/load.js';
import { openDatabase } from '../src/db/client.js';
import { createLogger } from '../src/log.js';
import { migrate } from '../src/db/migrate.js';
import { ADMIN_URL, databaseUrl } from '../test/helpers/db.js';
import { buildCatalogue, createIndexes, estimateBytes, finishCatalogue, freeBytes, idsPerCountry, trackIndexes } from './catalogue-build.js';
import { generateUpdatesFeed } from './generate.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/feedline.js');
const UPDATES_DATE = '2026-11-20';
const SAMPLE_ROWS = 100_000;
const GiB = 1024 ** 3;

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '20000000' },
    countries: { type: 'string', default: '8' },
    updates: { type: 'string', default: '1000000' },
    reps: { type: 'string', default: '5' },
    database: { type: 'string', default: 'feedline_bench_catalogue' },
    // Use the large catalogue a previous run left in --database (one cut short, e.g. by a
    // PostgreSQL restart) instead of building it again: missing indexes are built.
    reuse: { type: 'boolean', default: false },
    port: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});
const shape = { rows: Number(args.rows), countries: Number(args.countries) };
const reps = Number(args.reps);
const log = (line: string) => process.stderr.write(`${line}\n`);
const silent = createLogger({ level: 'silent', destination: { write() {} } });

interface Figures {
  catalogueRows: number;
  updatesFeedMs: number;
  getMs: number;
  slaMs: number;
  reportMs: number;
  slaPageMs: number;
  metricsMs: number;
  /** pg_total_relation_size of tracks (table, TOAST, indexes). */
  catalogueBytes: number;
  /** What the updates run left besides the catalogue: ledger, audit, archive. */
  runBytes: number;
  databaseBytes: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function run(argv: string[], env: Record<string, string>): Promise<{ code: number | null; ms: number; stderr: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...argv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ code, ms: performance.now() - started, stderr }));
  });
}

/** The command as the CLI runs it (connection, queries, output), less Node's start-up: in this process. */
async function timedCommand(command: Command, argv: string[], env: Record<string, string>): Promise<number> {
  const ctx = { config: loadConfig({}, env), logger: silent, out: { json() {}, line() {} }, stopping: new Promise<string>(() => {}) };
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const started = performance.now();
    const code = await command.run(argv, ctx);
    if (![0, SLA_EXIT.breach, SLA_EXIT.warning].includes(code)) throw new Error(`feedline ${command.name} ${argv.join(' ')} returned ${code}`);
    times.push(performance.now() - started);
  }
  return median(times);
}

async function timedHttp(url: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const started = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    times.push(performance.now() - started);
  }
  return median(times);
}

async function startApi(env: Record<string, string>): Promise<{ base: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--role', 'api'], { env: { ...env, FEEDLINE_HTTP_PORT: args.port, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const match = /"url":"(http:\/\/[^"]+)"|listening on (http:\/\/\S+)|"port":(\d+)/.exec(out);
      if (match) resolve(match[1] ?? match[2] ?? `http://127.0.0.1:${match[3]}`);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('close', (code) => reject(new Error(`serve --role api exited ${code}: ${out}`)));
  });
  return {
    base: base.replace(/\/$/, ''),
    stop: () => new Promise((resolve) => {
      child.removeAllListeners('close');
      child.once('close', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

async function recreate(admin: postgres.Sql, name: string): Promise<string> {
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  const url = databaseUrl(name);
  const db = await openDatabase({ databaseUrl: url, home: '' });
  await migrate(db);
  await db.close();
  return url;
}

async function measure(url: string, feed: string, catalogueRows: number, home: string): Promise<Figures> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: url, FEEDLINE_HOME: home, LOG_LEVEL: 'warn' };
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const ingest = await run(['ingest', feed], env);
    if (ingest.code !== 0) throw new Error(`ingest exited ${ingest.code}: ${ingest.stderr}`);
    log(`  updates feed: ${(ingest.ms / 1000).toFixed(1)} s`);
    const today = new Date().toISOString().slice(0, 10);
    // A track the updates run wrote, so it exists on the empty catalogue too.
    const [probe] = await sql<{ id: string }[]>`select id from tracks where source = '7digital' and country = 'GB' and run_id is not null order by id limit 1`;
    const getMs = await timedCommand(getCommand, ['track', probe!.id, '--country', 'GB', '--json'], env);
    const slaMs = await timedCommand(slaCommand, [], env);
    const reportMs = await timedCommand(reportCommand, ['--from', today, '--to', today, '--format', 'csv'], env);
    const api = await startApi(env);
    let slaPageMs: number;
    let metricsMs: number;
    try {
      slaPageMs = await timedHttp(`${api.base}/`);
      metricsMs = await timedHttp(`${api.base}/metrics`);
    } finally {
      await api.stop();
    }
    const [sizes] = await sql<{ catalogue: string; run: string; database: string }[]>`
      select pg_total_relation_size('tracks')::text as catalogue,
        (pg_total_relation_size('feed_runs') + pg_total_relation_size('feed_batches') + pg_total_relation_size('quarantine')
          + pg_total_relation_size('takedown_audit') + pg_total_relation_size('archive_files') + pg_total_relation_size('archive_chunks'))::text as run,
        pg_database_size(current_database())::text as database`;
    return {
      catalogueRows,
      updatesFeedMs: ingest.ms,
      getMs, slaMs, reportMs, slaPageMs, metricsMs,
      catalogueBytes: Number(sizes!.catalogue),
      runBytes: Number(sizes!.run),
      databaseBytes: Number(sizes!.database),
    };
  } finally {
    await sql.end();
  }
}

async function main(): Promise<number> {
  const out = path.join(ROOT, 'bench/out/catalogue');
  mkdirSync(out, { recursive: true });
  const feed = path.join(out, `GB_track_updates_${UPDATES_DATE.replaceAll('-', '')}.csv.gz`);
  const updates = Number(args.updates);
  const existing = idsPerCountry(shape);
  log(`generating a ${updates.toLocaleString('en')}-row updates feed over ${existing.toLocaleString('en')} GB ids`);
  await generateUpdatesFeed({ path: feed, rows: updates, seed: 20261120, existingIds: existing });

  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  const name = args.database;
  const smallName = `${name}_small`;
  try {
    log('small catalogue (empty):');
    const smallUrl = await recreate(admin, smallName);
    const small = await measure(smallUrl, feed, 0, freshHome(out, 'small'));
    const [existing] = await admin<{ n: number }[]>`select count(*)::integer as n from pg_database where datname = ${name}`;
    const reuse = args.reuse && existing!.n > 0;
    log(`large catalogue (${shape.rows.toLocaleString('en')} rows over ${shape.countries} countries)${reuse ? ', reusing the rows already in the database' : ''}:`);
    const largeUrl = reuse ? databaseUrl(name) : await recreate(admin, name);
    const sql = postgres(largeUrl, { max: 1, onnotice: () => {} });
    try {
      if (reuse) {
        const reference = postgres(smallUrl, { max: 1, onnotice: () => {} });
        const indexes = await trackIndexes(reference).finally(() => reference.end());
        await createIndexes(sql, indexes, log);
        await finishCatalogue(sql);
      } else {
        const estimate = await estimateBytes(sql, shape, Math.min(SAMPLE_ROWS, shape.rows));
        const disk = await freeBytes(sql);
        log(`  estimate: ${estimate.perRow.toFixed(0)} bytes a row, ${(estimate.total / GiB).toFixed(1)} GiB; free on ${disk.dir}: ${(disk.free / GiB).toFixed(1)} GiB`);
        if (disk.free < 3 * estimate.total) {
          log(`refusing to build: ${(disk.free / GiB).toFixed(1)} GiB free is under three times the estimated ${(estimate.total / GiB).toFixed(1)} GiB`);
          return 1;
        }
        await buildCatalogue(sql, shape, log);
      }
    } finally {
      await sql.end();
    }
    const large = await measure(largeUrl, feed, shape.rows, freshHome(out, 'large'));
    report(small, large);
    return 0;
  } finally {
    for (const db of [smallName, name]) await admin.unsafe(`drop database if exists ${db} with (force)`).catch(() => undefined);
    await admin.end();
  }
}

function freshHome(out: string, label: string): string {
  const home = path.join(out, `home-${label}`);
  rmSync(home, { recursive: true, force: true });
  return home;
}

function report(small: Figures, large: Figures): void {
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ small, large }, null, 2)}\n`);
    return;
  }
  const goals: [keyof Figures, string, number][] = [
    ['updatesFeedMs', `updates feed (${Number(args.updates).toLocaleString('en')} rows)`, 3],
    ['getMs', 'feedline get', 2],
    ['slaMs', 'feedline sla', 2],
    ['reportMs', 'feedline report, one day', 2],
    ['slaPageMs', 'SLA page', 2],
    ['metricsMs', '/metrics scrape', 2],
  ];
  const lines = [`| operation | empty catalogue | ${large.catalogueRows.toLocaleString('en')} rows | ratio | goal |`, '|---|---:|---:|---:|---:|'];
  for (const [key, label, goal] of goals) {
    const a = small[key];
    const b = large[key];
    const ratio = a > 0 ? b / a : Number.NaN;
    lines.push(`| ${label} | ${a.toFixed(0)} ms | ${b.toFixed(0)} ms | ${ratio.toFixed(2)} | ≤ ${goal} ${ratio <= goal ? '(met)' : '(missed)'} |`);
  }
  const gib = (n: number) => `${(n / GiB).toFixed(2)} GiB`;
  lines.push('', `catalogue (tracks, with TOAST and indexes): ${gib(large.catalogueBytes)}; database: ${gib(large.databaseBytes)}`);
  lines.push(`kept by the updates run (ledger, audit, archive): ${gib(small.runBytes)} on the empty catalogue, ${gib(large.runBytes)} on the large one (that one includes the seeded audit)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
