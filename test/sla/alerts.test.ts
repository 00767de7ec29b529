// Alerts are deduplicated in PostgreSQL and delivered to webhooks on loopback, with retries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { query, type Database } from '../../src/db/client.js';
import { createAlerter, webhookBody } from '../../src/sla/alerts.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { captureLogs } from '../helpers/logs.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook.js';

let db: Database;
let hook: WebhookReceiver;

beforeAll(async () => {
  db = await connect(await freshDatabase('test/sla/alerts.test.ts'));
  hook = await startWebhookReceiver();
});
afterAll(async () => {
  await hook?.close();
  await db?.close();
});

describe('alerter', () => {
  it('enters each state once, escalates warning to breach, resolves, and keeps the history', async () => {
    const logs = captureLogs();
    const alerter = createAlerter({ db, logger: logs.logger, webhooks: { urls: [hook.url], timeoutMs: 2000 }, retryDelaysMs: [50] });
    const base = { subject: 'run-1', kind: 'sla' as const, message: 'run 1 is late' };
    expect(await alerter.raise({ ...base, state: 'warning' })).toBe(true);
    expect(await alerter.raise({ ...base, state: 'warning' })).toBe(false);
    expect(await alerter.raise({ ...base, state: 'breach', details: { runId: 1 } })).toBe(true);
    expect(await alerter.raise({ ...base, state: 'breach' })).toBe(false);
    expect(await alerter.raise({ ...base, state: 'warning' })).toBe(false);
    expect(await alerter.resolve('run-1', 'applied')).toBe(true);
    expect(await alerter.resolve('run-1', 'applied')).toBe(false);
    expect(await alerter.resolve('never-opened', 'x')).toBe(false);
    // Concurrent raises of one state (two sweeps on two replicas): exactly one wins.
    const results = await Promise.all(Array.from({ length: 8 }, () => alerter.raise({ ...base, state: 'warning' })));
    expect(results.filter(Boolean)).toHaveLength(1);

    const events = await query<{ state: string }>(db.orm, sql`select state from alert_events where subject = 'run-1' order by id`);
    expect(events.map((e) => e.state)).toEqual(['warning', 'breach', 'resolved', 'warning']);
    const [row] = await query<{ state: string; resolved_at: string | null }>(db.orm, sql`select state, resolved_at from alerts where subject = 'run-1'`);
    expect(row).toEqual({ state: 'warning', resolved_at: null });

    await alerter.idle();
    const bodies = hook.received.filter((b) => b.subject === 'run-1');
    expect(bodies.map((b) => b.state)).toEqual(['warning', 'breach', 'resolved', 'warning']);
    expect(bodies[1]).toMatchObject({ kind: 'sla', message: 'run 1 is late', details: { runId: 1 }, source: 'feedline' });
    expect(String(bodies[1]!.text)).toContain('BREACH');
    const levels = logs.records.filter((r) => (r.alert as { subject?: string } | undefined)?.subject === 'run-1').map((r) => r.level);
    expect(levels).toEqual([40, 50, 30, 40]);
  });

  it('retries a webhook that failed once, and logs only its host', async () => {
    const logs = captureLogs();
    const alerter = createAlerter({ db, logger: logs.logger, webhooks: { urls: [hook.url], timeoutMs: 2000 }, retryDelaysMs: [50, 50] });
    hook.failNext(1);
    const before = hook.failed;
    expect(await alerter.raise({ subject: 'feed-GB-track-updates-2026-11-20', kind: 'missing', state: 'breach', message: 'missing' })).toBe(true);
    await alerter.idle();
    expect(hook.failed).toBe(before + 1);
    expect(hook.received.some((b) => b.subject === 'feed-GB-track-updates-2026-11-20')).toBe(true);
    expect(logs.text()).toContain('retrying');
    expect(logs.text()).toContain(new URL(hook.url).host);
    expect(logs.text()).not.toContain('secret-token-path');
  });

  it('delivers one subject\'s alerts in order, even when the first needs a retry', async () => {
    const alerter = createAlerter({ db, logger: captureLogs().logger, webhooks: { urls: [hook.url], timeoutMs: 2000 }, retryDelaysMs: [200] });
    hook.failNext(1);
    const base = { subject: 'run-ordered', kind: 'sla' as const, message: 'm' };
    await alerter.raise({ ...base, state: 'warning' });
    await alerter.raise({ ...base, state: 'breach' });
    await alerter.resolve('run-ordered', 'applied');
    await alerter.idle();
    expect(hook.received.filter((b) => b.subject === 'run-ordered').map((b) => b.state)).toEqual(['warning', 'breach', 'resolved']);
  });

  it('never blocks on a dead webhook and logs that it gave up', async () => {
    const logs = captureLogs();
    const alerter = createAlerter({ db, logger: logs.logger, webhooks: { urls: ['http://127.0.0.1:9/hook'], timeoutMs: 500 }, retryDelaysMs: [20] });
    const started = Date.now();
    expect(await alerter.raise({ subject: 'run-dead', kind: 'rejected', state: 'breach', message: 'rejected' })).toBe(true);
    expect(Date.now() - started).toBeLessThan(400);
    await alerter.idle();
    expect(logs.records.some((r) => r.msg === 'alert webhook failed; giving up' && r.webhook === '127.0.0.1:9')).toBe(true);
  });

  it('gives webhooks a Slack-compatible text', () => {
    const body = webhookBody({ subject: 's', kind: 'sla', state: 'warning', message: 'm', details: {}, at: '2026-11-20T00:00:00.000Z' });
    expect(body.text).toBe(':warning: feedline WARNING [sla] s: m');
  });
});
