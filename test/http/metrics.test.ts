// /metrics reports what PostgreSQL holds, and every SLA route is behind authentication.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import express from 'express';
import type { Redis } from 'ioredis';
import { query, type Database } from '../../src/db/client.js';
import { UsageError } from '../../src/errors.js';
import { assertSafeToServe, isLoopback } from '../../src/http/auth.js';
import { createSlaRoutes, type SlaRoutes } from '../../src/http/sla-routes.js';
import { ingestFeed } from '../../src/ingest/ingest.js';
import { openRedis } from '../../src/queue/redis.js';
import { queueSink } from '../../src/queue/sink.js';
import { ROOT } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { ingest, silentLogger, testConfig } from '../helpers/pipeline.js';
import { clearPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';

const FILE = 'test/http/metrics.test.ts';
const prefix = testPrefix(FILE);
const TOKEN = 'metrics-test-token-0123456789';
const config = testConfig({
  FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_DASHBOARD_TOKEN: TOKEN, FEEDLINE_DASHBOARD_USER: 'ops', FEEDLINE_DASHBOARD_PASSWORD: 'correct horse',
  FEEDLINE_COUNTRIES: 'GB,US',
});
const now = new Date();
let db: Database;
let redis: Redis;
let routes: SlaRoutes;
let server: Server;
let base: string;

/** Prometheus text format -> samples keyed `name{a="1",b="2"}` (labels sorted). */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels = m[2] ? [...m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}="${v}"`).sort().join(',') : '';
    samples.set(labels ? `${m[1]}{${labels}}` : m[1]!, m[3] === '+Inf' ? Infinity : Number(m[3]));
  }
  return samples;
}

async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parseMetrics(await res.text());
}

beforeAll(async () => {
  db = await connect(await freshDatabase(FILE));
  await clearPrefix(prefix);
  redis = await openRedis(REDIS_URL, 'producer');
  const dir = tempDir();
  // Applied: two takedowns published two hours ago, one quarantined row.
  const published = new Date(now.getTime() - 2 * 3_600_000);
  const applied = updatesFeed(dir, 'GB_track_updates_20261115.csv.gz', [
    trackRecord(1, {}, 'I'), trackRecord(2, {}, 'I'), trackRecord(1, {}, 'D'), trackRecord(3, {}, 'D'), 'U,bad-id,x',
  ]);
  expect((await ingest(db, config, { input: applied, publishedAt: published })).status).toBe('applied');
  // Pending: queued, no worker; published 21 hours ago (past the 20 h warning).
  const sink = queueSink(redis, { prefix, attempts: 1, maxQueued: 100 });
  const stuck = updatesFeed(dir, 'US_track_updates_20261116.csv.gz', [trackRecord(5, {}, 'I'), trackRecord(6, {}, 'U'), trackRecord(7, {}, 'U'), trackRecord(8, {}, 'D')]);
  await ingestFeed({ config, db, sink, logger: silentLogger }, { input: stuck, feed: {}, publishedAt: new Date(now.getTime() - 21 * 3_600_000) });
  await sink.close();
  await db.orm.execute(sql`insert into alerts (subject, kind, state, message) values ('x', 'missing', 'breach', 'm'), ('y', 'sla', 'warning', 'w')`);
  await db.orm.execute(sql`insert into alert_events (subject, kind, state, message) values ('z', 'sla', 'breach', 'b'), ('z2', 'sla', 'breach', 'b')`);

  routes = createSlaRoutes({ config, db, redis, logger: silentLogger, now: () => now });
  const app = express().use(routes.router);
  server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await routes?.close();
  redis?.disconnect();
  await clearPrefix(prefix);
  await db?.close();
});

describe('/metrics', () => {
  it('matches the database', async () => {
    const m = await scrape();
    const [pending] = await query<{ i: number; u: number; d: number }>(db.orm, sql`
      select sum(b.inserts)::int as i, sum(b.updates)::int as u, sum(b.deletes)::int as d
      from feed_batches b join feed_runs r on r.id = b.run_id where b.status <> 'applied' and r.country = 'US'`);
    expect(pending).toEqual({ i: 1, u: 2, d: 1 });
    expect(m.get('feedline_pending_changes{action="insert",country="US",entity="track"}')).toBe(pending!.i);
    expect(m.get('feedline_pending_changes{action="update",country="US",entity="track"}')).toBe(pending!.u);
    expect(m.get('feedline_pending_changes{action="delete",country="US",entity="track"}')).toBe(pending!.d);
    expect(m.get('feedline_pending_runs{status="applying"}')).toBe(1);
    expect(m.get('feedline_oldest_pending_change_age_seconds')).toBe(21 * 3600);
    expect(m.get('feedline_sla_nearest_deadline_seconds')).toBe(3 * 3600);
    expect(m.get('feedline_sla_runs{state="warning"}')).toBe(1);
    expect(m.get('feedline_sla_runs{state="breach"}')).toBe(0);
    expect(m.get('feedline_sla_breaches_total')).toBe(2);

    const [totals] = await query<{ inserted: number; updated: number; taken_down: number }>(db.orm, sql`
      select sum(inserted)::int as inserted, sum(updated)::int as updated, sum(taken_down)::int as taken_down from feed_runs`);
    expect(m.get('feedline_changes_applied_total{action="insert"}')).toBe(totals!.inserted);
    expect(m.get('feedline_changes_applied_total{action="takedown"}')).toBe(totals!.taken_down);
    expect(totals!.taken_down).toBe(2);

    const audit = await query<{ latency: number }>(db.orm, sql`select extract(epoch from applied_at - published_at)::float8 as latency from takedown_audit`);
    expect(audit).toHaveLength(2);
    expect(m.get('feedline_takedown_latency_seconds_count')).toBe(2);
    expect(m.get('feedline_takedown_latency_seconds_sum')).toBeCloseTo(audit.reduce((a, r) => a + r.latency, 0), 3);
    expect(m.get('feedline_takedown_latency_seconds_bucket{le="3600"}')).toBe(0);
    expect(m.get('feedline_takedown_latency_seconds_bucket{le="14400"}')).toBe(2);
    expect(m.get('feedline_takedown_latency_seconds_bucket{le="+Inf"}')).toBe(2);

    const [q] = await query<{ n: number }>(db.orm, sql`select count(*)::int as n from quarantine`);
    expect(q!.n).toBe(1);
    expect(m.get('feedline_quarantined_rows_total{country="GB",entity="track"}')).toBe(1);
    const lag = Math.round((Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00Z`) - Date.parse('2026-11-15T00:00:00Z')) / 86_400_000);
    expect(m.get('feedline_feed_lag_days{country="GB",entity="track",kind="updates",source="7digital"}')).toBe(lag);
    expect(m.get('feedline_open_alerts{acknowledged="false",kind="missing",state="breach"}')).toBe(1);
    expect(m.get('feedline_open_alerts{acknowledged="false",kind="sla",state="warning"}')).toBe(1);

    const batches = await query<{ n: number }>(db.orm, sql`select count(*)::int as n from feed_batches where status = 'pending'`);
    expect(m.get('feedline_queue_jobs{queue="apply",state="waiting"}')).toBe(batches[0]!.n);
    expect(m.get('feedline_queue_jobs{queue="sla",state="delayed"}')).toBe(0);
    expect(m.has('feedline_process_resident_memory_bytes')).toBe(true);
    expect(m.has('feedline_nodejs_eventloop_lag_seconds')).toBe(true);
  });
});

describe('ops/ (Grafana dashboard, Prometheus rules)', () => {
  it('only use metrics that /metrics serves', async () => {
    const served = new Set([...(await scrape()).keys()].map((k) => k.replace(/\{.*$/, '')));
    const used = new Set<string>();
    for (const file of ['ops/grafana/feedline.json', 'ops/prometheus/alerts.yml']) {
      for (const [name] of readFileSync(path.join(ROOT, file), 'utf8').matchAll(/feedline_[a-z0-9_]+/g)) used.add(name);
    }
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !served.has(name))).toEqual([]);
  });
});

describe('authentication', () => {
  it('refuses requests without valid credentials, on every SLA route', async () => {
    for (const path of ['/', '/metrics', '/admin/queues']) {
      const none = await fetch(`${base}${path}`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('Basic');
      expect((await fetch(`${base}${path}`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      expect((await fetch(`${base}${path}`, { headers: { authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` } })).status).toBe(401);
    }
  });

  it('accepts the bearer token and basic auth', async () => {
    expect((await fetch(`${base}/`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const basic = await fetch(`${base}/`, { headers: { authorization: `Basic ${Buffer.from('ops:correct horse').toString('base64')}` } });
    expect(basic.status).toBe(200);
    expect(await basic.text()).toContain('feedline SLA');
  });

  it('refuses to serve on a non-loopback address without credentials', () => {
    const open = { token: undefined, user: undefined, password: undefined };
    expect(() => assertSafeToServe({ host: '0.0.0.0', ...open })).toThrow(UsageError);
    expect(() => assertSafeToServe({ host: '10.1.2.3', ...open })).toThrow(/FEEDLINE_DASHBOARD_TOKEN/);
    expect(() => assertSafeToServe({ host: '::', ...open })).toThrow(UsageError);
    expect(() => assertSafeToServe({ host: '127.0.0.1', ...open })).not.toThrow();
    expect(() => assertSafeToServe({ host: '::1', ...open })).not.toThrow();
    expect(() => assertSafeToServe({ host: '0.0.0.0', token: TOKEN, user: undefined, password: undefined })).not.toThrow();
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('127.0.0.53')).toBe(true);
    expect(isLoopback('example.com')).toBe(false);
  });
});
