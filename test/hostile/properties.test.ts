// Property-based (fast-check): feeds with random defects in the non-key fields of D rows,
// random values the database refuses (an impossible day, a number past its column, a NUL) in
// any row, and random structural defects anywhere. Whatever the defects, every D row with a valid key ends
// taken down, every record is accounted for (rows = inserted + updated + takenDown + unchanged
// + quarantined = the file's records), and a clean I/U row applies; or, when the header is
// what is broken, the whole file is rejected and the rejected-run alert fires.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../../src/db/client.js';
import { createAlerter } from '../../src/sla/alerts.js';
import { sweepOnce } from '../../src/sla/sweep.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { TRACK_HEADER, csvField, tempDir } from '../helpers/feeds.js';
import { impossibleDay, outsideInt4, withNul } from '../helpers/refused-values.js';
import { ingest, item, silentLogger, testConfig } from '../helpers/pipeline.js';

let db: Database;
let url: string;
const dir = tempDir();
let fileNo = 0;

beforeAll(async () => {
  url = await freshDatabase(import.meta.filename);
  db = await connect(url);
});
afterAll(async () => db.close());

const HEADER = `action,${TRACK_HEADER}`.split(',');
/** Field positions in a record (the action is 0, the key 1). */
const F = Object.fromEntries(HEADER.map((h, i) => [h, i])) as Record<string, number>;

/** A defect of a non-key field that a takedown must survive. */
const FIELD_DEFECTS = {
  emptyTitle: (r: string[]) => { r[F.title!] = ''; },
  badFlag: (r: string[]) => { r[F.explicitContent!] = 'maybe'; },
  badDate: (r: string[]) => { r[F.streamingReleaseDate!] = '2026-99-99'; },
  badInt: (r: string[]) => { r[F.trackNumber!] = 'four'; },
  badDecimal: (r: string[]) => { r[F.price!] = 'n/a'; },
  badReal: (r: string[]) => { r[F.popularity!] = 'high'; },
  badRef: (r: string[]) => { r[F.releaseId!] = 'R-9'; },
} as const;

/** A value of each class PostgreSQL refuses in its column though its text has the right shape. */
const REFUSED_VALUES = fc.oneof(
  impossibleDay.map((value) => ({ field: 'streamingReleaseDate', value })),
  fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 16, max: 99 })).map(([h, offset]) => ({ field: 'streamingReleaseDate', value: `2026-01-01T${String(h).padStart(2, '0')}:00:00+${offset}:00` })),
  outsideInt4.map((n) => ({ field: 'trackNumber', value: String(n) })),
  fc.bigInt({ min: 10n ** 8n, max: 10n ** 19n }).map((n) => ({ field: 'price', value: `${n}.5` })),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 39, max: 300 }), fc.boolean()).map(([m, e, tiny]) => ({ field: 'popularity', value: `${m}e${tiny ? -e - 8 : e}` })),
  withNul(/[",\r\n]/g).map((value) => ({ field: 'version', value })),
);

/** Structural defects, at a field after the key; `benign` ones leave the record whole. */
const STRUCTURAL = {
  unclosedQuote: { benign: false, apply: (r: string[], at: number) => { r[at] = `"${r[at]}`; } },
  textAfterClosingQuote: { benign: false, apply: (r: string[], at: number) => { r[at] = `"${r[at]}"x`; } },
  strayQuote: { benign: false, apply: (r: string[], at: number) => { r[at] = `a"${r[at]}`; } },
  extraField: { benign: false, apply: (r: string[]) => { r.push('extra'); } },
  missingFields: { benign: false, apply: (r: string[], at: number) => { r.length = at; } },
  invalidUtf8: { benign: false, apply: (r: string[]) => { r[F.artistAppearsAs!] = `Bad${INVALID_UTF8}Bytes`; } },
  bareCrInText: { benign: true, apply: (r: string[]) => { r[F.artistAppearsAs!] = 'Line\rFeed'; } },
  quotedLineBreak: { benign: true, apply: (r: string[]) => { r[F.title!] = csvField('first line\nsecond line'); } },
} as const;
/** Stands for two bytes that are not UTF-8, swapped in when the file is written. */
const INVALID_UTF8 = '\u0001';

const HEADER_DEFECTS = {
  duplicateColumn: (h: string[]) => h.map((name) => (name === 'licensorID' ? 'isrc' : name)),
  missingKey: (h: string[]) => h.map((name) => (name === 'trackId' ? 'trackID2' : name)),
  otherEntity: (h: string[]) => h.filter((name) => name !== 'trackId'),
} as const;

const rowArbitrary = fc.record({
  action: fc.constantFrom('I', 'U', 'D', 'D', 'd', ' D', 'D '),
  fieldDefects: fc.subarray(Object.keys(FIELD_DEFECTS) as (keyof typeof FIELD_DEFECTS)[], { maxLength: 3 }),
  refused: fc.option(REFUSED_VALUES, { freq: 3 }),
  structural: fc.option(fc.record({
    kind: fc.constantFrom(...(Object.keys(STRUCTURAL) as (keyof typeof STRUCTURAL)[])),
    at: fc.integer({ min: 2, max: HEADER.length - 1 }),
  }), { freq: 3 }),
});

const feedArbitrary = fc.record({
  rows: fc.array(rowArbitrary, { minLength: 1, maxLength: 25 }),
  crlf: fc.boolean(),
  bom: fc.boolean(),
  trailingBlankLines: fc.integer({ min: 0, max: 2 }),
  batchSize: fc.constantFrom(1, 3, 100),
  headerDefect: fc.option(fc.constantFrom(...(Object.keys(HEADER_DEFECTS) as (keyof typeof HEADER_DEFECTS)[])), { freq: 8 }),
});

type Feed = typeof feedArbitrary extends fc.Arbitrary<infer T> ? T : never;

function baseRecord(action: string, id: number): string[] {
  return [action, String(id), `Track ${id}`, '', 'Audio', `GBPRP${String(id).padStart(7, '0')}`, 'false', '1', '1', '77', 'Prop Artist', '88', '200', '17', '0.99', '0.99', `https://example.test/t/${id}`, '0.5', '2026-01-01T00:00:00Z', '1'];
}

function writeFeedFile(feed: Feed, firstId: number): string {
  const eol = feed.crlf ? '\r\n' : '\n';
  const header = feed.headerDefect ? HEADER_DEFECTS[feed.headerDefect](HEADER) : HEADER;
  const lines = [header.join(',')];
  feed.rows.forEach((row, i) => {
    const record = baseRecord(row.action, firstId + i);
    if (row.action.trim().toUpperCase() === 'D') for (const defect of row.fieldDefects) FIELD_DEFECTS[defect](record);
    if (row.refused) record[F[row.refused.field]!] = row.refused.value;
    if (row.structural) STRUCTURAL[row.structural.kind].apply(record, row.structural.at);
    lines.push(record.join(','));
  });
  const text = `${feed.bom ? '\uFEFF' : ''}${lines.join(eol)}${eol}${eol.repeat(feed.trailingBlankLines)}`;
  const bytes = Buffer.from(text, 'utf8');
  const file = path.join(dir, `GB_track_updates_20261201-${++fileNo}.csv.gz`);
  // The marker byte becomes a lone continuation byte and a stray lead byte: not UTF-8.
  writeFileSync(file, gzipSync(Buffer.from(bytes.toString('latin1').replaceAll(INVALID_UTF8, '\u00c3\u0028'), 'latin1')));
  return file;
}

describe('property: no takedown is lost to bad input, and every record is accounted for', () => {
  it('holds for random defects in D rows and random structural defects anywhere', async () => {
    let firstId = 1_000_000;
    await fc.assert(fc.asyncProperty(feedArbitrary, async (feed) => {
      firstId += 100;
      const file = writeFeedFile(feed, firstId);
      const config = testConfig({ DATABASE_URL: url, FEEDLINE_BATCH_SIZE: String(feed.batchSize) });
      const result = await ingest(db, config, { input: file, feed: { country: 'GB', date: '2026-12-01' } });
      if (feed.headerDefect) {
        expect(result.status).toBe('rejected');
        const alerter = createAlerter({ db, logger: silentLogger, webhooks: { urls: [], timeoutMs: 1000 } });
        await sweepOnce({ db, alerter, sla: config.sla, logger: silentLogger, now: () => new Date() }, { quarantineAlertShare: 1 });
        const [open] = await query<{ state: string }>(db.orm, sql`select state from alerts where subject = ${`rejected-run-${result.run.id}`}`);
        expect(open?.state).toBe('breach');
        expect(await item(db, 'track', String(firstId))).toBeUndefined();
        return;
      }
      const run = result.run;
      expect(run.status, run.error ?? '').toBe('applied');
      expect(run.rows).toBe(feed.rows.length);
      expect(run.inserted + run.updated + run.takenDown + run.unchanged + run.quarantined).toBe(run.rows);
      for (const [i, row] of feed.rows.entries()) {
        const stored = await item(db, 'track', String(firstId + i));
        if (row.action.trim().toUpperCase() === 'D') expect(stored?.status, `line ${i + 2}: ${JSON.stringify(row)}`).toBe('taken_down');
        else if (!row.refused && (!row.structural || STRUCTURAL[row.structural.kind].benign)) expect(stored?.status, `line ${i + 2}: ${JSON.stringify(row)}`).toBe('live');
        else expect(stored, `line ${i + 2}: ${JSON.stringify(row)}`).toBeUndefined();
      }
    }), { numRuns: 60 });
  }, 300_000);
});
