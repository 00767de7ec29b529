// The SLA page and bull-board in real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): authentication is required, the page renders the feeds and a breach, the
// queue board loads, and screenshots are saved under test-results/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { chromium, type BrowserContext } from 'playwright-core';
import type { Database } from '../../src/db/client.js';
import { createSlaRoutes, type SlaRoutes } from '../../src/http/sla-routes.js';
import { ingestFeed } from '../../src/ingest/ingest.js';
import { openRedis, type RedisConnection } from '../../src/queue/redis.js';
import { queueSink } from '../../src/queue/sink.js';
import { createAlerter } from '../../src/sla/alerts.js';
import { sweepOnce } from '../../src/sla/sweep.js';
import { ROOT } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { ingest, silentLogger, testConfig } from '../helpers/pipeline.js';
import { clearPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';

const FILE = 'test/http/dashboard.browser.test.ts';
const prefix = testPrefix(FILE);
const USER = 'ops';
const PASSWORD = 'browser-test-password';
const CHROMIUM = process.env.FEEDLINE_TEST_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'test-results');
const config = testConfig({
  FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_DASHBOARD_USER: USER, FEEDLINE_DASHBOARD_PASSWORD: PASSWORD,
  FEEDLINE_COUNTRIES: 'GB,US', FEEDLINE_FEEDS: 'track/updates,release/updates',
});
let db: Database;
let redis: RedisConnection;
let routes: SlaRoutes;
let server: Server;
let base: string;
const profiles: string[] = [];

/** A fresh browser profile per launch, with the flags that keep Chromium quiet and offline. */
async function launch(options: { credentials: boolean }): Promise<BrowserContext> {
  const profile = mkdtempSync(path.join(tmpdir(), 'feedline-chromium-'));
  profiles.push(profile);
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 900 },
    ...(options.credentials ? { httpCredentials: { username: USER, password: PASSWORD } } : {}),
  });
}

beforeAll(async () => {
  db = await connect(await freshDatabase(FILE));
  await clearPrefix(prefix);
  redis = await openRedis(REDIS_URL, 'producer');
  const dir = tempDir();
  // GB: applied in time, with takedowns. US: stuck for 25 hours behind a worker that isn't running.
  await ingest(db, config, { input: updatesFeed(dir, 'GB_track_updates_20261120.csv.gz', [trackRecord(1, {}, 'I'), trackRecord(2, { title: '<script>alert(1)</script>' }, 'D')]), publishedAt: new Date(Date.now() - 2 * 3_600_000) });
  const sink = queueSink(redis, { prefix, attempts: 1, maxQueued: 100 });
  await ingestFeed({ config, db, sink, logger: silentLogger }, { input: updatesFeed(dir, 'US_track_updates_20261121.csv.gz', [trackRecord(5, {}, 'I'), trackRecord(6, {}, 'D')]), feed: {}, publishedAt: new Date(Date.now() - 25 * 3_600_000) });
  await sink.close();
  const alerter = createAlerter({ db, logger: silentLogger, webhooks: { urls: [], timeoutMs: 1000 } });
  await sweepOnce({ db, alerter, sla: config.sla, logger: silentLogger, now: () => new Date() }, { quarantineAlertShare: 0.5 });

  routes = createSlaRoutes({ config, db, redis, logger: silentLogger });
  const app = express().use(routes.router);
  server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mkdirSync(SCREENSHOTS, { recursive: true });
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await routes?.close();
  redis?.disconnect();
  await clearPrefix(prefix);
  await db?.close();
  for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
});

describe('SLA page and bull-board in Chromium', () => {
  it('require authentication', async () => {
    const context = await launch({ credentials: false });
    try {
      const page = await context.newPage();
      for (const route of ['/', '/admin/queues', '/metrics']) {
        // Headless Chromium answers a Basic challenge it has no credentials for by giving up
        // the navigation; either way, nothing of the page is shown.
        const outcome = await page.goto(`${base}${route}`).then((r) => r?.status(), (err: Error) => err.message);
        expect(String(outcome)).toMatch(/^401$|ERR_INVALID_AUTH_CREDENTIALS/);
        const direct = await page.request.get(`${base}${route}`);
        expect(direct.status()).toBe(401);
        expect(direct.headers()['www-authenticate']).toContain('Basic');
      }
      await page.waitForLoadState();
      expect(await page.locator('#feeds').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('render the feeds, the breach and the queues', async () => {
    const context = await launch({ credentials: true });
    try {
      const page = await context.newPage();
      const response = await page.goto(`${base}/`);
      expect(response?.status()).toBe(200);
      expect(await page.title()).toBe('[BREACH] feedline SLA');
      const feeds = page.locator('#feeds tbody tr');
      await expect.poll(() => feeds.count()).toBe(4);
      const us = page.locator('#feeds tr', { hasText: 'US track updates' });
      expect(await us.locator('.badge').innerText()).toBe('breach');
      expect(await page.locator('#feeds tr', { hasText: 'GB track updates' }).locator('.badge').innerText()).toBe('ok');
      expect(await page.locator('#feeds tr', { hasText: 'GB release updates' }).locator('.badge').innerText()).toBe('idle');
      expect(await page.locator('#headline').innerText()).toContain('past the 24 h deadline');
      expect(await page.locator('#alerts').innerText()).toMatch(/breach\s+sla\s+run \d+ \(US track updates 2026-11-21\) is not applied/);
      expect(await page.locator('#breaches tbody tr').count()).toBe(1);
      expect(await page.locator('#takedowns').innerText()).toContain('track 2');
      // The countdown ticks in the page: negative, past the deadline.
      expect(await page.locator('#pending .countdown').first().innerText()).toMatch(/^-1h0\dm$/);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'sla-dashboard.png'), fullPage: true });

      const board = await page.goto(`${base}/admin/queues`);
      expect(board?.status()).toBe(200);
      await page.getByText('apply', { exact: true }).first().waitFor({ timeout: 15_000 });
      await page.getByText('sla', { exact: true }).first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'bull-board.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
