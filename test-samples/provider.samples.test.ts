// The public provider samples in ../shared/samples (run by `npm run check:samples`, not by
// `npm test`: a user's clone has no ../shared beside it).
import path from 'node:path';
import { copyFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/client.js';
import { connect, freshDatabase } from '../test/helpers/db.js';
import { ROOT } from '../test/helpers/cli.js';
import { tempDir } from '../test/helpers/feeds.js';
import { ingest, item, testConfig } from '../test/helpers/pipeline.js';

const SAMPLES = path.resolve(ROOT, '../shared/samples/7digital');
let db: Database;
let url: string;

beforeAll(async () => {
  url = await freshDatabase(import.meta.filename);
  db = await connect(url);
});
afterAll(async () => db.close());

describe('public 7digital samples', () => {
  it('the full sample (999 records) applies every row', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'GB_track_full_20261116.csv.gz');
    copyFileSync(path.join(SAMPLES, 'track-full-1000.csv.gz'), file);
    const result = await ingest(db, testConfig({ DATABASE_URL: url, FEEDLINE_BATCH_SIZE: '300' }), { input: file });
    expect(result.run).toMatchObject({ status: 'applied', rows: 999, quarantined: 0 });
    expect(result.run.inserted).toBe(999);
  });

  it('the updates sample ends with track 147894 taken down (I then D in one file)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'GB_track_updates_20261120.csv.gz');
    copyFileSync(path.join(SAMPLES, 'track-updates-1000.csv.gz'), file);
    const result = await ingest(db, testConfig({ DATABASE_URL: url, FEEDLINE_BATCH_SIZE: '250' }), { input: file });
    expect(result.run).toMatchObject({ status: 'applied', rows: 1001, quarantined: 0 });
    const track = await item(db, 'track', '147894');
    expect(track?.status).toBe('taken_down');
    expect((await item(db, 'track', '673'))?.displayTitle).toBe('Ride Wit Me (Album Version) (Explicit)');
  });
});
