// Full-feed reconciliation: items live but absent from an applied full feed are taken down
// with their audit reason; a truncated full feed trips the share guard, takes nothing down,
// alerts, and waits for `feedline reconcile <runId> --confirm`.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileRun } from '../../src/feeds/reconcile.js';
import type { Config } from '../../src/config/schema.js';
import { query, type Database } from '../../src/db/client.js';
import { getRun } from '../../src/db/run-lookups.js';
import { feedline } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { TRACK_HEADER, tempDir, trackRecord, updatesFeed, writeFeed } from '../helpers/feeds.js';
import { ingest, item, silentLogger, testConfig } from '../helpers/pipeline.js';
import { recordingAlerter } from '../helpers/scheduling.js';

let db: Database;
let url: string;
let config: Config;
const dir = tempDir();
const alerter = recordingAlerter();

beforeAll(async () => {
  url = await freshDatabase(import.meta.filename);
  db = await connect(url);
  config = testConfig({ DATABASE_URL: url });
});
afterAll(async () => {
  await db.close();
});

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function full(date: string, ids: number[]) {
  const file = writeFeed(dir, `GB_track_full_${date.replaceAll('-', '')}.csv.gz`, TRACK_HEADER, ids.map((id) => trackRecord(id)));
  const outcome = await ingest(db, config, { input: file });
  expect(outcome.run.status).toBe('applied');
  return outcome.run.id;
}

const deps = () => ({ db, logger: silentLogger, alerter, maxShare: 0.02 });

describe('full feed reconciliation', () => {
  it('takes down what a full feed no longer lists, with its audit reason, and keeps what a same-day update added', async () => {
    await full('2026-11-02', range(1, 100));
    // An update of the same day as the next full feed, applied first: newer than the full feed.
    const update = updatesFeed(dir, 'GB_track_updates_20261109.csv.gz', [trackRecord(777, {}, 'I')]);
    expect((await ingest(db, config, { input: update })).run.status).toBe('applied');
    const runId = await full('2026-11-09', range(1, 99));
    const outcome = await reconcileRun(deps(), runId);
    expect(outcome).toMatchObject({ state: 'applied', absent: 1, takenDown: 1 });
    expect(await item(db, 'track', '100')).toMatchObject({ status: 'taken_down', takedownReason: 'absent_from_full_feed' });
    expect((await item(db, 'track', '99'))!.status).toBe('live');
    expect((await item(db, 'track', '777'))!.status).toBe('live');
    const audit = await query<{ item_id: string; reason: string; run_id: number }>(db.orm, sql`select item_id, reason, run_id::integer as run_id from takedown_audit where reason = 'absent_from_full_feed'`);
    expect(audit).toEqual([{ item_id: '100', reason: 'absent_from_full_feed', run_id: runId }]);
    expect((await getRun(db.orm, runId))!.meta.reconcile).toMatchObject({ state: 'applied', takenDown: 1 });
    // Idempotent.
    expect((await reconcileRun(deps(), runId)).state).toBe('already');
  });

  it('a truncated full feed trips the guard: nothing taken down, an alert, then --confirm applies it', async () => {
    const runId = await full('2026-11-16', range(1, 50));
    const outcome = await reconcileRun(deps(), runId);
    expect(outcome).toMatchObject({ state: 'pending', absent: 50 });
    expect((await item(db, 'track', '60'))!.status).toBe('live');
    expect(alerter.raised.at(-1)).toMatchObject({ subject: `reconcile-run-${runId}`, kind: 'reconcile', state: 'breach' });
    expect((await getRun(db.orm, runId))!.meta.reconcile).toMatchObject({ state: 'pending' });

    const env = { DATABASE_URL: url, FEEDLINE_HOME: config.home };
    const dry = await feedline(['reconcile', String(runId), '--json'], env);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ state: 'dry_run', absent: 50, wouldApply: false });
    expect((await item(db, 'track', '60'))!.status).toBe('live');

    const confirmed = await feedline(['reconcile', String(runId), '--confirm', '--json'], env);
    expect(confirmed.code).toBe(0);
    expect(JSON.parse(confirmed.stdout)).toMatchObject({ state: 'applied', takenDown: 50, confirmed: true });
    expect(await item(db, 'track', '60')).toMatchObject({ status: 'taken_down', takedownReason: 'absent_from_full_feed' });
    expect((await item(db, 'track', '777'))!.status).toBe('taken_down');

    // A newer insert brings a reconciled item back; an older update cannot.
    const old = updatesFeed(dir, 'GB_track_updates_20261115.csv.gz', [trackRecord(60, { title: 'Old' }, 'U')]);
    await ingest(db, config, { input: old });
    expect((await item(db, 'track', '60'))!.status).toBe('taken_down');
    const fresh = updatesFeed(dir, 'GB_track_updates_20261117.csv.gz', [trackRecord(60, { title: 'Back' }, 'I')]);
    await ingest(db, config, { input: fresh });
    expect((await item(db, 'track', '60'))!.status).toBe('live');
  });

  it('refuses an updates run and an unknown run', async () => {
    expect((await feedline(['reconcile', '999999'], { DATABASE_URL: url, FEEDLINE_HOME: config.home })).code).toBe(4);
    expect((await feedline(['reconcile', '2'], { DATABASE_URL: url, FEEDLINE_HOME: config.home })).code).toBe(2);
  });
});
