// Batch jobs carry their rows as one JSON text the parser encoded (`payload`). Jobs queued
// by an older version carry them as an array (`rows`): while any may still be queued, the
// batch apply and the row-by-row fallback read both, to the same end state and counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBatch, applyBatchRowByRow } from '../../src/apply/batch.js';
import type { Database } from '../../src/db/client.js';
import { getRun } from '../../src/db/run-lookups.js';
import { ingestFeed } from '../../src/ingest/ingest.js';
import { batchRowList, batchRows, type BatchJob } from '../../src/catalogue/batch.js';
import type { BatchSink } from '../../src/queue/sink.js';
import type { CsvRow } from '../../src/catalogue/rows.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { ingest, item, silentLogger, testConfig } from '../helpers/pipeline.js';

let db: Database;
let url: string;
const dir = tempDir();

beforeAll(async () => {
  url = await freshDatabase(import.meta.filename);
  db = await connect(url);
});
afterAll(async () => db.close());

/** A sink that only keeps the jobs: the test applies them itself. */
function keeper(jobs: BatchJob[]): BatchSink {
  return { async submit(job) { jobs.push(job); }, async flush() {}, async close() {} };
}

const records = [trackRecord(1, {}, 'I'), trackRecord(2, { title: 'Two, "quoted"' }, 'I'), trackRecord(1, {}, 'D'), trackRecord(3, {}, 'U')];

describe('batch job formats', () => {
  it('the parser encodes each batch once, as JSON text with its row count', async () => {
    const jobs: BatchJob[] = [];
    const config = testConfig({ DATABASE_URL: url, FEEDLINE_BATCH_SIZE: '2' });
    // ingestFeed returns once the file is parsed; nothing applies these jobs.
    await ingestFeed({ config, db, sink: keeper(jobs), logger: silentLogger }, { input: updatesFeed(dir, 'GB_track_updates_20261110.csv.gz', records), feed: {} });
    expect(jobs).toHaveLength(2);
    for (const job of jobs) {
      expect(job.rows).toBeUndefined();
      expect(typeof job.payload).toBe('string');
      expect((JSON.parse(job.payload!) as CsvRow[]).length).toBe(job.count);
    }
  });

  it('a job whose rows were not read from beside it never applies as an empty batch', () => {
    const unread = { rowsKey: '{p-apply}:apply:rows:run-1-batch-0', count: 3 };
    expect(() => batchRows(unread)).toThrow(/not read from the queue/);
    expect(() => batchRowList(unread)).toThrow(/not read from the queue/);
  });

  for (const [name, legacy, rowByRow] of [['older jobs (rows as an array)', true, false], ['the row-by-row fallback', false, true], ['both at once', true, true]] as const) {
    it(`${name} apply to the same end state and counts`, async () => {
      const country = `${legacy ? 'L' : 'P'}${rowByRow ? 'R' : 'B'}`;
      const jobs: BatchJob[] = [];
      const config = testConfig({ DATABASE_URL: url, FEEDLINE_BATCH_SIZE: '2' });
      const file = updatesFeed(dir, `${country}_track_updates_20261111.csv.gz`, records);
      const parsing = ingest(db, config, { input: file }, keeper(jobs));
      // The run waits for its batches; apply them, last first, in the format under test.
      while (jobs.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      for (const job of [...jobs].reverse()) {
        const applied = legacy ? { ...job, payload: undefined, count: undefined, rows: JSON.parse(job.payload!) as CsvRow[] } : job;
        const outcome = await (rowByRow ? applyBatchRowByRow(db, applied) : applyBatch(db, applied));
        expect(outcome.state).toBe('applied');
      }
      const result = await parsing;
      expect(result.status).toBe('applied');
      expect(await getRun(db.orm, result.run.id)).toMatchObject({ status: 'applied', rows: 4, inserted: 2, updated: 1, takenDown: 1, unchanged: 0 });
      expect((await item(db, 'track', '1', country))?.status).toBe('taken_down');
      expect((await item(db, 'track', '2', country))?.title).toBe('Two, "quoted"');
    });
  }
});
