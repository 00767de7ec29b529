// SLA timers: delayed jobs on the `sla` queue fire at the warning time and the deadline and
// check PostgreSQL; after Redis loses everything, the sweep re-arms them from the ledger.
// This file has a Redis database of its own, so it can FLUSHDB without touching others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { query, type Database } from '../../src/db/client.js';
import { ingestFeed } from '../../src/ingest/ingest.js';
import { openRedis, type RedisConnection } from '../../src/queue/redis.js';
import { queueSink } from '../../src/queue/sink.js';
import { createAlerter, type WebhookAlerter } from '../../src/sla/alerts.js';
import type { SlaContext } from '../../src/sla/check.js';
import { sweepOnce } from '../../src/sla/sweep.js';
import { createSlaQueue, runTimers, slaTimerJobId, startSlaTimerWorker } from '../../src/sla/timers.js';
import { feedline } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { fixture } from '../helpers/ddex.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { silentLogger, testConfig } from '../helpers/pipeline.js';
import { REDIS_URL, testPrefix } from '../helpers/redis.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook.js';

const FILE = 'test/sla/timers.test.ts';
const prefix = testPrefix(FILE);
const redisUrl = (() => {
  const url = new URL(REDIS_URL);
  url.pathname = '/7';
  return url.toString();
})();
// An 8-second window with the warning at 4 seconds, on the real clock: the timers are real.
const config = testConfig({ FEEDLINE_SLA_HOURS: String(8 / 3600), FEEDLINE_SLA_WARNING_HOURS: String(4 / 3600), FEEDLINE_QUEUE_PREFIX: prefix });
let url: string;
let db: Database;
let redis: RedisConnection;
let hook: WebhookReceiver;
let alerter: WebhookAlerter;

beforeAll(async () => {
  url = await freshDatabase(FILE);
  db = await connect(url);
  redis = await openRedis(redisUrl, 'worker');
  await redis.flushdb();
  hook = await startWebhookReceiver();
  alerter = createAlerter({ db, logger: silentLogger, webhooks: { urls: [hook.url], timeoutMs: 2000 }, retryDelaysMs: [50] });
});
afterAll(async () => {
  await alerter?.idle();
  await hook?.close();
  await redis?.flushdb();
  redis?.disconnect();
  await db?.close();
});

async function waitForEvent(subject: string, state: string, timeoutMs: number): Promise<Date> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await query<{ created_at: Date }>(db.orm, sql`select created_at from alert_events where subject = ${subject} and state = ${state}`);
    if (row) return new Date(row.created_at);
    if (Date.now() > deadline) throw new Error(`no ${state} for ${subject} in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('SLA timers', () => {
  it('are armed when a run is registered, recovered by the sweep after FLUSHDB, and fire warning then breach', async () => {
    const sink = queueSink(redis, { prefix, attempts: 2, maxQueued: 100 });
    const timers = runTimers(redis, { prefix, sla: config.sla });
    const queue = createSlaQueue(redis, prefix);
    try {
      const published = new Date();
      const file = updatesFeed(tempDir(), 'GB_track_updates_20261110.csv.gz', [trackRecord(1, {}, 'I'), trackRecord(2, {}, 'D')]);
      // No apply worker runs: the run is stuck. Registering it arms its timers.
      const outcome = await ingestFeed({ config, db, sink, timers, logger: silentLogger }, { input: file, feed: {}, publishedAt: published });
      const runId = outcome.run.id;
      await timers.onRunRegistered(outcome.run); // idempotent: same ids
      expect((await queue.getDelayed()).map((j) => j.id).sort()).toEqual([slaTimerJobId(runId, 'deadline'), slaTimerJobId(runId, 'warning')]);

      await redis.flushdb();
      expect(await queue.getDelayed()).toHaveLength(0);

      const ctx: SlaContext = { db, alerter, sla: config.sla, logger: silentLogger, now: () => new Date() };
      const { timersArmed } = await sweepOnce(ctx, { timers: queue, quarantineAlertShare: 0.5 });
      expect(timersArmed).toBe(2);
      expect((await sweepOnce(ctx, { timers: queue, quarantineAlertShare: 0.5 })).timersArmed).toBe(2); // re-adding is a no-op
      expect(await queue.getDelayed()).toHaveLength(2);

      // From here only the timers watch the run: no more sweeps.
      const worker = startSlaTimerWorker(ctx, redis, prefix);
      try {
        const subject = `sla-run-${runId}`;
        const warned = await waitForEvent(subject, 'warning', 15_000);
        const breached = await waitForEvent(subject, 'breach', 15_000);
        const deadline = published.getTime() + 8000;
        expect(warned.getTime()).toBeGreaterThanOrEqual(published.getTime() + 4000 - 50);
        expect(breached.getTime()).toBeGreaterThanOrEqual(deadline - 50);
        // The breach is noticed within a minute of the deadline (here: about a second).
        expect(breached.getTime() - deadline).toBeLessThan(60_000);
        await alerter.idle();
        expect(hook.received.filter((b) => b.subject === subject).map((b) => b.state)).toEqual(['warning', 'breach']);
        console.log(`breach raised ${breached.getTime() - deadline} ms after the deadline`);
      } finally {
        await worker.close();
      }
    } finally {
      await queue.close();
      await timers.close();
      await sink.close();
    }
  });

  it('are armed for a DDEX message that feedline ingest applies, as for a CSV feed', async () => {
    const queue = createSlaQueue(redis, prefix);
    try {
      // The default 24-hour window: the timers stay delayed while this looks.
      const ingested = await feedline(['ingest', fixture('ern382-delivery.xml'), '--json'], { DATABASE_URL: url, REDIS_URL: redisUrl, FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_HOME: tempDir('feedline-home-') });
      expect(ingested.code, ingested.stderr).toBe(0);
      const { runId, status } = JSON.parse(ingested.stdout) as { runId: number; status: string };
      expect(status).toBe('applied');
      const armed = (await queue.getDelayed()).map((j) => j.id);
      expect(armed).toEqual(expect.arrayContaining([slaTimerJobId(runId, 'deadline'), slaTimerJobId(runId, 'warning')]));
    } finally {
      await queue.close();
    }
  });
});
