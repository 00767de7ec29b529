// `feedline alerts` and `feedline alerts ack`: an operator lists open alerts and acknowledges
// one; it stays open and visible (list, SLA page, /metrics), is not announced again while
// open, and `feedline sla` tells acknowledged from unacknowledged by exit code. A quarantine
// warning is acknowledged away.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../src/queue/redis.js';
import type { Database } from '../../src/db/client.js';
import { openAlerts } from '../../src/db/sla.js';
import { renderDashboard } from '../../src/http/dashboard.js';
import { createMetricsRegistry } from '../../src/http/metrics.js';
import { ingestFeed } from '../../src/ingest/ingest.js';
import { openRedis } from '../../src/queue/redis.js';
import { queueSink } from '../../src/queue/sink.js';
import { createAlerter, type WebhookAlerter } from '../../src/sla/alerts.js';
import { sweepOnce } from '../../src/sla/sweep.js';
import { SLA_EXIT } from '../../src/cli/sla.js';
import { feedline } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { silentLogger, testConfig } from '../helpers/pipeline.js';
import { clearPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook.js';

const FILE = 'test/cli/alerts.test.ts';
const prefix = testPrefix(FILE);
const config = testConfig({ FEEDLINE_QUEUE_PREFIX: prefix });
let db: Database;
let redis: RedisConnection;
let env: Record<string, string>;
let webhook: WebhookReceiver;
let alerter: WebhookAlerter;
let runId: number;

beforeAll(async () => {
  const url = await freshDatabase(FILE);
  db = await connect(url);
  env = { DATABASE_URL: url, FEEDLINE_HOME: tempDir('feedline-home-') };
  await clearPrefix(prefix);
  redis = await openRedis(REDIS_URL, 'producer');
  webhook = await startWebhookReceiver();
  alerter = createAlerter({ db, logger: silentLogger, webhooks: { urls: [webhook.url], timeoutMs: 2000 }, retryDelaysMs: [] });
  // A run stuck 25 h behind a worker that is not running: past its deadline.
  const sink = queueSink(redis, { prefix, attempts: 1, maxQueued: 100 });
  const result = await ingestFeed({ config, db, sink, logger: silentLogger }, { input: updatesFeed(tempDir(), 'US_track_updates_20261121.csv.gz', [trackRecord(5, {}, 'D')]), feed: {}, publishedAt: new Date(Date.now() - 25 * 3_600_000) });
  await sink.close();
  runId = result.run.id;
  await sweepOnce({ db, alerter, sla: config.sla, logger: silentLogger, now: () => new Date() }, { quarantineAlertShare: 0.5 });
  await alerter.idle();
});
afterAll(async () => {
  await webhook?.close();
  redis?.disconnect();
  await clearPrefix(prefix);
  await db?.close();
});

describe('feedline alerts', () => {
  it('lists the open alerts, unacknowledged, and sla exits 8', async () => {
    const list = await feedline(['alerts', '--json'], env);
    expect(list.code).toBe(0);
    const alerts = JSON.parse(list.stdout) as { subject: string; state: string; acknowledged: unknown }[];
    expect(alerts).toEqual([expect.objectContaining({ subject: `sla-run-${runId}`, state: 'breach', acknowledged: null })]);
    expect((await feedline(['sla'], env)).code).toBe(SLA_EXIT.breach);
  });

  it('acknowledges one: still open and visible, acknowledged on the page and in /metrics; sla exits 10', async () => {
    const ack = await feedline(['alerts', 'ack', `sla-run-${runId}`, '--by', 'alice', '--note', 'worker host rebooting'], env);
    expect(ack.stderr).toBe('');
    expect(ack.code).toBe(0);
    expect(ack.stdout).toContain('stays open');
    const text = await feedline(['alerts'], env);
    expect(text.stdout).toMatch(new RegExp(`sla-run-${runId}\\s+breach\\s+sla\\s+\\S+\\s+alice: worker host rebooting`));
    const sla = await feedline(['sla', '--json'], env);
    expect(sla.code).toBe(SLA_EXIT.acknowledged);
    expect(JSON.parse(sla.stdout)).toMatchObject({ state: 'acknowledged', alerts: [{ acknowledged: { by: 'alice', note: 'worker host rebooting' } }] });

    const html = await renderDashboard({ db, sla: config.sla, source: config.source, feeds: [] });
    expect(html).toContain('acknowledged by alice');
    expect(html).toMatch(/id="headline">1 run past its deadline \(acknowledged\)</);
    const metrics = await createMetricsRegistry({ db, sla: config.sla, queues: [] }).metrics();
    expect(metrics).toContain('feedline_open_alerts{kind="sla",state="breach",acknowledged="true"} 1');
  });

  it('does not announce an acknowledged alert again while it stays open', async () => {
    const subject = 'backlog-test';
    await alerter.raise({ subject, kind: 'backlog', state: 'warning', message: 'backlog growing' });
    await alerter.idle();
    const before = webhook.received.length;
    expect((await feedline(['alerts', 'ack', subject, '--by', 'bob'], env)).code).toBe(0);
    expect(await alerter.raise({ subject, kind: 'backlog', state: 'breach', message: 'backlog too long' })).toBe(true);
    await alerter.idle();
    expect(webhook.received.length).toBe(before);
    expect((await openAlerts(db.orm)).find((a) => a.subject === subject)).toMatchObject({ state: 'breach', acknowledged: { by: 'bob' } });
    // Resolved and opened again: news again.
    await alerter.resolve(subject, 'drained');
    await alerter.raise({ subject, kind: 'backlog', state: 'warning', message: 'backlog growing again' });
    await alerter.idle();
    expect(webhook.received.slice(before).map((b) => b.state)).toEqual(['resolved', 'warning']);
  });

  it('acknowledges a quarantine warning away, and refuses an unknown subject or a missing --by', async () => {
    await alerter.raise({ subject: 'quarantine-run-999', kind: 'quarantine', state: 'warning', message: 'many rows quarantined' });
    const ack = await feedline(['alerts', 'ack', 'quarantine-run-999', '--by', 'carol'], env);
    expect(ack.code).toBe(0);
    expect((await openAlerts(db.orm)).some((a) => a.subject === 'quarantine-run-999')).toBe(false);
    const unknown = await feedline(['alerts', 'ack', 'no-such-alert', '--by', 'carol'], env);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('no open alert with subject "no-such-alert"');
    expect((await feedline(['alerts', 'ack', `sla-run-${runId}`], env)).code).toBe(2);
  });
});
