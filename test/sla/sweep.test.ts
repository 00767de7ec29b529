// The SLA clock on a short window with an injected clock: a run applied in time raises
// nothing; a run stuck behind a worker that isn't running raises exactly one warning, one
// breach and one resolved; missing feeds, rejected files, failed batches and quarantine alert.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { query, type Database } from '../../src/db/client.js';
import { ingestFeed, waitForRun } from '../../src/ingest/ingest.js';
import { openRedis, type RedisConnection } from '../../src/queue/redis.js';
import { queueSink } from '../../src/queue/sink.js';
import { startApplyWorker } from '../../src/queue/worker.js';
import { createAlerter, type WebhookAlerter } from '../../src/sla/alerts.js';
import type { SlaContext } from '../../src/sla/check.js';
import { sweepOnce } from '../../src/sla/sweep.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed, writeFeed } from '../helpers/feeds.js';
import { ingest, silentLogger, testConfig } from '../helpers/pipeline.js';
import { clearPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook.js';

const FILE = 'test/sla/sweep.test.ts';
const prefix = testPrefix(FILE);
// A one-hour window with the warning at 40 minutes; the clock is moved by hand.
const config = testConfig({ FEEDLINE_SLA_HOURS: '1', FEEDLINE_SLA_WARNING_HOURS: '0.6667', FEEDLINE_QUEUE_PREFIX: prefix });
const sla = config.sla;
let db: Database;
let redis: RedisConnection;
let hook: WebhookReceiver;
let alerter: WebhookAlerter;
let clock = new Date();
const dir = tempDir();

function ctx(): SlaContext {
  return { db, alerter, sla, logger: silentLogger, now: () => clock };
}
const sweep = () => sweepOnce(ctx(), { quarantineAlertShare: 0.1 });
const minutes = (base: Date, m: number) => new Date(base.getTime() + m * 60_000);

async function events(subject: string): Promise<string[]> {
  const rows = await query<{ state: string }>(db.orm, sql`select state from alert_events where subject = ${subject} order by id`);
  return rows.map((r) => r.state);
}

beforeAll(async () => {
  db = await connect(await freshDatabase(FILE));
  await clearPrefix(prefix);
  redis = await openRedis(REDIS_URL, 'worker');
  hook = await startWebhookReceiver();
  alerter = createAlerter({ db, logger: silentLogger, webhooks: { urls: [hook.url], timeoutMs: 2000 }, retryDelaysMs: [50, 100] });
});
afterAll(async () => {
  await alerter?.idle();
  await hook?.close();
  redis?.disconnect();
  await clearPrefix(prefix);
  await db?.close();
});

describe('SLA sweep', () => {
  it('raises nothing for a run applied in time, even long after its deadline', async () => {
    const published = new Date(Date.now() - 5 * 60_000);
    const file = updatesFeed(dir, 'GB_track_updates_20261101.csv.gz', [trackRecord(1, {}, 'I'), trackRecord(2, {}, 'D')]);
    const outcome = await ingest(db, config, { input: file, publishedAt: published });
    expect(outcome.status).toBe('applied');
    clock = minutes(published, 10);
    expect((await sweep()).snapshot.runs).toHaveLength(0);
    clock = minutes(published, 600);
    await sweep();
    expect(await events(`sla-run-${outcome.run.id}`)).toEqual([]);
  });

  it('a stuck run raises one warning, one breach, then one resolved when a worker applies it', async () => {
    const published = new Date();
    const sink = queueSink(redis, { prefix, attempts: 2, maxQueued: 100 });
    const file = updatesFeed(dir, 'US_track_updates_20261102.csv.gz', [trackRecord(10, {}, 'I'), trackRecord(11, {}, 'U'), trackRecord(12, {}, 'D')]);
    const c = { config, db, sink, logger: silentLogger };
    const outcome = await ingestFeed(c, { input: file, feed: {}, publishedAt: published });
    expect(outcome.status).toBe('queued');
    const runId = outcome.run.id;
    const subject = `sla-run-${runId}`;

    clock = minutes(published, 10);
    let { snapshot } = await sweep();
    expect(snapshot.runs.map((r) => r.id)).toEqual([runId]);
    expect(snapshot.pending).toEqual(expect.arrayContaining([
      { entity: 'track', country: 'US', action: 'insert', changes: 1 },
      { entity: 'track', country: 'US', action: 'delete', changes: 1 },
    ]));
    expect(snapshot.oldestPendingAgeSeconds).toBe(600);
    expect(snapshot.nearestDeadlineSeconds).toBe(3000);
    expect(await events(subject)).toEqual([]);

    hook.failNext(1); // the receiver fails once; the warning still arrives
    for (const m of [41, 42, 45]) {
      clock = minutes(published, m);
      await sweep();
    }
    expect(await events(subject)).toEqual(['warning']);
    for (const m of [60, 61, 90]) {
      clock = minutes(published, m);
      snapshot = (await sweep()).snapshot;
    }
    expect(snapshot.breaching).toBe(1);
    expect(await events(subject)).toEqual(['warning', 'breach']);

    const worker = startApplyWorker(db, redis, silentLogger, { prefix, concurrency: 1 });
    try {
      expect((await waitForRun(c, runId, { pollMs: 50 })).status).toBe('applied');
    } finally {
      await worker.close();
      await sink.close();
    }
    clock = minutes(published, 95);
    await sweep();
    await sweep();
    expect(await events(subject)).toEqual(['warning', 'breach', 'resolved']);
    await alerter.idle();
    expect(hook.failed).toBeGreaterThanOrEqual(1);
    expect(hook.received.filter((b) => b.subject === subject).map((b) => b.state)).toEqual(['warning', 'breach', 'resolved']);
  });

  it('records a breach for a run applied late between two sweeps, once, saying how late, open', async () => {
    clock = new Date();
    const late = updatesFeed(dir, 'NL_track_updates_20261102.csv.gz', [trackRecord(30, {}, 'D')]);
    const outcome = await ingest(db, config, { input: late, publishedAt: new Date(Date.now() - 2 * 3_600_000) });
    expect(outcome.status).toBe('applied');
    const subject = `sla-late-${outcome.run.id}`;
    await sweep();
    await sweep();
    expect(await events(subject)).toEqual(['breach']);
    const [open] = await query<{ state: string; message: string }>(db.orm, sql`select state, message from alerts where subject = ${subject}`);
    expect(open).toMatchObject({ state: 'breach', message: expect.stringMatching(/applied 2h0[0-9]m after publication, 1h0[0-9]m past the 1 h window/) });
    await alerter.idle();
    expect(hook.received.filter((b) => b.subject === subject).map((b) => b.state)).toEqual(['breach']);
    // Acknowledging it closes it (feedline alerts ack, test/cli/late-breach.test.ts); until then each sweep leaves it open.
    expect((await query<{ state: string }>(db.orm, sql`select state from alerts where subject = ${subject}`))[0]?.state).toBe('breach');
  });

  it('alerts on a feed due but missing, and resolves it when it arrives', async () => {
    await db.orm.execute(sql`insert into feed_fetches (source, entity, kind, country, feed_date, status, attempts, last_http_status, last_error)
      values ('7digital', 'track', 'updates', 'DE', '2026-11-03', 'missing', 12, 404, 'not published 6 h after its publication time')`);
    await sweep();
    await sweep();
    const subject = 'feed-missing-track-updates-DE';
    expect(await events(subject)).toEqual(['breach']);
    await db.orm.execute(sql`update feed_fetches set status = 'fetched' where country = 'DE'`);
    await sweep();
    expect(await events(subject)).toEqual(['breach', 'resolved']);
    await alerter.idle();
    expect(hook.received.filter((b) => b.subject === subject).map((b) => b.state)).toEqual(['breach', 'resolved']);
  });

  it('raises one alert per feed listing its missing dates, not one per date, and keeps it current quietly', async () => {
    await db.orm.execute(sql`insert into feed_fetches (source, entity, kind, country, feed_date, status, attempts, last_http_status, last_error)
      values ('7digital', 'track', 'updates', 'AT', '2026-11-03', 'missing', 12, 404, 'not published'),
             ('7digital', 'track', 'updates', 'AT', '2026-11-04', 'missing', 12, 404, 'not published'),
             ('7digital', 'track', 'updates', 'AT', '2026-11-05', 'missing', 12, 404, 'not published')`);
    await sweep();
    await sweep();
    const subject = 'feed-missing-track-updates-AT';
    expect(await events(subject)).toEqual(['breach']);
    const [open] = await query<{ message: string }>(db.orm, sql`select message from alerts where subject = ${subject}`);
    expect(open!.message).toContain('missing 3 days: 2026-11-03, 2026-11-04, 2026-11-05');
    await db.orm.execute(sql`update feed_fetches set status = 'fetched' where country = 'AT' and feed_date = '2026-11-04'`);
    await sweep();
    const [fewer] = await query<{ message: string; state: string }>(db.orm, sql`select message, state from alerts where subject = ${subject}`);
    expect(fewer).toMatchObject({ state: 'breach', message: expect.stringContaining('missing 2 days: 2026-11-03, 2026-11-05') });
    await db.orm.execute(sql`update feed_fetches set status = 'fetched' where country = 'AT'`);
    await sweep();
    expect(await events(subject)).toEqual(['breach', 'resolved']);
    await alerter.idle();
    expect(hook.received.filter((b) => b.subject === subject).map((b) => b.state)).toEqual(['breach', 'resolved']);
  });

  it('records runs applied late before the service started as history, without announcing them', async () => {
    clock = new Date();
    const late = updatesFeed(dir, 'BE_track_updates_20261102.csv.gz', [trackRecord(31, {}, 'D')]);
    const outcome = await ingest(db, config, { input: late, publishedAt: new Date(Date.now() - 2 * 3_600_000) });
    expect(outcome.status).toBe('applied');
    const subject = `sla-late-${outcome.run.id}`;
    const startedAt = new Date();
    await sweepOnce(ctx(), { quarantineAlertShare: 0.1, announceAppliedSince: startedAt });
    await sweepOnce(ctx(), { quarantineAlertShare: 0.1, announceAppliedSince: startedAt });
    expect(await events(subject)).toEqual(['breach', 'resolved']);
    const [row] = await query<{ state: string }>(db.orm, sql`select state from alerts where subject = ${subject}`);
    expect(row!.state).toBe('resolved');
    await alerter.idle();
    expect(hook.received.filter((b) => b.subject === subject)).toEqual([]);
  });

  it('alerts on a batch that exhausted its retries, and resolves when it is applied', async () => {
    const sink = queueSink(redis, { prefix: `${prefix}-failed`, attempts: 1, maxQueued: 100 });
    const file = updatesFeed(dir, 'SE_track_updates_20261102.csv.gz', [trackRecord(40, {}, 'I')]);
    const outcome = await ingestFeed({ config, db, sink, logger: silentLogger }, { input: file, feed: {}, publishedAt: new Date() });
    await sink.close();
    await clearPrefix(`${prefix}-failed`);
    const runId = outcome.run.id;
    await db.orm.execute(sql`update feed_batches set status = 'failed', attempts = 5, error = 'poison' where run_id = ${runId}`);
    clock = new Date();
    await sweep();
    await sweep();
    expect(await events(`batch-failed-run-${runId}`)).toEqual(['breach']);
    await db.orm.execute(sql`update feed_batches set status = 'applied' where run_id = ${runId}`);
    await sweep();
    expect(await events(`batch-failed-run-${runId}`)).toEqual(['breach', 'resolved']);
  });

  it('alerts on a rejected file and on quarantine above its share', async () => {
    const bad = writeFeed(dir, 'FR_track_updates_20261104.csv.gz', 'nonsense,header', ['1,2']);
    const rejected = await ingest(db, config, { input: bad });
    expect(rejected.status).toBe('rejected');
    const noisy = updatesFeed(dir, 'FR_track_updates_20261105.csv.gz', [trackRecord(20, {}, 'I'), 'U,not-a-number,x', trackRecord(21, {}, 'I')]);
    const quarantined = await ingest(db, config, { input: noisy });
    expect(quarantined.status).toBe('applied');
    await sweep();
    await sweep();
    expect(await events(`rejected-run-${rejected.run.id}`)).toEqual(['breach']);
    expect(await events(`quarantine-run-${quarantined.run.id}`)).toEqual(['warning']);
    // The next day's clean feed clears the quarantine warning, not the lost day.
    const clean = updatesFeed(dir, 'FR_track_updates_20261106.csv.gz', [trackRecord(22, {}, 'I')]);
    expect((await ingest(db, config, { input: clean })).status).toBe('applied');
    await sweep();
    expect(await events(`quarantine-run-${quarantined.run.id}`)).toEqual(['warning', 'resolved']);
    expect(await events(`rejected-run-${rejected.run.id}`)).toEqual(['breach']);
    // The rejected day delivered again, whole: resolved.
    const redelivered = updatesFeed(dir, 'FR_track_updates_20261104.csv.gz', [trackRecord(23, {}, 'I')]);
    expect((await ingest(db, config, { input: redelivered })).status).toBe('applied');
    await sweep();
    expect(await events(`rejected-run-${rejected.run.id}`)).toEqual(['breach', 'resolved']);
  });
});
