// Issue 4's "done when", end to end with real processes: `feedline serve --role scheduler`
// (SLA sweep + timers) and `feedline serve --role api` (SLA page, bull-board, /metrics) run
// against PostgreSQL and Redis with a 90-second SLA window; a feed is ingested while no apply
// worker runs (a stuck worker); the breach must reach a webhook on loopback within a minute
// of the deadline and show on the SLA page; then a worker starts, the alert resolves, and
// `feedline report` prints the day's compliance evidence.
//
//   npx tsx scripts/demo-sla.ts        (needs local PostgreSQL and Redis, as the tests do)
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import postgres from 'postgres';
import { feedline, feedlineProcess, ROOT } from '../test/helpers/cli.js';
import { ADMIN_URL, databaseUrl } from '../test/helpers/db.js';
import { tempDir } from '../test/helpers/feeds.js';
import { REDIS_URL, clearPrefix } from '../test/helpers/redis.js';

const WINDOW_S = 90;
const WARNING_S = 45;
const TOKEN = 'demo-dashboard-token-0123456789';
const started = Date.now();
const t = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`;
const say = (text: string) => process.stdout.write(`[${t()}] ${text}\n`);

async function main(): Promise<number> {
  const name = 'feedline_demo_sla';
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const prefix = `demo-sla-${process.pid}`;
  await clearPrefix(prefix);

  const received: { at: number; body: Record<string, unknown> }[] = [];
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ at: Date.now(), body: JSON.parse(body) as Record<string, unknown> });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const port = 18000 + (process.pid % 1000);
  const env = {
    DATABASE_URL: databaseUrl(name), REDIS_URL, FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_HOME: tempDir('feedline-demo-'),
    LOG_LEVEL: 'warn',
    FEEDLINE_SLA_HOURS: String(WINDOW_S / 3600), FEEDLINE_SLA_WARNING_HOURS: String(WARNING_S / 3600),
    FEEDLINE_WEBHOOK_URLS: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks/demo`,
    FEEDLINE_HTTP_PORT: String(port), FEEDLINE_DASHBOARD_TOKEN: TOKEN,
    // The scheduler role needs a provider; nothing is due before tomorrow, so it never fetches.
    FEEDLINE_PROVIDER_BASE_URL: 'https://provider.invalid/1.2', FEEDLINE_OAUTH_CONSUMER_KEY: 'demo', FEEDLINE_OAUTH_CONSUMER_SECRET: 'demo',
    FEEDLINE_START_DATE: new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10), FEEDLINE_COUNTRIES: 'GB',
    FEEDLINE_FEEDS: 'track/updates',
  };
  const children: ChildProcess[] = [];
  const spawn = (args: string[], overrides: Record<string, string> = {}) => {
    const child = feedlineProcess(args, { ...env, ...overrides });
    child.stderr!.on('data', (d: Buffer) => process.stderr.write(`  [${args.join(' ')}] ${d}`));
    children.push(child);
    return child;
  };
  const get = async (route: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${route}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, text: await res.text() };
  };
  const waitFor = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const alertAt = (state: string) => received.find((r) => r.body.kind === 'sla' && r.body.state === state);

  try {
    expect((await feedline(['migrate'], env)).code === 0, 'migrate');
    // Every serve role answers /healthz, so each process gets its own port.
    spawn(['serve', '--role', 'scheduler'], { FEEDLINE_HTTP_PORT: String(port + 1) });
    spawn(['serve', '--role', 'api']);
    await waitFor('the api', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true, 30_000);
    say(`serve --role scheduler and --role api running; SLA page http://127.0.0.1:${port}/ (bearer token), window ${WINDOW_S} s, warning ${WARNING_S} s`);

    const published = new Date();
    const deadline = published.getTime() + WINDOW_S * 1000;
    const ingest = await feedline(['ingest', path.join(ROOT, 'fixtures/csv/GB_track_updates_20261120.csv.gz'), '--published-at', published.toISOString(), '--no-wait', '--json'], env);
    const runId = (JSON.parse(ingest.stdout) as { runId: number }).runId;
    say(`ingested run ${runId} with no apply worker running (stuck); deadline ${new Date(deadline).toISOString()}`);
    const unauth = await fetch(`http://127.0.0.1:${port}/`);
    say(`SLA page without credentials: HTTP ${unauth.status}`);

    await waitFor('the warning at the webhook', () => Boolean(alertAt('warning')), (WARNING_S + 60) * 1000);
    say(`webhook received WARNING ${((alertAt('warning')!.at - published.getTime()) / 1000).toFixed(1)} s after publication (threshold ${WARNING_S} s)`);
    say(`feedline sla exit code while warning: ${(await feedline(['sla'], env)).code}`);
    await waitFor('the breach at the webhook', () => Boolean(alertAt('breach')), (WINDOW_S + 60) * 1000);
    const breachDelay = (alertAt('breach')!.at - deadline) / 1000;
    say(`webhook received BREACH ${breachDelay.toFixed(1)} s after the deadline: ${String(alertAt('breach')!.body.text)}`);
    const page = await get('/');
    const board = await get('/admin/queues');
    const metrics = await get('/metrics');
    say(`SLA page: HTTP ${page.status}, title ${/<title>(.*?)<\/title>/.exec(page.text)?.[1]}, shows breach: ${page.text.includes('badge breach')}`);
    say(`bull-board: HTTP ${board.status}; metrics: ${metrics.text.split('\n').filter((l) => /^feedline_(sla_runs\{state="breach"\}|pending_changes|oldest_pending)/.test(l)).join('; ')}`);
    say(`feedline sla exit code in breach: ${(await feedline(['sla'], env)).code}`);

    say('starting an apply worker');
    spawn(['worker']);
    await waitFor('resolved at the webhook', () => Boolean(alertAt('resolved')), 120_000);
    say(`webhook received RESOLVED ${((alertAt('resolved')!.at - deadline) / 1000).toFixed(1)} s after the deadline: ${String(alertAt('resolved')!.body.message)}`);
    const after = await feedline(['sla', '--json'], env);
    const open = (JSON.parse(after.stdout) as { alerts: { kind: string; state: string }[] }).alerts;
    say(`feedline sla exit code after: ${after.code} (runs pending: none; open alerts: ${open.map((a) => `${a.kind}/${a.state}`).join(', ') || 'none'})`);
    say(`webhook deliveries: ${received.map((r) => `${String(r.body.kind)}/${String(r.body.state)}`).join(', ')}`);

    const today = new Date().toISOString().slice(0, 10);
    const report = await feedline(['report', '--from', today, '--to', today], env);
    say(`feedline report --from ${today} --to ${today} (exit ${report.code}):\n${report.stdout}`);
    return breachDelay < 60 ? 0 : 1;
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.on('exit', resolve)))));
    hook.close();
    await clearPrefix(prefix);
  }
}

function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(`${what} failed`);
}

process.exitCode = await main();
