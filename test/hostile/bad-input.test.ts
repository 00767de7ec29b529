// The five cases of issue 17, from our fixtures, through the real pipeline (in-process
// apply on PostgreSQL): a feed of the wrong entity, takedowns with unreadable fields, a quote
// that never closes, a duplicated column; and that every record is accounted for.
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../../src/db/client.js';
import { type Run } from '../../src/db/runs.js';
import { listQuarantine } from '../../src/db/run-lookups.js';
import { createAlerter } from '../../src/sla/alerts.js';
import { ingestFeed, waitForRun } from '../../src/ingest/ingest.js';
import { inlineSink } from '../../src/queue/sink.js';
import { ROOT } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed, writeFeed } from '../helpers/feeds.js';
import { ingest, item, silentLogger, testConfig } from '../helpers/pipeline.js';

export const BAD_INPUT = path.join(ROOT, 'fixtures/csv/bad-input');
const fixture = (name: string) => path.join(BAD_INPUT, name);

let db: Database;
let url: string;
const dir = tempDir();

beforeAll(async () => {
  url = await freshDatabase(import.meta.filename);
  db = await connect(url);
});
afterAll(async () => db.close());

/** rows = inserted + updated + takenDown + unchanged + quarantined. */
export function accountedFor(run: Run): number {
  return run.inserted + run.updated + run.takenDown + run.unchanged + run.quarantined;
}

async function alertStates(subject: string): Promise<string[]> {
  const rows = await query<{ state: string }>(db.orm, sql`select state from alert_events where subject = ${subject} order by id`);
  return rows.map((r) => r.state);
}

describe('issue 17 case 1: a feed of the wrong entity is refused', () => {
  it('a track file named as a release feed is rejected, saying it looks like a track feed; releases stay as they were', async () => {
    const config = testConfig({ DATABASE_URL: url });
    await ingest(db, config, { input: fixture('GB_release_updates_20261119.csv') });
    const result = await ingest(db, config, { input: fixture('GB_release_updates_20261120.csv') });
    expect(result.status).toBe('rejected');
    expect(result.run.error).toContain('line 1: this is a track header (it has trackId), not a release header');
    expect((await item(db, 'release', '9001'))?.title).toBe('Tidewater');
    expect(await item(db, 'release', '7102')).toBeUndefined();
  });

  it('the same when the entity comes from --entity', async () => {
    const config = testConfig({ DATABASE_URL: url });
    const result = await ingest(db, config, { input: fixture('GB_track_updates_20261121.csv'), feed: { entity: 'release', date: '2026-11-18' } });
    expect(result.status).toBe('rejected');
    expect(result.run.error).toContain('this is a track header (it has trackId), not a release header');
  });
});

describe('issue 17 case 2: a takedown needs only its key', () => {
  it('D rows with an empty title, an unreadable flag, date or number, or only the id, all take effect, with warnings', async () => {
    const alerter = createAlerter({ db, logger: silentLogger, webhooks: { urls: [], timeoutMs: 1000 } });
    const config = testConfig({ DATABASE_URL: url });
    const ctx = { config, db, sink: inlineSink(db), logger: silentLogger, alerter };
    const outcome = await ingestFeed(ctx, { input: fixture('GB_track_updates_20261121.csv'), feed: {} });
    const run = await waitForRun(ctx, outcome.run.id, { pollMs: 50 });
    expect(run).toMatchObject({ status: 'applied', rows: 10, inserted: 1, takenDown: 7, quarantined: 2 });
    expect(accountedFor(run)).toBe(run.rows);
    for (const id of ['7202', '7203', '7204', '7205', '7206', '7207', '7208']) {
      expect((await item(db, 'track', id))?.status, `track ${id}`).toBe('taken_down');
    }
    const entries = await listQuarantine(db.orm, run.id);
    const warnings = entries.filter((e) => e.severity === 'warning');
    expect(warnings.map((w) => [w.line, w.field])).toEqual([
      [4, 'explicitContent'], [5, 'streamingReleaseDate'], [6, 'trackNumber'], [6, 'duration'], [6, 'price'], [6, 'popularity'],
      [7, null], [8, 'action'], [9, 'action'],
    ]);
    expect(warnings.find((w) => w.line === 5)!.reason).toBe('streamingReleaseDate "2026-13-45" is not an ISO 8601 date; ignored, the takedown applies');
    expect(warnings.find((w) => w.line === 9)!.reason).toBe('action " D " read as D');
    // The audit row of each takedown carries its warnings.
    const audit = await query<{ item_id: string; warnings: string | null }>(db.orm, sql`
      select item_id, warnings from takedown_audit where run_id = ${run.id} order by line`);
    expect(audit).toHaveLength(7);
    expect(audit.find((a) => a.item_id === '7202')!.warnings).toBeNull();
    expect(audit.find((a) => a.item_id === '7204')!.warnings).toContain('streamingReleaseDate "2026-13-45"');
    expect(audit.find((a) => a.item_id === '7206')!.warnings).toBe('has 2 fields, the header has 20; applied as a takedown of trackId 7206 only');
    // An unreadable action and a D with an invalid key are possible takedowns: quarantined, alerting at once.
    const possible = entries.filter((e) => e.severity === 'possible_takedown');
    expect(possible.map((p) => [p.line, p.field])).toEqual([[10, 'action'], [11, 'trackId']]);
    expect(possible[0]!.reason).toContain('unknown action "X"');
    expect(possible[1]!.reason).toContain('trackId "72x10" is not a positive integer id');
    expect(await alertStates(`possible-takedown-run-${run.id}`)).toEqual(['breach']);
  });

  it('a takedown that carries only its id keeps the title and fields it had', async () => {
    const config = testConfig({ DATABASE_URL: url });
    await ingest(db, config, { input: updatesFeed(dir, 'GB_track_updates_20261101.csv.gz', [trackRecord(7250, { title: 'Kept', isrc: 'GBKEEP0000001' }, 'I')]) });
    const result = await ingest(db, config, { input: updatesFeed(dir, 'GB_track_updates_20261102.csv.gz', ['D,7250']) });
    expect(result.run).toMatchObject({ status: 'applied', rows: 1, takenDown: 1, quarantined: 0 });
    const stored = await item(db, 'track', '7250');
    expect(stored).toMatchObject({ status: 'taken_down', title: 'Kept', displayTitle: 'Kept' });
    expect(stored?.record.isrc).toBe('GBKEEP0000001');
  });
});

describe('issue 17 case 3: a quote that never closes swallows nothing', () => {
  it('each broken record is quarantined (or, a takedown, applied by its key) from the line it starts on, and the rest applies', async () => {
    const config = testConfig({ DATABASE_URL: url });
    const result = await ingest(db, config, { input: fixture('GB_track_updates_20261122.csv') });
    const run = result.run;
    expect(run).toMatchObject({ status: 'applied', rows: 8, inserted: 2, takenDown: 4, quarantined: 2 });
    expect(accountedFor(run)).toBe(run.rows);
    for (const id of ['7303', '7305', '7306', '7308']) expect((await item(db, 'track', id))?.status, `track ${id}`).toBe('taken_down');
    expect((await item(db, 'track', '7304'))?.title).toBe('A title with a\nline break');
    const entries = await listQuarantine(db.orm, run.id);
    const quarantined = entries.filter((e) => e.severity === 'quarantined');
    expect(quarantined.map((q) => [q.line, q.reason])).toEqual([
      [3, 'a quoted field opened on line 3 is not closed before line 4, which starts a new record'],
      [9, 'field 3: text after its closing quote (invalid closing quote)'],
    ]);
    expect(quarantined[0]!.raw).toMatch(/^U,7302,"Unclosed Title,/);
    const warnings = entries.filter((e) => e.severity === 'warning');
    expect(warnings.map((w) => [w.line, w.reason])).toEqual([
      [7, 'a quoted field opened on line 7 is not closed before line 8, which starts a new record; applied as a takedown of trackId 7305 only'],
      [10, 'a quoted field opened on line 10 is not closed before the end of the file; applied as a takedown of trackId 7308 only'],
    ]);
  });
});

describe('issue 17 case 4: a duplicated column rejects the file', () => {
  it('names the column and both positions; nothing applies', async () => {
    const config = testConfig({ DATABASE_URL: url });
    const result = await ingest(db, config, { input: fixture('GB_track_updates_20261123.csv') });
    expect(result.status).toBe('rejected');
    expect(result.run.error).toBe('line 1: column "trackId" appears twice (columns 2 and 20); which one holds the value cannot be known');
    expect(await item(db, 'track', '7401')).toBeUndefined();
    expect(await item(db, 'track', '9999')).toBeUndefined();
  });
});

describe('header checks, whatever entity and kind', () => {
  it.each([
    ['GB_track_updates_20261126.csv.gz', `action,${'trackId,version'}`, 'line 1: header lacks required track column(s) title; is this a track feed? (header: action,trackId,version)'],
    ['GB_track_updates_20261127.csv.gz', 'trackId,action,title', 'line 1: an updates feed must start with an `action` column'],
    ['GB_track_full_20261127.csv.gz', 'action,trackId,title', 'line 1: a full feed has no `action` column; is this an updates feed?'],
    ['GB_release_updates_20261127.csv.gz', 'action,artistId,name', 'line 1: this is an artist header (it has artistId), not a release header; the entity comes from the file name or --entity (header: action,artistId,name)'],
    ['GB_artist_full_20261127.csv.gz', 'releaseId,title,artistId', 'line 1: this is a release header (it has releaseId), not an artist header; the entity comes from the file name or --entity (header: releaseId,title,artistId)'],
  ])('%s with header %s is rejected', async (name, header, reason) => {
    const config = testConfig({ DATABASE_URL: url });
    const result = await ingest(db, config, { input: writeFeed(dir, name, header, []) });
    expect(result.status).toBe('rejected');
    expect(result.run.error).toBe(reason);
  });
});
