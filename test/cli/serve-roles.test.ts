// `feedline serve --role scheduler` stands alone: with no provider configured it still runs the
// SLA sweep (and the DDEX drop directory, recovery and timers); a provider that is configured
// is checked at start, so an http:// URL without FEEDLINE_ALLOW_HTTP fails at once.
import type { ChildProcess } from 'node:child_process';
import { cpSync } from 'node:fs';
import path from 'node:path';
import type { RedisConnection } from '../../src/queue/redis.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { query, type Database } from '../../src/db/client.js';
import { alertSubject } from '../../src/sla/subjects.js';
import { ingestFeed } from '../../src/ingest/ingest.js';
import { openRedis } from '../../src/queue/redis.js';
import { queueSink } from '../../src/queue/sink.js';
import { createSlaQueue, slaTimerJobId } from '../../src/sla/timers.js';
import { feedline, feedlineProcess } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { DDEX_FIXTURES } from '../helpers/ddex.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { silentLogger, testConfig } from '../helpers/pipeline.js';
import { REDIS_URL, clearPrefix, testPrefix } from '../helpers/redis.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook.js';

const prefix = testPrefix(import.meta.filename);
let url: string;
let db: Database;
let redis: RedisConnection;
let hook: WebhookReceiver;

beforeAll(async () => {
  await clearPrefix(prefix);
  url = await freshDatabase(import.meta.filename);
  db = await connect(url);
  redis = await openRedis(REDIS_URL, 'worker');
  hook = await startWebhookReceiver();
});
afterAll(async () => {
  await hook?.close();
  redis?.disconnect();
  await db?.close();
  await clearPrefix(prefix);
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: url, REDIS_URL, FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_HOME: tempDir('feedline-home-'),
    FEEDLINE_HTTP_PORT: '0', LOG_LEVEL: 'warn', FEEDLINE_SHUTDOWN_GRACE_MS: '500', ...extra,
  };
}

describe('serve --role scheduler', () => {
  it('runs the SLA sweep with no provider configured: a run stuck past its deadline reaches the webhook', async () => {
    // Queued with no worker to apply it, published two days ago: past its 24-hour deadline.
    const config = testConfig({ FEEDLINE_QUEUE_PREFIX: prefix });
    const sink = queueSink(redis, { prefix, attempts: 1, maxQueued: 100 });
    const file = updatesFeed(tempDir(), 'GB_track_updates_20261101.csv.gz', [trackRecord(1, {}, 'I'), trackRecord(2, {}, 'D')]);
    const outcome = await ingestFeed({ config, db, sink, logger: silentLogger }, { input: file, feed: {}, publishedAt: new Date(Date.now() - 48 * 3_600_000) });
    expect(outcome.status).toBe('queued');
    await sink.close();

    const serve = feedlineProcess(['serve', '--role', 'scheduler'], env({ FEEDLINE_WEBHOOK_URLS: hook.url, FEEDLINE_SLA_SWEEP_CRON: '* * * * * *' }));
    const exited = exitOf(serve);
    try {
      const alerts = await hook.waitFor(1, 30_000);
      expect(JSON.stringify(alerts)).toContain(`sla-run-${outcome.run.id}`);
      expect(alerts[0]).toMatchObject({ state: 'breach' });
    } finally {
      serve.kill('SIGTERM');
    }
    expect((await exited).code).toBe(0);
  });

  it('arms the SLA timers of each DDEX message it applies from the drop directory', async () => {
    const drop = tempDir('feedline-ddex-drop-');
    // Copied now, so the completion marker (the delivery time) is recent: the timers lie ahead.
    cpSync(path.join(DDEX_FIXTURES, 'batch-001'), path.join(drop, 'batch'), { recursive: true });
    const serve = feedlineProcess(['serve', '--role', 'scheduler'], env({ FEEDLINE_DDEX_DROP_DIR: drop }));
    const exited = exitOf(serve);
    const queue = createSlaQueue(redis, prefix);
    try {
      const runs = () => query<{ id: number; status: string }>(db.orm, sql`select id::integer as id, status from feed_runs where kind = 'ddex' order by id`);
      await expect.poll(async () => (await runs()).map((r) => r.status), { timeout: 30_000 }).toEqual(['applied', 'applied']);
      const timers = (await runs()).flatMap((r) => [slaTimerJobId(r.id, 'deadline'), slaTimerJobId(r.id, 'warning')]);
      expect((await queue.getDelayed()).map((j) => j.id)).toEqual(expect.arrayContaining(timers));
    } finally {
      serve.kill('SIGTERM');
      await queue.close();
    }
    expect((await exited).code).toBe(0);
  });

  it('refuses at start, with the reason, a provider URL over http without FEEDLINE_ALLOW_HTTP', async () => {
    const result = await feedline(['serve', '--role', 'scheduler'], env({
      FEEDLINE_PROVIDER_BASE_URL: 'http://127.0.0.1:9/feeds', FEEDLINE_OAUTH_CONSUMER_KEY: 'key', FEEDLINE_OAUTH_CONSUMER_SECRET: 'secret',
    }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('FEEDLINE_PROVIDER_BASE_URL: feeds are fetched over https only');
  });
});

describe('serve --role worker', () => {
  it('raises the batch_failed alert for a batch that fails every attempt, like feedline worker', async () => {
    // A rule only the database knows (the parser checks every rule of its own): every attempt fails.
    await db.orm.execute(sql`alter table tracks add constraint poison_title check (title is distinct from 'Poison Title')`);
    const file = updatesFeed(tempDir(), 'GB_track_updates_20261102.csv.gz', [trackRecord(11, {}, 'I'), trackRecord(12, { title: 'Poison Title' }, 'I')]);
    const workerEnv = env({ FEEDLINE_JOB_ATTEMPTS: '2', FEEDLINE_BATCH_SIZE: '10' });
    const serve = feedlineProcess(['serve', '--role', 'worker'], workerEnv);
    const exited = exitOf(serve);
    try {
      const ingested = await feedline(['ingest', file, '--json'], workerEnv);
      expect(ingested.code, ingested.stderr).toBe(0);
      const { runId } = JSON.parse(ingested.stdout) as { runId: number };
      // The alert is raised as the batch is applied row by row, beside the run finishing.
      await expect.poll(() => query<{ kind: string; state: string }>(db.orm, sql`select kind, state from alerts where subject = ${alertSubject.batchFailed(runId)}`), { timeout: 15_000 })
        .toEqual([{ kind: 'batch_failed', state: 'breach' }]);
    } finally {
      serve.kill('SIGTERM');
    }
    expect((await exited).code).toBe(0);
  });
});

function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}
