// Crashes around the Catalogue Events inbox, with `feedline serve` processes on the real
// PostgreSQL and Redis: an acknowledged event is applied whatever dies afterwards.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../../src/db/client.js';
import { feedlineProcess } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { catalogueMismatches, generateBackfill } from '../helpers/event-backfill.js';
import { tempDir } from '../helpers/feeds.js';
import { deliver, generateProviderKeys, type ProviderKeys } from '../helpers/provider.js';
import { clearPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';

const PREFIX = testPrefix('test/events/durability.test.ts');
// This issue's port range; the api port is never used by these roles' tests but must not clash.
const PORTS = { events: 17210 + (process.pid % 40), http: 17260 + (process.pid % 30) };
let db: Database;
let keys: ProviderKeys;
let env: Record<string, string>;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  const url = await freshDatabase('test/events/durability.test.ts');
  db = await connect(url);
  keys = await generateProviderKeys();
  const dir = tempDir('feedline-events-durability-');
  writeFileSync(path.join(dir, 'provider.pem'), keys.publicKeyPem);
  await clearPrefix(PREFIX);
  env = {
    DATABASE_URL: url, REDIS_URL, FEEDLINE_QUEUE_PREFIX: PREFIX, FEEDLINE_HOME: dir,
    FEEDLINE_EVENTS_PUBLIC_KEY_FILE: path.join(dir, 'provider.pem'), FEEDLINE_EVENTS_PORT: String(PORTS.events),
    FEEDLINE_HTTP_PORT: String(PORTS.http), FEEDLINE_EVENTS_SWEEP_SECONDS: '1',
  };
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await clearPrefix(PREFIX);
  await db?.close();
});

function serve(role: 'events' | 'worker', extra: Record<string, string> = {}): Promise<ChildProcess> {
  const child = feedlineProcess(['serve', '--role', role], { ...env, ...(role === 'worker' ? { FEEDLINE_HTTP_PORT: String(PORTS.http + 1) } : {}), LOG_LEVEL: 'info', ...extra });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('"serving"') || seen.includes('serving')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`serve --role ${role} exited ${code}: ${seen.slice(-2000)}`)));
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

let firstId = 0;
/** Inbox events by status, of the current test's releases. */
async function counts(): Promise<Record<string, number>> {
  const rows = await query<{ status: string; n: number }>(db.orm, sql`
    select status, count(*)::integer as n from events_inbox where item_id::bigint between ${firstId} and ${firstId + 9999} group by status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not reached in ${ms} ms: ${JSON.stringify(await counts())}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const url = () => `http://127.0.0.1:${PORTS.events}/events/standard`;

describe('an acknowledged event survives', () => {
  it('the receiver killed right after its 2XX, with the queued jobs lost too', async () => {
    firstId = 810_000;
    const backfill = generateBackfill({ releases: 10, versions: 3, firstId, seed: 1 });
    // No worker yet: every acknowledged event is only in the inbox and the queue.
    const receiver = await serve('events');
    const report = await deliver(backfill.events.map((item) => ({ url: url(), body: [item] })), { keys, concurrency: 8, shuffle: true, retries: 2, retryDelayMs: 100 });
    await kill(receiver);
    expect(report.acknowledged.length).toBe(backfill.events.length);
    expect((await counts()).applied ?? 0).toBe(0);
    await clearPrefix(PREFIX);

    const worker = await serve('worker');
    const again = await serve('events');
    await until(async () => ((await counts()).pending ?? 0) === 0, 60_000);
    expect(await catalogueMismatches(db, backfill)).toEqual([]);
    await kill(again);
    await kill(worker);
  }, 240_000);

  it('a worker killed mid-apply: another finishes and the catalogue is the same', async () => {
    firstId = 820_000;
    const backfill = generateBackfill({ releases: 40, versions: 4, firstId, seed: 2 });
    const receiver = await serve('events');
    const first = await serve('worker', { FEEDLINE_WORKER_CONCURRENCY: '1' });
    const delivery = deliver(backfill.events.map((item) => ({ url: url(), body: [item] })), { keys, concurrency: 16, shuffle: true, retries: 3, retryDelayMs: 200 });
    await until(async () => ((await counts()).applied ?? 0) + ((await counts()).stale ?? 0) >= 5, 60_000);
    await kill(first);
    const report = await delivery;
    expect(report.parked).toEqual([]);
    const done = await counts();
    expect((done.pending ?? 0) + (done.applied ?? 0) + (done.stale ?? 0)).toBe(backfill.events.length);
    expect(done.pending ?? 0).toBeGreaterThan(0);

    const second = await serve('worker');
    await until(async () => ((await counts()).pending ?? 0) === 0, 90_000);
    expect(await catalogueMismatches(db, backfill)).toEqual([]);
    await kill(second);
    await kill(receiver);
  }, 240_000);
});
