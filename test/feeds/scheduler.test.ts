// The scheduler against the local HTTPS feed server: catch-up in date order with the cursor
// moving only after each run is applied, two schedulers fetching each feed once, identical
// content under two dates, a missing feed, refused credentials, transient server faults.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedSpec } from '../../src/config/schema.js';
import type { Database } from '../../src/db/client.js';
import { getCursor } from '../../src/db/cursors.js';
import { listRuns } from '../../src/db/run-lookups.js';
import { addDays } from '../../src/feeds/due.js';
import type { PullDeps } from '../../src/feeds/pull.js';
import { createScheduler, type Scheduler } from '../../src/feeds/scheduler.js';
import { openRedis, type RedisConnection } from '../../src/queue/redis.js';
import { inlineSink, type BatchSink } from '../../src/queue/sink.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { startFeedServer, type FeedServer } from '../helpers/feed-server.js';
import { trackRecord } from '../helpers/feeds.js';
import { item, silentLogger } from '../helpers/pipeline.js';
import { REDIS_URL, clearPrefix, testPrefix } from '../helpers/redis.js';
import { feedline } from '../helpers/cli.js';
import { CREDS, clock, providerConfig, recordingAlerter, updatesBody, type RecordingAlerter } from '../helpers/scheduling.js';

const prefix = testPrefix(import.meta.filename);
let db: Database;
let dbUrl: string;
let server: FeedServer;
let redis: RedisConnection;
const schedulers: Scheduler[] = [];

beforeAll(async () => {
  await clearPrefix(prefix);
  dbUrl = await freshDatabase(import.meta.filename);
  db = await connect(dbUrl);
  server = await startFeedServer(CREDS);
  redis = await openRedis(REDIS_URL, 'worker');
});

afterAll(async () => {
  for (const s of schedulers) await s.stop(1000);
  redis.disconnect();
  await server.close();
  await db.close();
  await clearPrefix(prefix);
});

/** A scheduler on its own country (so tests share nothing), on the Redis fetch queue unless local. */
function scheduler(country: string, at: ReturnType<typeof clock>, options: { local?: boolean; sink?: BatchSink; alerter?: RecordingAlerter; env?: Parameters<typeof providerConfig>[1] } = {}) {
  const config = providerConfig(server, { DATABASE_URL: dbUrl, FEEDLINE_COUNTRIES: country, FEEDLINE_QUEUE_PREFIX: prefix, ...options.env });
  const alerter = options.alerter ?? recordingAlerter();
  const deps: PullDeps = { config, db, sink: options.sink ?? inlineSink(db), logger: silentLogger, alerter, now: at.now, fetchOptions: { sleep: async () => {}, random: () => 0 } };
  const s = createScheduler(deps, { redis: options.local ? undefined : redis, prefix: `${prefix}-${country}` });
  schedulers.push(s);
  return { s, config, alerter };
}

const updates = (country: string): FeedSpec => ({ entity: 'track', kind: 'updates', country });

describe('scheduler', () => {
  it('catches up three missed days in date order, moving the cursor only after each run is applied', async () => {
    const feed = updates('GB');
    const days = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19'];
    days.forEach((d, i) => server.publish(feed, d, updatesBody([trackRecord(1, { title: `Day ${i}` }, 'U'), trackRecord(100 + i, {}, 'I')])));
    const at = clock('2026-11-16T07:00:00Z');
    // Every batch checks, as it is applied, that the cursor has not yet reached its date.
    const seen: { date: string; cursorBefore: string | undefined }[] = [];
    const inner = inlineSink(db);
    const sink: BatchSink = {
      async submit(job) {
        const run = (await listRuns(db.orm, 50)).find((r) => r.id === job.runId)!;
        seen.push({ date: run.feedDate, cursorBefore: await getCursor(db.orm, '7digital', feed) });
        await inner.submit(job);
      },
      flush: () => inner.flush(),
      close: () => inner.close(),
    };
    const { s } = scheduler('GB', at, { sink, env: { FEEDLINE_START_DATE: '2026-11-16' } });
    await s.tick();
    await s.idle();
    expect(await getCursor(db.orm, '7digital', feed)).toBe('2026-11-16');

    // Three days of downtime.
    at.set('2026-11-19T09:00:00Z');
    await s.tick();
    await s.idle();
    expect(await getCursor(db.orm, '7digital', feed)).toBe('2026-11-19');
    const runs = (await listRuns(db.orm, 50)).filter((r) => r.country === 'GB').reverse();
    expect(runs.map((r) => r.feedDate)).toEqual(days);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.createdAt.getTime()).toBeGreaterThanOrEqual(runs[i - 1]!.appliedAt!.getTime());
    expect(seen.map((x) => x.date)).toEqual(days);
    for (const { date, cursorBefore } of seen) {
      if (cursorBefore !== undefined) expect(cursorBefore < date).toBe(true);
    }
    expect((await item(db, 'track', '1', 'GB'))!.title).toBe('Day 3');
    for (const d of days) expect(server.requestCount(feed, d)).toBe(1);
  });

  it('two schedulers ticking at once fetch each feed once', async () => {
    const feed = updates('US');
    const days = ['2026-11-16', '2026-11-17', '2026-11-18'];
    days.forEach((d, i) => server.publish(feed, d, updatesBody([trackRecord(200 + i, {}, 'I')])));
    const at = clock('2026-11-18T08:00:00Z');
    const env = { FEEDLINE_START_DATE: '2026-11-16' };
    const a = scheduler('US', at, { env });
    // Same queue prefix: two replicas of one deployment.
    const config = providerConfig(server, { DATABASE_URL: dbUrl, FEEDLINE_COUNTRIES: 'US', ...env });
    const b = createScheduler({ config, db, sink: inlineSink(db), logger: silentLogger, alerter: recordingAlerter(), now: at.now }, { redis, prefix: `${prefix}-US` });
    schedulers.push(b);
    for (let round = 0; round < 5; round++) {
      await Promise.all([a.s.tick(), b.tick(), a.s.tick(), b.tick()]);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await Promise.all([a.s.idle(), b.idle()]);
    await Promise.all([a.s.tick(), b.tick()]);
    await Promise.all([a.s.idle(), b.idle()]);
    expect(await getCursor(db.orm, '7digital', feed)).toBe('2026-11-18');
    for (const d of days) expect(server.requestCount(feed, d)).toBe(1);
    expect((await listRuns(db.orm, 100)).filter((r) => r.country === 'US')).toHaveLength(3);
  });

  it('stores the same content published under two dates once, and applies both dates', async () => {
    const feed = updates('DE');
    const body = updatesBody([trackRecord(300, {}, 'U')]);
    server.publish(feed, '2026-11-16', body);
    server.publish(feed, '2026-11-17', body);
    const at = clock('2026-11-17T08:00:00Z');
    const { s, config } = scheduler('DE', at, { local: true, env: { FEEDLINE_START_DATE: '2026-11-16' } });
    await s.tick();
    await s.idle();
    const runs = (await listRuns(db.orm, 100)).filter((r) => r.country === 'DE');
    expect(runs.map((r) => r.status)).toEqual(['applied', 'applied']);
    expect(new Set(runs.map((r) => r.archivePath)).size).toBe(1);
    const shards = await readdir(path.join(config.home, 'archive'), { withFileTypes: true });
    const files = (await Promise.all(shards.filter((d) => d.isDirectory()).map((d) => readdir(path.join(config.home, 'archive', d.name))))).flat();
    expect(files).toEqual([runs[0]!.fileSha256]);
    expect(await getCursor(db.orm, '7digital', feed)).toBe('2026-11-17');
  });

  it('keeps asking for an unpublished feed until the give-up time, then records it missing, alerts, and moves on', async () => {
    const feed = updates('FR');
    server.publish(feed, '2026-11-16', updatesBody([trackRecord(400, {}, 'I')]));
    server.publish(feed, '2026-11-18', updatesBody([trackRecord(401, {}, 'I')]));
    const at = clock('2026-11-17T07:00:00Z');
    const { s, alerter } = scheduler('FR', at, { local: true, env: { FEEDLINE_START_DATE: '2026-11-16' } });
    await s.tick();
    await s.idle();
    expect(await getCursor(db.orm, '7digital', feed)).toBe('2026-11-16');
    expect(alerter.raised).toEqual([]);
    // Still inside the 6 h after 06:00: not missing yet.
    at.set('2026-11-17T11:59:00Z');
    await s.tick();
    await s.idle();
    expect(alerter.raised).toEqual([]);
    expect(server.requestCount(feed, '2026-11-17')).toBe(2);
    at.set('2026-11-18T12:01:00Z');
    await s.tick();
    await s.idle();
    expect(alerter.raised.map((a) => [a.subject, a.kind, a.state])).toEqual([['feed-missing-track-updates-FR', 'missing', 'breach']]);
    expect(alerter.raised[0]!.message).toContain('missing 1 day: 2026-11-17');
    // The next day was pulled right after the missing one was given up.
    expect(await getCursor(db.orm, '7digital', feed)).toBe('2026-11-18');
    expect((await item(db, 'track', '401', 'FR'))?.status).toBe('live');
  });

  it('alerts at once when the provider refuses the credentials, without retrying', async () => {
    const feed = updates('IT');
    server.publish(feed, '2026-11-16', updatesBody([trackRecord(500, {}, 'I')]));
    const at = clock('2026-11-16T07:00:00Z');
    const { s, alerter } = scheduler('IT', at, { local: true, env: { FEEDLINE_START_DATE: '2026-11-16', FEEDLINE_OAUTH_CONSUMER_SECRET: 'wrong' } });
    await s.tick();
    await s.idle();
    expect(server.requestCount(feed, '2026-11-16')).toBe(1);
    expect(alerter.raised).toHaveLength(1);
    expect(alerter.raised[0]).toMatchObject({ subject: 'feed-auth-track-updates-IT', kind: 'auth', state: 'breach' });
    expect(alerter.raised[0]!.message).toContain('HTTP 401');
    expect(await getCursor(db.orm, '7digital', feed)).toBeUndefined();
  });

  it('alerts at once, in words, when configuration refuses the fetch; feedline status shows the reason', async () => {
    const at = clock('2026-11-16T07:00:00Z');
    const env = { FEEDLINE_START_DATE: '2026-11-16', FEEDLINE_PROVIDER_BASE_URL: 'http://127.0.0.1:9/feeds/with/a/rather/long/path/that/would/fill/a/column', FEEDLINE_ALLOW_HTTP: 'false' };
    const { s, config, alerter } = scheduler('PT', at, { local: true, env });
    await s.tick();
    await s.idle();
    expect(alerter.raised).toHaveLength(1);
    expect(alerter.raised[0]).toMatchObject({ subject: 'feed-auth-track-updates-PT', kind: 'auth', state: 'breach' });
    expect(alerter.raised[0]!.message).toMatch(/^fetches of track-updates-PT cannot succeed: refused by configuration: feeds are fetched over https only/);
    const status = await feedline(['status', '--at', '2026-11-16T07:00:00Z'], {
      DATABASE_URL: dbUrl, FEEDLINE_HOME: config.home, FEEDLINE_COUNTRIES: 'PT', FEEDLINE_FEEDS: 'track/updates', ...env,
      FEEDLINE_OAUTH_CONSUMER_KEY: CREDS.consumerKey, FEEDLINE_OAUTH_CONSUMER_SECRET: CREDS.consumerSecret,
    });
    expect(status.stdout).toMatch(/2026-11-16: refused by configuration: feeds are fetched over https only/);
    expect(status.stdout).not.toContain('127.0.0.1:9');
  });

  it('rides out a 500, a 429 with Retry-After and a slow body', async () => {
    const feed = updates('ES');
    const days = ['2026-11-16', '2026-11-17', '2026-11-18'];
    days.forEach((d, i) => server.publish(feed, d, updatesBody(Array.from({ length: 50 }, (_, j) => trackRecord(600 + i * 100 + j, {}, 'I')))));
    server.fail(feed, days[0]!, [500]);
    server.fail(feed, days[1]!, [{ status: 429, retryAfter: '1' }]);
    server.slow(feed, days[2]!, { chunkBytes: 200, intervalMs: 5 });
    const at = clock(`${addDays(days[2]!, 0)}T09:00:00Z`);
    const { s } = scheduler('ES', at, { local: true, env: { FEEDLINE_START_DATE: days[0]! } });
    await s.tick();
    await s.idle();
    expect(await getCursor(db.orm, '7digital', feed)).toBe(days[2]);
    expect(server.requestCount(feed, days[0]!)).toBe(2);
    expect(server.requestCount(feed, days[1]!)).toBe(2);
    expect((await item(db, 'track', '849', 'ES'))?.status).toBe('live');
  });

  it('waits with a backlog alert beyond maxBacklogDays; an operator replay catches up and the schedule resumes', async () => {
    const feed = updates('NL');
    const days = ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06'];
    days.forEach((d, i) => server.publish(feed, d, updatesBody([trackRecord(1, { title: `NL ${i}` }, 'U'), trackRecord(900 + i, {}, 'I')])));
    const at = clock('2026-11-06T08:00:00Z');
    const env = { FEEDLINE_START_DATE: '2026-11-01', FEEDLINE_MAX_BACKLOG_DAYS: '3' };
    const { s, alerter, config } = scheduler('NL', at, { local: true, env });
    expect((await s.tick()).backlogged).toEqual([feed]);
    await s.idle();
    expect(alerter.raised.map((a) => [a.subject, a.kind])).toEqual([['backlog-track-updates-NL', 'backlog']]);
    for (const d of days) expect(server.requestCount(feed, d)).toBe(0);

    const replay = await feedline(['replay', '--entity', 'track', '--kind', 'updates', '--country', 'NL', '--from', '2026-11-01', '--to', '2026-11-05', '--json'], {
      DATABASE_URL: dbUrl, FEEDLINE_HOME: config.home, FEEDLINE_PROVIDER_BASE_URL: server.url, FEEDLINE_OAUTH_CONSUMER_KEY: CREDS.consumerKey,
      FEEDLINE_OAUTH_CONSUMER_SECRET: CREDS.consumerSecret, FEEDLINE_CA_FILE: server.caFile!,
    });
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout).results.map((r: { date: string; outcome: string; from: string }) => [r.date, r.outcome, r.from])).toEqual(
      days.slice(0, 5).map((d) => [d, 'applied', 'provider']));
    expect(await getCursor(db.orm, '7digital', feed)).toBe('2026-11-05');

    await s.tick();
    await s.idle();
    expect(alerter.resolved).toContain('backlog-track-updates-NL');
    expect(await getCursor(db.orm, '7digital', feed)).toBe('2026-11-06');
    expect((await item(db, 'track', '1', 'NL'))!.title).toBe('NL 5');

    // Replaying an older date from the archive goes through the version guard: nothing newer is undone.
    const again = await feedline(['replay', '--entity', 'track', '--kind', 'updates', '--country', 'NL', '--from', '2026-11-02', '--to', '2026-11-02', '--json'], {
      DATABASE_URL: dbUrl, FEEDLINE_HOME: config.home,
    });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).results).toMatchObject([{ date: '2026-11-02', outcome: 'applied', from: 'archive', updated: 0 }]);
    // The summary accounts for every row, unchanged ones included.
    const [replayed] = JSON.parse(again.stdout).results as { rows: number; inserted: number; updated: number; takenDown: number; unchanged: number; quarantined: number }[];
    expect(replayed!.unchanged).toBeGreaterThan(0);
    expect(replayed!.inserted + replayed!.updated + replayed!.takenDown + replayed!.unchanged + replayed!.quarantined).toBe(replayed!.rows);
    expect(server.requestCount(feed, '2026-11-02')).toBe(1);
    expect((await item(db, 'track', '1', 'NL'))!.title).toBe('NL 5');
    expect(await getCursor(db.orm, '7digital', feed)).toBe('2026-11-06');
  });
});
