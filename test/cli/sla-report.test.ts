// `feedline sla` exit codes and `feedline report`: the compliance evidence lists exactly the
// takedowns applied, with their latencies, run as an operator would run them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { query, type Database } from '../../src/db/client.js';
import { ingestFeed } from '../../src/ingest/ingest.js';
import { openRedis, type RedisConnection } from '../../src/queue/redis.js';
import { queueSink } from '../../src/queue/sink.js';
import { feedline } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { ingest, silentLogger, testConfig } from '../helpers/pipeline.js';
import { clearPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';

const FILE = 'test/cli/sla-report.test.ts';
const prefix = testPrefix(FILE);
let url: string;
let db: Database;
let redis: RedisConnection;
let env: Record<string, string>;
const dir = tempDir();
const config = testConfig({ FEEDLINE_QUEUE_PREFIX: prefix });
const today = new Date().toISOString().slice(0, 10);
let stuckPublished: Date;

beforeAll(async () => {
  url = await freshDatabase(FILE);
  db = await connect(url);
  await clearPrefix(prefix);
  redis = await openRedis(REDIS_URL, 'producer');
  env = { DATABASE_URL: url, FEEDLINE_HOME: tempDir('feedline-home-') };
  // Two days of GB takedowns published 3 h ago and one in US published 30 h ago (late).
  const now = Date.now();
  expect((await ingest(db, config, { input: updatesFeed(dir, 'GB_track_updates_20261120.csv.gz', [trackRecord(1, {}, 'I'), trackRecord(1, {}, 'D'), trackRecord(2, {}, 'D')]), publishedAt: new Date(now - 3 * 3_600_000) })).status).toBe('applied');
  expect((await ingest(db, config, { input: updatesFeed(dir, 'GB_track_updates_20261121.csv.gz', [trackRecord(3, {}, 'D'), trackRecord(4, { title: 'x' }, 'U')]), publishedAt: new Date(now - 3 * 3_600_000) })).status).toBe('applied');
  expect((await ingest(db, config, { input: updatesFeed(dir, 'US_track_updates_20261120.csv.gz', [trackRecord(9, {}, 'D')]), publishedAt: new Date(now - 30 * 3_600_000) })).status).toBe('applied');
});
afterAll(async () => {
  redis?.disconnect();
  await clearPrefix(prefix);
  await db?.close();
});

describe('feedline report', () => {
  it('lists exactly the takedowns applied, with correct latencies, and a summary per feed', async () => {
    const result = await feedline(['report', '--from', today, '--to', today, '--format', 'json'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { windowHours: number; takedowns: Record<string, unknown>[]; feeds: Record<string, unknown>[] };
    const audit = await query<{ item_id: string; country: string; latency: number }>(db.orm, sql`
      select item_id, country, extract(epoch from applied_at - published_at)::float8 as latency from takedown_audit order by applied_at, id`);
    expect(audit).toHaveLength(4);
    expect(report.takedowns.map((t) => `${t.country}:${t.itemId}`)).toEqual(audit.map((a) => `${a.country}:${a.item_id}`));
    report.takedowns.forEach((t, i) => {
      expect(t.latencySeconds).toBeCloseTo(audit[i]!.latency, 2);
      expect(Date.parse(t.appliedAt as string) - Date.parse(t.publishedAt as string)).toBeCloseTo(audit[i]!.latency * 1000, -1);
      expect(t.withinWindow).toBe(t.country === 'GB');
      expect(t).toMatchObject({ entity: 'track', source: '7digital', reason: expect.any(String), feed: expect.stringContaining('_track_updates_') });
      expect(t.receivedAt).toEqual(expect.any(String));
    });
    const gb = report.feeds.find((f) => f.country === 'GB')!;
    expect(gb).toMatchObject({ runs: 2, feedDates: '2026-11-20 2026-11-21', takenDown: 3, runsWithinWindow: 2, runsLate: 0 });
    expect(report.feeds.find((f) => f.country === 'US')).toMatchObject({ runs: 1, takenDown: 1, runsLate: 1 });

    const csv = await feedline(['report', '--from', today, '--to', today, '--country', 'US'], env);
    expect(csv.code).toBe(0);
    const [takedowns, feeds] = csv.stdout.trim().split('\n\n');
    const lines = takedowns!.split('\n');
    expect(lines[0]).toBe('entity,itemId,source,country,reason,runId,feed,feedDate,line,publishedAt,receivedAt,appliedAt,latencySeconds,withinWindow,senderToldAt');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^track,9,7digital,US,.*,false,$/);
    expect(feeds!.split('\n')).toHaveLength(2);

    const yesterday = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const empty = JSON.parse((await feedline(['report', '--from', yesterday, '--to', yesterday, '--format', 'json'], env)).stdout) as { takedowns: unknown[] };
    expect(empty.takedowns).toEqual([]);
    expect((await feedline(['report', '--from', today], env)).code).toBe(2);
  });
});

describe('feedline sla', () => {
  it('exits 0 when nothing is pending, 9 past the warning, 8 past the deadline', async () => {
    const ok = await feedline(['sla', '--json'], env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ state: 'ok', exitCode: 0, runs: [], nearestDeadlineSeconds: null });

    // A stuck run: queued, and no worker runs.
    stuckPublished = new Date(Date.now() - 60_000);
    const sink = queueSink(redis, { prefix, attempts: 1, maxQueued: 100 });
    await ingestFeed({ config, db, sink, logger: silentLogger }, { input: updatesFeed(dir, 'DE_track_updates_20261122.csv.gz', [trackRecord(5, {}, 'I'), trackRecord(6, {}, 'D')]), feed: {}, publishedAt: stuckPublished });
    await sink.close();

    const at = (hours: number) => new Date(stuckPublished.getTime() + hours * 3_600_000).toISOString();
    const early = await feedline(['sla', '--json', '--at', at(1)], env);
    expect(early.code).toBe(0);
    expect(JSON.parse(early.stdout).runs[0]).toMatchObject({ state: 'ok', pending: { insert: 1, update: 0, delete: 1 }, country: 'DE' });
    const warning = await feedline(['sla', '--at', at(21)], env);
    expect(warning.code).toBe(9);
    expect(warning.stdout).toContain('overall: warning (exit 9)');
    const breach = await feedline(['sla', '--json', '--at', at(25)], env);
    expect(breach.code).toBe(8);
    expect(JSON.parse(breach.stdout)).toMatchObject({ state: 'breach', exitCode: 8 });
    expect((await feedline(['sla', '--at', 'yesterday-ish'], env)).code).toBe(2);
  });
});
