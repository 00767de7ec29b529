// Every kind of run states its changes in `rows`, and finishes applied only when they add up
// to inserted + updated + taken down + unchanged + quarantined (docs/design.md invariant 10):
// a CSV feed, a DDEX message (its quarantined items included), a full feed reconciled (its
// takedowns included) and a Catalogue Event. For each, finishRuns refuses counts that do not
// add up and the database refuses an applied run changed to break them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { query, type Database } from '../../src/db/client.js';
import { migrationsFolder } from '../../src/db/migrate.js';
import { getRun } from '../../src/db/run-lookups.js';
import { applyInboxEvent } from '../../src/events/apply.js';
import { reconcileRun } from '../../src/feeds/reconcile.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { expectCountsAddUp, expectDatabaseRefusesBrokenCounts, expectUnaccountedFinishRefused } from '../helpers/counts.js';
import { fixture, ingestDdex } from '../helpers/ddex.js';
import { releaseEvent, SOURCE, storeTestEvent, takedownEvent } from '../helpers/events.js';
import { TRACK_HEADER, tempDir, trackRecord, writeFeed } from '../helpers/feeds.js';
import { ingest, silentLogger, testConfig } from '../helpers/pipeline.js';
import { recordingAlerter } from '../helpers/scheduling.js';

let db: Database;
let config: Config;
const dir = tempDir();

beforeAll(async () => {
  const url = await freshDatabase(import.meta.filename);
  db = await connect(url);
  config = testConfig({ DATABASE_URL: url });
});
afterAll(async () => db.close());

async function fullFeed(date: string, ids: number[]): Promise<number> {
  const file = writeFeed(dir, `GB_track_full_${date.replaceAll('-', '')}.csv.gz`, TRACK_HEADER, ids.map((id) => trackRecord(id)));
  const outcome = await ingest(db, config, { input: file });
  expect(outcome.run.status).toBe('applied');
  return outcome.run.id;
}

describe('the counts of every kind of run add up, and nothing else is applied', () => {
  it('CSV: rows are the records of the file', async () => {
    const runId = await fullFeed('2026-10-05', [1, 2, 3]);
    const run = await expectCountsAddUp(db, runId);
    expect(run).toMatchObject({ rows: 3, inserted: 3 });
    await expectUnaccountedFinishRefused(db, run);
    await expectDatabaseRefusesBrokenCounts(db, runId);
  });

  it('DDEX: rows are the catalogue rows the message states and the items it quarantines', async () => {
    const outcome = await ingestDdex(db, config, fixture('ern382-missing-release-id.xml'), { now: new Date('2026-03-15T00:00:00Z') });
    const run = await expectCountsAddUp(db, outcome.run.id);
    expect(run.quarantined).toBeGreaterThan(0);
    expect(run.rows).toBeGreaterThan(run.quarantined);
    await expectUnaccountedFinishRefused(db, run);
    await expectDatabaseRefusesBrokenCounts(db, run.id);
  });

  it('full-feed reconcile: the takedowns it implies are changes the full run states', async () => {
    await fullFeed('2026-10-12', Array.from({ length: 100 }, (_, i) => 100 + i));
    const runId = await fullFeed('2026-10-19', Array.from({ length: 99 }, (_, i) => 100 + i));
    const before = (await getRun(db.orm, runId))!;
    const outcome = await reconcileRun({ db, logger: silentLogger, alerter: recordingAlerter(), maxShare: 0.5 }, runId);
    // 199 and the CSV test's three tracks are absent.
    expect(outcome).toMatchObject({ state: 'applied', takenDown: 4 });
    const run = await expectCountsAddUp(db, runId);
    expect(run).toMatchObject({ rows: before.rows + 4, takenDown: before.takenDown + 4 });
    expect(run.appliedAt).toEqual(before.appliedAt);
    await expectUnaccountedFinishRefused(db, run);
    await expectDatabaseRefusesBrokenCounts(db, runId);
  });

  it('Catalogue Event: a snapshot and a takedown state their catalogue rows; the run is pending until applied', async () => {
    const snapshot = await storeTestEvent(db, releaseEvent(9001, 1, { tracks: [{ id: 90011 }, { id: 90012 }] }));
    const takedown = await storeTestEvent(db, takedownEvent(9001, 2));
    const pending = await query<{ updates: number; deletes: number; status: string }>(db.orm, sql`
      select b.updates, b.deletes, r.status from events_inbox e join feed_runs r on r.id = e.run_id join feed_batches b on b.run_id = r.id
      where e.id in (${snapshot}, ${takedown}) order by e.id`);
    expect(pending).toEqual([{ updates: 1, deletes: 0, status: 'applying' }, { updates: 0, deletes: 1, status: 'applying' }]);
    for (const id of [snapshot, takedown]) expect(await applyInboxEvent(db, id, { source: SOURCE, enhancedWaitSeconds: 60 })).toBe('applied');
    const [stored] = await query<{ runId: number }>(db.orm, sql`select run_id::integer as "runId" from events_inbox where id = ${takedown}`);
    const runId = stored!.runId;
    const run = await expectCountsAddUp(db, runId);
    expect(run.takenDown).toBeGreaterThan(0);
    await expectUnaccountedFinishRefused(db, run);
    await expectDatabaseRefusesBrokenCounts(db, runId);
  });

  it('migration 0013 recomputes the old DDEX and reconcile runs it can, and leaves any other to NOT VALID', async () => {
    const statements = readFileSync(path.join(migrationsFolder(), '0013_counts_add_up.sql'), 'utf8').split('--> statement-breakpoint');
    const oldRun = async (kind: string, counts: string, meta: object) => (await query<{ id: number }>(db.orm, sql`
      insert into feed_runs (source, entity, kind, country, feed_date, published_at, file_name, file_sha256, file_bytes, archive_path,
        status, version_base, batch_size, rows, inserted, updated, taken_down, unchanged, quarantined, meta, applied_at)
      select 'old', ${kind === 'ddex' ? 'ddex' : 'track'}, ${kind}, 'GB', '2025-01-01', now(), 'old', md5(random()::text), 1, '/old',
        'applied', 0, 1, c[1], c[2], c[3], c[4], c[5], c[6], ${JSON.stringify(meta)}::jsonb, now()
      from (select ${`{${counts}}`}::integer[] as c) as given
      returning id::integer as id`))[0]!.id;
    // As the runs were before it: the check is dropped, then the migration runs again.
    await db.orm.execute(sql`alter table feed_runs drop constraint feed_runs_counts_add_up`);
    const ddex = await oldRun('ddex', '5,2,1,1,1,2', {});
    const reconciled = await oldRun('full', '10,4,3,6,0,0', { reconcile: { state: 'applied', takenDown: 3 } });
    const lost = await oldRun('ddex', '99,2,1,1,1,2', {});
    for (const statement of statements) await db.orm.execute(sql.raw(statement));
    expect((await getRun(db.orm, ddex))!.rows).toBe(7);
    expect((await getRun(db.orm, reconciled))!.rows).toBe(13);
    expect((await getRun(db.orm, lost))!.rows).toBe(99);
    await expectDatabaseRefusesBrokenCounts(db, ddex);
  });
});
