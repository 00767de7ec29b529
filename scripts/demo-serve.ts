// Issue 3's "done when", end to end: a local HTTPS feed server publishes a week of daily
// track updates for GB and US; `feedline serve` (a real subprocess, fast cron) pulls and
// applies them with nobody running a command; it is SIGKILLed half-way and restarted; at
// the end `feedline status --json` must say every feed is current and the catalogue must
// equal the state the feeds imply (last line wins), whatever the kill interrupted.
//
//   npx tsx scripts/demo-serve.ts        (needs local PostgreSQL and Redis, as the tests do)
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import postgres from 'postgres';
import { addDays } from '../src/feeds/due.js';
import { feedline, feedlineProcess } from '../test/helpers/cli.js';
import { ADMIN_URL, databaseUrl } from '../test/helpers/db.js';
import { startFeedServer } from '../test/helpers/feed-server.js';
import { tempDir, trackRecord } from '../test/helpers/feeds.js';
import { REDIS_URL, clearPrefix } from '../test/helpers/redis.js';
import { CREDS, updatesBody } from '../test/helpers/scheduling.js';

const COUNTRIES = ['GB', 'US'];
const DAYS = 7;
const NEW_PER_DAY = 400;
const today = new Date().toISOString().slice(0, 10);
const dates = Array.from({ length: DAYS }, (_, i) => addDays(today, i - DAYS + 1));
const prefix = 'feedline-demo-serve';
const dbName = 'feedline_demo_serve';

type Expected = Map<string, { status: string; title: string }>;

/** Day i: track 1 retitled, NEW_PER_DAY new tracks, and every 10th track of the day before taken down. */
function dayFeed(country: string, i: number, expected: Expected): Buffer {
  const records: string[] = [trackRecord(1, { title: `${country} day ${i}` }, i === 0 ? 'I' : 'U')];
  expected.set(`${country}/1`, { status: 'live', title: `${country} day ${i}` });
  for (let j = 0; j < NEW_PER_DAY; j++) {
    const id = 1000 * (i + 1) + j;
    records.push(trackRecord(id, {}, 'I'));
    expected.set(`${country}/${id}`, { status: 'live', title: `Track ${id}` });
  }
  if (i > 0) {
    for (let j = 0; j < NEW_PER_DAY; j += 10) {
      const id = 1000 * i + j;
      records.push(trackRecord(id, {}, 'D'));
      expected.set(`${country}/${id}`, { status: 'taken_down', title: `Track ${id}` });
    }
  }
  return updatesBody(records);
}

async function main() {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.unsafe(`create database ${dbName}`);
  await admin.end();
  await clearPrefix(prefix);
  const url = databaseUrl(dbName);
  const server = await startFeedServer(CREDS);
  const expected: Expected = new Map();
  for (const country of COUNTRIES) {
    dates.forEach((date, i) => server.publish({ entity: 'track', kind: 'updates', country }, date, dayFeed(country, i, expected)));
  }
  const env = {
    DATABASE_URL: url, REDIS_URL, FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_HOME: tempDir('feedline-demo-'),
    FEEDLINE_PROVIDER_BASE_URL: server.url, FEEDLINE_OAUTH_CONSUMER_KEY: CREDS.consumerKey, FEEDLINE_OAUTH_CONSUMER_SECRET: CREDS.consumerSecret,
    FEEDLINE_CA_FILE: server.caFile!, FEEDLINE_FEEDS: 'track/updates', FEEDLINE_COUNTRIES: COUNTRIES.join(','),
    FEEDLINE_START_DATE: dates[0]!, FEEDLINE_PUBLICATION_HOUR: '0', FEEDLINE_SCHEDULE_CRON: '*/2 * * * * *',
    FEEDLINE_BATCH_SIZE: '5', FEEDLINE_HTTP_PORT: String(await freePort()), LOG_LEVEL: 'warn',
  };
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const appliedRuns = async () => Number((await sql`select count(*) as n from feed_runs where status = 'applied'`)[0]!.n);
  const started = Date.now();

  console.log(`feed server ${server.url}: ${COUNTRIES.length} countries x ${DAYS} days (${dates[0]} .. ${today}), ${NEW_PER_DAY + 1}-${NEW_PER_DAY + 41} rows each`);
  let serve = start(env);
  // Kill in the middle of a run: some of its batches applied, others not.
  const midRun = async () => Number((await sql`select count(*) as n from feed_runs r where status in ('parsing', 'applying')
    and exists (select 1 from feed_batches b where b.run_id = r.id and b.status = 'applied')`)[0]!.n) > 0;
  await until(async () => (await appliedRuns().catch(() => 0)) >= 5 && (await midRun().catch(() => false)), 120_000);
  serve.kill('SIGKILL');
  const [batches] = await sql`select count(*) filter (where status = 'applied') as applied, count(*) as total from feed_batches`;
  const open = await sql`select id, country, feed_date::text as date, status, batches_applied as applied from feed_runs where status <> 'applied'`;
  console.log(`after ${secs(started)} s: SIGKILL serve (pid ${serve.pid}) with ${await appliedRuns()} runs applied, ${batches!.applied}/${batches!.total} registered batches applied, unfinished: ${open.map((r) => `run ${r.id} ${r.country} ${r.date} ${r.status} (${r.applied} batches applied)`).join(', ')}`);
  await new Promise((resolve) => serve.once('close', resolve));

  serve = start(env);
  const restarted = Date.now();
  const cursorsAt = async () => (await sql`select count(*) as n from feed_cursors where last_applied_date = ${today}`)[0]!.n;
  await until(async () => Number(await cursorsAt()) === COUNTRIES.length, 240_000);
  console.log(`restarted serve caught up in ${secs(restarted)} s (${secs(started)} s in all)`);
  const status = await feedline(['status', '--json'], env);
  const report = JSON.parse(status.stdout) as { state: string; feeds: { country: string; state: string; lastAppliedDate: string; lagDays: number }[] };
  console.log(`feedline status --json: exit ${status.code}, state ${report.state}; ${report.feeds.map((f) => `${f.country} ${f.state} (last applied ${f.lastAppliedDate}, lag ${f.lagDays})`).join('; ')}`);
  serve.kill('SIGTERM');
  const code = await new Promise((resolve) => serve.once('close', resolve));
  console.log(`SIGTERM: serve exited ${code}`);

  const rows = await sql<{ country: string; id: string; status: string; title: string }[]>`select country, id, status, title from tracks`;
  const mismatches = rows.filter((r) => {
    const want = expected.get(`${r.country}/${r.id}`);
    return !want || want.status !== r.status || want.title !== r.title;
  });
  const runs = await sql`select country, feed_date::text as date, status, rows, inserted, updated, taken_down as "takenDown" from feed_runs order by country, feed_date, id`;
  const requests = server.requests().filter((r) => r.status === 200).length;
  console.log(`catalogue: ${rows.length} rows (expected ${expected.size}), ${mismatches.length} differ from the feeds' implied state`);
  console.log(`runs: ${runs.length} (${runs.filter((r) => r.status === 'applied').length} applied); feed downloads: ${requests} for ${COUNTRIES.length * DAYS} feeds`);
  const ok = status.code === 0 && report.state === 'current' && mismatches.length === 0 && rows.length === expected.size && runs.every((r) => r.status === 'applied');
  console.log(ok ? 'OK' : 'FAILED');
  await sql.end();
  await server.close();
  await clearPrefix(prefix);
  process.exitCode = ok ? 0 : 1;
}

function start(env: Record<string, string>): ChildProcess {
  const child = feedlineProcess(['serve'], env);
  child.stderr!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (line.includes('"level":50') || line.includes('"level":60')) process.stderr.write(`  serve: ${line.slice(0, 300)}\n`);
  });
  return child;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const secs = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

await main();
