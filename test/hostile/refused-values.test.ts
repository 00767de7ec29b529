// Values PostgreSQL refuses though they look right (issue 24): an impossible calendar day, a
// number past its column's range or precision, a character `text` cannot hold. A takedown
// needs only its key: in a D row such a value is a warning and the takedown applies; in an
// I/U row it quarantines the row with the reason. And when the database still refuses a
// takedown row the parser let through, the row-by-row fallback applies it by its key alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { type Run } from '../../src/db/runs.js';
import { listQuarantine } from '../../src/db/run-lookups.js';
import { inlineSink, type BatchSink } from '../../src/queue/sink.js';
import type { CsvRow } from '../../src/catalogue/rows.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { TRACK_HEADER, tempDir, trackRecord, updatesFeed, writeFeed } from '../helpers/feeds.js';
import { ingest, item, testConfig } from '../helpers/pipeline.js';

let db: Database;
let url: string;
const dir = tempDir();
let day = 0;

beforeAll(async () => {
  url = await freshDatabase(import.meta.filename);
  db = await connect(url);
});
afterAll(async () => db.close());

const FIELDS = `action,${TRACK_HEADER}`.split(',');

/** A track record with one field replaced. */
function withField(action: 'I' | 'U' | 'D', id: number, field: string, value: string): string {
  const values = trackRecord(id, {}, action).split(',');
  values[FIELDS.indexOf(field)] = value;
  return values.join(',');
}

function feedName(): string {
  day++;
  return `GB_track_updates_202610${String(day).padStart(2, '0')}.csv.gz`;
}

const REFUSED: { name: string; field: string; value: string; reason: RegExp }[] = [
  { name: 'an impossible calendar day', field: 'streamingReleaseDate', value: '2026-02-30', reason: /is not a calendar date \(2026-02 has 28 days\)/ },
  { name: 'a timestamp past 23:59', field: 'streamingReleaseDate', value: '2026-01-01T25:00:00Z', reason: /is not a time of day/ },
  { name: 'a time zone offset past 15:59', field: 'streamingReleaseDate', value: '2026-01-01T00:00:00+16:00', reason: /time zone offset out of range/ },
  { name: 'year 0', field: 'streamingReleaseDate', value: '0000-01-01', reason: /is not an ISO 8601 date/ },
  { name: 'an integer past int4', field: 'trackNumber', value: '2147483648', reason: /out of range for an integer column/ },
  { name: 'a price past numeric(12, 4)', field: 'price', value: '123456789.5', reason: /does not fit numeric\(12, 4\)/ },
  { name: 'a price that rounds past numeric(12, 4)', field: 'price', value: '99999999.99995', reason: /does not fit numeric\(12, 4\)/ },
  { name: 'a real past float4', field: 'popularity', value: '1e39', reason: /out of range for a real/ },
  { name: 'a NUL in a text field', field: 'artistAppearsAs', value: 'Bad\u0000Artist', reason: /NUL character/ },
];

describe('values the database refuses are caught by the parser', () => {
  it.each(REFUSED)('$name: a D row is taken down with a warning, an I row is quarantined with the reason', async ({ field, value, reason }) => {
    const config = testConfig({ DATABASE_URL: url });
    const id = 20_000 + day * 10;
    await ingest(db, config, { input: updatesFeed(dir, feedName(), [trackRecord(id, {}, 'I')]) });
    const result = await ingest(db, config, { input: updatesFeed(dir, feedName(), [withField('D', id, field, value), withField('I', id + 1, field, value)]) });
    expect(result.status, result.run.error ?? '').toBe('applied');
    expect(result.run).toMatchObject({ rows: 2, takenDown: 1, quarantined: 1 });
    expect((await item(db, 'track', String(id)))?.status).toBe('taken_down');
    expect(await item(db, 'track', String(id + 1))).toBeUndefined();
    const entries = await listQuarantine(db.orm, result.run.id);
    expect(entries.find((e) => e.line === 2)).toMatchObject({ field, severity: 'warning' });
    expect(entries.find((e) => e.line === 2)!.reason).toMatch(reason);
    expect(entries.find((e) => e.line === 3)).toMatchObject({ field, severity: 'quarantined' });
    expect(entries.find((e) => e.line === 3)!.reason).toMatch(reason);
  });

  it('a NUL in a column the provider added: the takedown applies, the insert is quarantined', async () => {
    const config = testConfig({ DATABASE_URL: url });
    const file = writeFeed(dir, feedName(), `action,${TRACK_HEADER},newColumn`, [`${trackRecord(20_900, {}, 'D')},a\u0000b`, `${trackRecord(20_901, {}, 'I')},a\u0000b`]);
    const result = await ingest(db, config, { input: file });
    expect(result.run).toMatchObject({ status: 'applied', takenDown: 1, quarantined: 1 });
    expect((await item(db, 'track', '20900'))?.status).toBe('taken_down');
  });

  it('as a user tried it: D,11302 with streamingReleaseDate 2026-02-30 ends taken down, with a warning', async () => {
    const config = testConfig({ DATABASE_URL: url });
    await ingest(db, config, { input: updatesFeed(dir, feedName(), [trackRecord(11302, {}, 'I')]) });
    const result = await ingest(db, config, { input: updatesFeed(dir, feedName(), [withField('D', 11302, 'streamingReleaseDate', '2026-02-30')]) });
    expect(result.run).toMatchObject({ status: 'applied', takenDown: 1, quarantined: 0 });
    expect((await item(db, 'track', '11302'))?.status).toBe('taken_down');
    const [warning] = await listQuarantine(db.orm, result.run.id);
    expect(warning).toMatchObject({ line: 2, field: 'streamingReleaseDate', severity: 'warning' });
  });
});

/** A sink that puts `value` into `field` of every row after the parser, as a rule nobody foresaw would. */
function corruptingSink(field: string, value: string): BatchSink {
  const inline = inlineSink(db);
  return { ...inline, submit: (job) => {
    const position = job.layout.columns[field]!;
    const rows = (JSON.parse(job.payload!) as CsvRow[]).map((row) => row.map((v, i) => (i === position ? value : v)));
    return inline.submit({ ...job, payload: JSON.stringify(rows) });
  } };
}

describe('values the database refuses past the parser', () => {
  it('the row-by-row fallback applies a refused takedown by its key alone, with the refusal as a warning; a refused insert is quarantined', async () => {
    const config = testConfig({ DATABASE_URL: url });
    await ingest(db, config, { input: updatesFeed(dir, feedName(), [trackRecord(21_000, { title: 'Kept' }, 'I')]) });
    const file = updatesFeed(dir, feedName(), [trackRecord(21_000, {}, 'D'), trackRecord(21_001, {}, 'I')]);
    const result = await ingest(db, config, { input: file }, corruptingSink('streaming_release_date', '2026-02-30'));
    const run: Run = result.run;
    expect(run.status, run.error ?? '').toBe('applied');
    expect(run).toMatchObject({ takenDown: 1, quarantined: 1, inserted: 0 });
    const stored = await item(db, 'track', '21000');
    expect(stored?.status).toBe('taken_down');
    expect(stored?.title).toBe('Kept');
    const entries = await listQuarantine(db.orm, run.id);
    expect(entries.find((e) => e.line === 2)).toMatchObject({ severity: 'warning' });
    expect(entries.find((e) => e.line === 2)!.reason).toMatch(/refused by the database: date\/time field value out of range.*takedown applied by its key alone/);
    expect(entries.find((e) => e.line === 3)).toMatchObject({ severity: 'quarantined' });
  });
});
