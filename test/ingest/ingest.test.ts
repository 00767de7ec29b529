// The core pipeline against a real PostgreSQL, applying in-process (the same apply the
// workers run): ordering, replays, countries, CSV quoting, quarantine and rejection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';
import { query } from '../../src/db/client.js';
import { listQuarantine } from '../../src/db/run-lookups.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { TRACK_HEADER, tempDir, trackRecord, updatesFeed, writeFeed } from '../helpers/feeds.js';
import { inlineSink, type BatchSink } from '../../src/queue/sink.js';
import { ingest, item, testConfig } from '../helpers/pipeline.js';

let db: Database;
let url: string;
const dir = tempDir();

beforeAll(async () => {
  url = await freshDatabase(import.meta.filename);
  db = await connect(url);
});
afterAll(async () => db.close());

describe('ingest of a provider updates feed', () => {
  it('ends I, U, D of one id taken down, within one batch and across a batch boundary', async () => {
    const records = [trackRecord(100, {}, 'I'), trackRecord(100, { title: 'Renamed' }, 'U'), trackRecord(100, {}, 'D')];
    for (const batchSize of ['100', '1']) {
      const config = testConfig({ DATABASE_URL: url, FEEDLINE_BATCH_SIZE: batchSize });
      const country = batchSize === '1' ? 'US' : 'GB';
      const file = updatesFeed(dir, `${country}_track_updates_20261101.csv.gz`, records);
      const result = await ingest(db, config, { input: file });
      expect(result.status).toBe('applied');
      expect(result.run.batchesTotal).toBe(batchSize === '1' ? 3 : 1);
      const stored = await item(db, 'track', '100', country);
      expect(stored?.status).toBe('taken_down');
      expect(stored?.takedownReason).toBe('feed_delete');
    }
  });

  it('lets a later day win when it is ingested before an earlier day', async () => {
    const config = testConfig({ DATABASE_URL: url });
    await ingest(db, config, { input: updatesFeed(dir, 'GB_track_updates_20261105.csv.gz', [trackRecord(200, { title: 'Newer' }, 'U')]) });
    const older = await ingest(db, config, { input: updatesFeed(dir, 'GB_track_updates_20261104.csv.gz', [trackRecord(200, { title: 'Older' }, 'U'), trackRecord(201, {}, 'D')]) });
    expect((await item(db, 'track', '200'))?.title).toBe('Newer');
    expect(older.run).toMatchObject({ unchanged: 1, takenDown: 1 });
  });

  it('a takedown is not resurrected by an older update, but is by a newer insert', async () => {
    const config = testConfig({ DATABASE_URL: url });
    await ingest(db, config, { input: updatesFeed(dir, 'GB_track_updates_20261111.csv.gz', [trackRecord(300, {}, 'D')]) });
    await ingest(db, config, { input: updatesFeed(dir, 'GB_track_updates_20261110.csv.gz', [trackRecord(300, {}, 'U')]) });
    expect((await item(db, 'track', '300'))?.status).toBe('taken_down');
    await ingest(db, config, { input: updatesFeed(dir, 'GB_track_updates_20261112.csv.gz', [trackRecord(300, {}, 'I')]) });
    const back = await item(db, 'track', '300');
    expect(back?.status).toBe('live');
    expect(back?.takenDownAt).toBeNull();
  });

  it('reports the same content as a duplicate, and a forced replay changes nothing', async () => {
    const config = testConfig({ DATABASE_URL: url });
    const file = updatesFeed(dir, 'GB_track_updates_20261115.csv.gz', [trackRecord(400, {}, 'I'), trackRecord(401, {}, 'D')]);
    const first = await ingest(db, config, { input: file });
    const before = await snapshot();
    const again = await ingest(db, config, { input: file });
    expect(again.status).toBe('duplicate');
    expect(again.run.id).toBe(first.run.id);
    const forced = await ingest(db, config, { input: file, force: true });
    expect(forced.status).toBe('applied');
    expect(forced.run).toMatchObject({ rows: 2, inserted: 0, updated: 0, takenDown: 0, unchanged: 2 });
    expect(await snapshot()).toEqual(before);
  });

  it('keeps state per country', async () => {
    const config = testConfig({ DATABASE_URL: url });
    await ingest(db, config, { input: updatesFeed(dir, 'GB_track_updates_20261116.csv.gz', [trackRecord(500, {}, 'I')]) });
    await ingest(db, config, { input: updatesFeed(dir, 'DE_track_updates_20261116.csv.gz', [trackRecord(500, {}, 'D')]) });
    expect((await item(db, 'track', '500', 'GB'))?.status).toBe('live');
    expect((await item(db, 'track', '500', 'DE'))?.status).toBe('taken_down');
    expect(await item(db, 'track', '500', 'FR')).toBeUndefined();
  });

  it('reads quoted commas, doubled quotes and line breaks, a BOM and CRLF line ends', async () => {
    const config = testConfig({ DATABASE_URL: url });
    const file = updatesFeed(dir, 'GB_track_updates_20261117.csv.gz', [
      trackRecord(600, { title: 'Rain, Again' }, 'I'),
      trackRecord(601, { title: 'She Said "Go"', version: 'Album Version (Explicit)', explicit: true }, 'I'),
      trackRecord(602, { title: 'Two\r\nLines' }, 'I'),
      trackRecord(603, { title: 'After the break' }, 'I'),
    ], { bom: true, crlf: true });
    const result = await ingest(db, config, { input: file });
    expect(result.run).toMatchObject({ rows: 4, inserted: 4, quarantined: 0 });
    expect((await item(db, 'track', '600'))?.title).toBe('Rain, Again');
    expect((await item(db, 'track', '601'))?.displayTitle).toBe('She Said "Go" (Album Version) (Explicit)');
    expect((await item(db, 'track', '602'))?.title).toBe('Two\r\nLines');
    const [line] = await query<{ line: number }>(db.orm, sql`select (change_version & 134217727)::integer as line from tracks where id = '603' and country = 'GB'`);
    expect(line?.line).toBe(6);
  });

  it('keeps in the raw record only the columns the provider added, by name', async () => {
    const config = testConfig({ DATABASE_URL: url });
    const plain = updatesFeed(dir, 'GB_track_updates_20261118.csv.gz', [trackRecord(650, {}, 'I')]);
    expect((await ingest(db, config, { input: plain })).status).toBe('applied');
    const added = writeFeed(dir, 'GB_track_updates_20261119.csv.gz', `action,${TRACK_HEADER},mood,Tempo`, [
      `${trackRecord(651, {}, 'I')},calm,"90,5"`,
    ]);
    expect((await ingest(db, config, { input: added })).status).toBe('applied');
    const raw = async (id: string) => (await query<{ raw: unknown }>(db.orm, sql`select raw from tracks where id = ${id} and country = 'GB'`))[0]?.raw;
    expect(await raw('650')).toBeNull();
    expect(await raw('651')).toEqual({ mood: 'calm', Tempo: '90,5' });
    expect((await item(db, 'track', '651'))?.title).toBe('Track 651');
  });

  it('quarantines a malformed row with its line and reason and applies the rest', async () => {
    const config = testConfig({ DATABASE_URL: url });
    const file = updatesFeed(dir, 'GB_track_updates_20261118.csv.gz', [
      trackRecord(700, {}, 'I'),
      trackRecord('7x1', {}, 'U'),
      'X,702,Bad Action,,Audio,GBTST0000702,false,1,1,77,A,88,200,17,0.99,0.99,u,0.5,2026-01-01T00:00:00Z,1',
      'U,703,Too Few Fields',
      trackRecord(704, {}, 'U').replace('2026-01-01T00:00:00Z', 'yesterday'),
      trackRecord(705, {}, 'I'),
    ]);
    const result = await ingest(db, config, { input: file });
    expect(result.run).toMatchObject({ status: 'applied', rows: 6, inserted: 2, quarantined: 4 });
    const quarantined = await listQuarantine(db.orm, result.run.id);
    expect(quarantined.map((q) => [q.line, q.field])).toEqual([[3, 'trackId'], [4, 'action'], [5, null], [6, 'streamingReleaseDate']]);
    expect(quarantined[0]?.reason).toContain('"7x1" is not a positive integer id');
    expect(quarantined[2]?.reason).toContain('has 3 fields, the header has 20');
    expect(quarantined[1]?.raw).toContain('X,702,Bad Action');
    expect((await item(db, 'track', '705'))?.status).toBe('live');
  });

  it('rejects a corrupt gzip whole, records the rejected run and applies nothing', async () => {
    const config = testConfig({ DATABASE_URL: url });
    const whole = gzipSync(Buffer.from([`action,${TRACK_HEADER}`, trackRecord(800, {}, 'I'), trackRecord(801, {}, 'I')].join('\n') + '\n'));
    const file = path.join(dir, 'GB_track_updates_20261119.csv.gz');
    writeFileSync(file, whole.subarray(0, whole.length - 12));
    const result = await ingest(db, config, { input: file });
    expect(result.status).toBe('rejected');
    expect(result.run.status).toBe('rejected');
    expect(result.run.error).toMatch(/corrupt or truncated gzip/);
    expect(await item(db, 'track', '800')).toBeUndefined();
  });

  it('reports a run that failed as failed, not applied (the test helper tells the truth)', async () => {
    const config = testConfig({ DATABASE_URL: url });
    // A sink that loses the last row of each batch: the run's records do not add up, so it fails.
    const inline = inlineSink(db);
    const lossy: BatchSink = { ...inline, submit: (job) => {
      const rows = JSON.parse(job.payload!) as unknown[];
      return inline.submit({ ...job, payload: JSON.stringify(rows.slice(0, -1)), count: rows.length - 1 });
    } };
    const file = updatesFeed(dir, 'GB_track_updates_20261121.csv.gz', [trackRecord(950, {}, 'I'), trackRecord(951, {}, 'I')]);
    const result = await ingest(db, config, { input: file }, lossy);
    expect(result.status).toBe('failed');
    expect(result.run.error).toMatch(/^changes not accounted for: /);
  });

  it('rejects a feed whose header belongs to another entity', async () => {
    const config = testConfig({ DATABASE_URL: url });
    const file = writeFeed(dir, 'GB_track_updates_20261120.csv.gz', 'action,releaseId,title,version', ['I,900,Some Release,']);
    const result = await ingest(db, config, { input: file });
    expect(result.status).toBe('rejected');
    expect(result.run.error).toContain('this is a release header (it has releaseId), not a track header');
    const [count] = await query<{ n: number }>(db.orm, sql`select count(*)::integer as n from tracks where id = '900'`);
    expect(count?.n).toBe(0);
  });
});

async function snapshot() {
  return query(db.orm, sql`select source, country, id, status, title, change_version::text as v, taken_down_at, updated_at from tracks order by source, country, id`);
}
