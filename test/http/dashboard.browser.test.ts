// The SLA page and bull-board in real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core), as a person uses them: sign in through the login page, read the SLA
// page, open bull-board and see the queues rendered under the content security policy,
// be refused a retry while read-only (the admin user is not), sign out. Screenshots are
// saved under test-results/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { sql } from 'drizzle-orm';
import { query, type Database } from '../../src/db/client.js';
import { LOGIN_MAX_FAILURES } from '../../src/http/login.js';
import { hashPassword } from '../../src/http/passwords.js';
import { createHttpApp } from '../../src/http/server.js';
import { createSlaRoutes, type SlaRoutes } from '../../src/http/sla-routes.js';
import { ingestFeed } from '../../src/ingest/ingest.js';
import { openRedis, type RedisConnection } from '../../src/queue/redis.js';
import { queueSink } from '../../src/queue/sink.js';
import { createAlerter } from '../../src/sla/alerts.js';
import { sweepOnce } from '../../src/sla/sweep.js';
import { ROOT } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { captureLogs } from '../helpers/logs.js';
import { ingest, silentLogger, testConfig } from '../helpers/pipeline.js';
import { clearPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';

const FILE = 'test/http/dashboard.browser.test.ts';
const prefix = testPrefix(FILE);
const USER = 'ops';
const PASSWORD = 'browser-test-password';
const CHROMIUM = process.env.FEEDLINE_TEST_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'test-results');
const ADMIN = 'chief';
const ADMIN_PASSWORD = 'admin-browser-password';
const TOKEN = 'browser-test-dashboard-token';
let config: ReturnType<typeof testConfig>;
let db: Database;
let redis: RedisConnection;
const servers: { server: Server; routes: SlaRoutes }[] = [];
let base: string;
const profiles: string[] = [];
const logs = captureLogs('info');

/** The SLA routes in the HTTP server `serve --role api` runs, on a free port. */
async function listen(): Promise<string> {
  const routes = createSlaRoutes({ config, db, redis, logger: logs.logger });
  const app = createHttpApp({ logger: silentLogger, readiness: async () => ({ ready: true, checks: {} }), routers: [{ path: '/', router: routes.router }] });
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  servers.push({ server, routes });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function signIn(page: Page, user: string, password: string): Promise<void> {
  await page.goto(`${base}/`);
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.fill('#user', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
}

/** PUT bull-board's "retry all failed" the way its own client does, CSRF header from the cookie. */
function retryAll(page: Page, options: { csrf: boolean }): Promise<number> {
  return page.evaluate(async (withCsrf) => {
    const token = /(?:^|; )XSRF-TOKEN=([^;]+)/.exec(document.cookie)?.[1];
    const response = await fetch('/admin/queues/api/queues/apply/retry/failed', {
      method: 'PUT', headers: withCsrf && token ? { 'x-xsrf-token': decodeURIComponent(token) } : {},
    });
    return response.status;
  }, options.csrf);
}

/** A fresh browser profile per launch, with the flags that keep Chromium quiet and offline. */
async function launch(): Promise<BrowserContext> {
  const profile = mkdtempSync(path.join(tmpdir(), 'feedline-chromium-'));
  profiles.push(profile);
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 900 },
  });
}

beforeAll(async () => {
  db = await connect(await freshDatabase(FILE));
  config = testConfig({
    FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_DASHBOARD_USER: USER, FEEDLINE_DASHBOARD_PASSWORD: PASSWORD, FEEDLINE_DASHBOARD_TOKEN: TOKEN,
    FEEDLINE_DASHBOARD_ADMIN_USER: ADMIN, FEEDLINE_DASHBOARD_ADMIN_PASSWORD_HASH: await hashPassword(ADMIN_PASSWORD),
    FEEDLINE_COUNTRIES: 'GB,US', FEEDLINE_FEEDS: 'track/updates,release/updates',
  });
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

  base = await listen();
  mkdirSync(SCREENSHOTS, { recursive: true });
});
afterAll(async () => {
  for (const { server, routes } of servers) {
    await new Promise((resolve) => server.close(resolve));
    await routes.close();
  }
  redis?.disconnect();
  await clearPrefix(prefix);
  await db?.close();
  for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
});

describe('SLA page and bull-board in Chromium', () => {
  it('send a person without a session to the login page, and a machine without a token away with 401', async () => {
    const context = await launch();
    try {
      const page = await context.newPage();
      for (const route of ['/', '/admin/queues']) {
        const response = await page.goto(`${base}${route}`);
        expect(response?.status()).toBe(200);
        expect(new URL(page.url()).pathname).toBe('/login');
        expect(new URL(page.url()).searchParams.get('next')).toBe(route);
        expect(await page.locator('#feeds').count()).toBe(0);
        await expect.poll(() => page.locator('#password').count()).toBe(1);
      }
      const metrics = await page.request.get(`${base}/metrics`);
      expect(metrics.status()).toBe(401);
      expect(metrics.headers()['www-authenticate']).toContain('Basic');
      const withToken = await page.request.get(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(withToken.status()).toBe(200);
      const headers = withToken.headers();
      expect(headers['x-powered-by']).toBeUndefined();
      expect(headers['content-security-policy']).toContain("script-src 'self'");
      expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['referrer-policy']).toBe('no-referrer');
      expect(headers['x-frame-options']).toBe('DENY');
    } finally {
      await context.close();
    }
  });

  it('sign in through the page, read the SLA page and the queues, be refused a retry read-only, sign out', async () => {
    const context = await launch();
    const violations: string[] = [];
    try {
      const page = await context.newPage();
      page.on('console', (m) => { if (/Content Security Policy/i.test(m.text()) && !m.text().includes('fonts.googleapis.com')) violations.push(m.text()); });
      await page.goto(`${base}/`);
      await page.fill('#user', USER);
      await page.fill('#password', 'not the password');
      await page.click('button[type=submit]');
      await expect.poll(() => page.locator('#login-error').count()).toBe(1);
      expect(logs.text()).toContain('dashboard login failed');
      expect(logs.text()).not.toContain('not the password');

      await signIn(page, USER, PASSWORD);
      const cookies = await context.cookies(base);
      const session = cookies.find((c) => c.name === 'feedline_session')!;
      expect(session.httpOnly).toBe(true);
      expect(session.sameSite).toBe('Strict');
      expect(session.expires).toBeGreaterThan(Date.now() / 1000 + 11 * 3600);
      expect(session.expires).toBeLessThan(Date.now() / 1000 + 13 * 3600);

      expect(await page.title()).toBe('[BREACH] feedline SLA');
      const feeds = page.locator('#feeds tbody tr');
      await expect.poll(() => feeds.count()).toBe(4);
      const us = page.locator('#feeds tr', { hasText: 'US track updates' });
      expect(await us.locator('.badge').innerText()).toBe('breach');
      expect(await page.locator('#feeds tr', { hasText: 'GB track updates' }).locator('.badge').innerText()).toBe('ok');
      expect(await page.locator('#feeds tr', { hasText: 'GB release updates' }).locator('.badge').innerText()).toBe('idle');
      expect(await page.locator('#headline').innerText()).toBe('1 run past its deadline');
      expect(await page.locator('#alerts').innerText()).toMatch(/breach\s+sla\s+run \d+ \(US track updates 2026-11-21\) is not applied/);
      expect(await page.locator('#breaches tbody tr').count()).toBe(1);
      expect(await page.locator('#takedowns').innerText()).toContain('track 2');
      // Times relative, the ISO time on hover; the countdown ticks (the page script runs under the CSP).
      const published = page.locator('#pending time.ago').first();
      expect(await published.innerText()).toBe('25 h ago');
      expect(await published.getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const countdown = page.locator('#pending .countdown').first();
      const before = await countdown.innerText();
      expect(before).toMatch(/^-1h0\dm$/);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'sla-dashboard.png'), fullPage: true });

      const board = await page.goto(`${base}/admin/queues`);
      expect(board?.status()).toBe(200);
      await page.getByText('apply', { exact: true }).first().waitFor({ timeout: 15_000 });
      await page.getByText('sla', { exact: true }).first().waitFor({ timeout: 15_000 });
      expect(await page.getByText('Loading', { exact: true }).count()).toBe(0);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'bull-board.png'), fullPage: true });
      expect(await retryAll(page, { csrf: false })).toBe(403);
      expect(await retryAll(page, { csrf: true })).toBe(405);
      expect(violations).toEqual([]);

      await page.goto(`${base}/`);
      await Promise.all([page.waitForURL(/\/login$/), page.click('#sign-out')]);
      expect((await context.cookies(base)).some((c) => c.name === 'feedline_session')).toBe(false);
      await page.goto(`${base}/`);
      expect(new URL(page.url()).pathname).toBe('/login');
    } finally {
      await context.close();
    }
  });

  it('let the configured admin user (hashed password) retry jobs', async () => {
    const context = await launch();
    try {
      const page = await context.newPage();
      await signIn(page, ADMIN, ADMIN_PASSWORD);
      await page.goto(`${base}/admin/queues`);
      await page.getByText('apply', { exact: true }).first().waitFor({ timeout: 15_000 });
      expect(await retryAll(page, { csrf: true })).toBe(200);
      expect(await retryAll(page, { csrf: false })).toBe(403);
    } finally {
      await context.close();
    }
  });

  it('sign in with the dashboard token pasted once', async () => {
    const context = await launch();
    try {
      const page = await context.newPage();
      await page.goto(`${base}/admin/queues`);
      await page.fill('#token', TOKEN);
      await Promise.all([page.waitForURL(`${base}/admin/queues`), page.click('button[type=submit]')]);
      await page.getByText('apply', { exact: true }).first().waitFor({ timeout: 15_000 });
      expect(await retryAll(page, { csrf: true })).toBe(405);
    } finally {
      await context.close();
    }
  });

  it('refuse sign-ins from an address after too many failures, without logging the secret', async () => {
    const own = await listen();
    const context = await launch();
    try {
      const page = await context.newPage();
      const statuses: number[] = [];
      for (let i = 0; i <= LOGIN_MAX_FAILURES; i++) {
        await page.goto(`${own}/login`);
        await page.fill('#user', USER);
        await page.fill('#password', `wrong-${i}-secret`);
        const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type=submit]')]);
        statuses.push(response.status());
      }
      expect(statuses).toEqual([...Array(LOGIN_MAX_FAILURES).fill(401), 429]);
      // Even the right password waits out the window.
      await page.fill('#user', USER);
      await page.fill('#password', PASSWORD);
      const [last] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type=submit]')]);
      expect(last.status()).toBe(429);
      expect(last.headers()['retry-after']).toMatch(/^\d+$/);
      expect(logs.text()).toContain('too many failed logins');
      expect(logs.text()).not.toMatch(/wrong-\d-secret/);
    } finally {
      await context.close();
    }
  });

  it('state the worst open condition in the headline, and show an acknowledgement', async () => {
    await db.orm.execute(sql`insert into alerts (subject, kind, state, message, details) values
      ('feed-missing-track-updates-US', 'missing', 'breach', 'feed US track updates is missing 2 days: 2026-11-18, 2026-11-19', '{"entity":"track","kind":"updates","country":"US","dates":["2026-11-18","2026-11-19"]}'::jsonb)`);
    const [run] = await query<{ subject: string; opened_at: string }>(db.orm, sql`select subject, opened_at::text from alerts where kind = 'sla' and state = 'breach'`);
    await db.orm.execute(sql`insert into alert_acks (subject, opened_at, acknowledged_by, note) values (${run!.subject}, ${run!.opened_at}::timestamptz, 'alice', 'worker host rebooting')`);
    const context = await launch();
    try {
      const page = await context.newPage();
      await signIn(page, USER, PASSWORD);
      expect(await page.title()).toBe('[BREACH] feedline SLA');
      expect(await page.locator('#headline').innerText()).toBe('1 run past its deadline (acknowledged); 2 feeds missing');
      const acked = page.locator('#alerts tr', { hasText: 'sla' });
      expect(await acked.locator('.ack').innerText()).toMatch(/^acknowledged by alice (just now|\d+ min ago): worker host rebooting$/);
      expect(await page.locator('#alerts tr', { hasText: 'missing' }).locator('.unack').innerText()).toBe('not acknowledged');
      await page.screenshot({ path: path.join(SCREENSHOTS, 'sla-acknowledged.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
