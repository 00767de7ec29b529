// Every record accounted for: a run whose counts do not add up to its rows fails loudly
// (status `failed`, the sums in its error, the cursor not moved) instead of reporting
// `applied`, and the SLA sweep raises a breach for it. And a run's possible takedowns raise
// a breach from the sweep too, whatever the quarantined share.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBatch } from '../../src/apply/batch.js';
import { versionBase } from '../../src/catalogue/version.js';
import { query, type Database } from '../../src/db/client.js';
import { createRuns, finishParsing, registerBatch, type Run } from '../../src/db/runs.js';
import { getRun } from '../../src/db/run-lookups.js';
import { createAlerter } from '../../src/sla/alerts.js';
import { sweepOnce } from '../../src/sla/sweep.js';
import type { CsvRow, ParsedBatch } from '../../src/catalogue/rows.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { silentLogger, testConfig } from '../helpers/pipeline.js';

let db: Database;

beforeAll(async () => {
  db = await connect(await freshDatabase(import.meta.filename));
});
afterAll(async () => db.close());

async function registeredRun(day: string): Promise<Run> {
  const [created] = await createRuns(db.orm, [{
    source: '7digital', entity: 'artist', kind: 'updates', country: 'GB', feedDate: day, publishedAt: new Date(`${day}T06:00:00Z`),
    fileName: `GB_artist_updates_${day.replaceAll('-', '')}.csv.gz`, fileSha256: `sha-${day}`, fileBytes: 10, archivePath: '/nowhere',
    forced: false, versionBase: versionBase(new Date(`${day}T00:00:00Z`), 'updates'), batchSize: 100,
  }]);
  return created!.run!;
}

const artistBatch = (rows: CsvRow[], quarantined: ParsedBatch['quarantined'] = []): ParsedBatch => ({
  seq: 0, firstLine: 2, lastLine: 2 + rows.length, rows, quarantined, warnings: [],
  layout: { action: 2, columns: { id: 3, name: 4 } },
  actions: { I: rows.length, U: 0, D: 0 },
});

/** Registers the batch, ends the parse claiming `rows` records, and applies the batch. */
async function parseAndApply(run: Run, batch: ParsedBatch, rows: number): Promise<Run | undefined> {
  await registerBatch(db.orm, run.id, batch);
  await finishParsing(db.orm, run.id, { rows, batches: 1 });
  await applyBatch(db, { runId: run.id, entity: 'artist', source: '7digital', country: 'GB', versionBase: run.versionBase, seq: 0, layout: batch.layout, rows: batch.rows });
  return getRun(db.orm, run.id);
}

async function sweep() {
  const alerter = createAlerter({ db, logger: silentLogger, webhooks: { urls: [], timeoutMs: 1000 } });
  await sweepOnce({ db, alerter, sla: testConfig().sla, logger: silentLogger, now: () => new Date() }, { quarantineAlertShare: 1 });
}

async function alertState(subject: string): Promise<string | undefined> {
  const [row] = await query<{ state: string }>(db.orm, sql`select state from alerts where subject = ${subject}`);
  return row?.state;
}

describe('a run is applied only when every record is accounted for', () => {
  it('counts that add up: applied', async () => {
    const run = await registeredRun('2026-11-01');
    expect(await parseAndApply(run, artistBatch([[2, null, 'I', '1', 'One']]), 1)).toMatchObject({ status: 'applied', rows: 1, inserted: 1, error: null });
  });

  it('a record lost between the parse and the apply: failed, with the sums, and a breach from the sweep', async () => {
    const run = await registeredRun('2026-11-02');
    // The parser counted three records, but only one reached a batch.
    const failed = await parseAndApply(run, artistBatch([[2, null, 'I', '2', 'Two']]), 3);
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toBe(`changes not accounted for: run ${run.id} states 3 rows, but 1 inserted + 0 updated + 0 taken down + 0 unchanged + 0 quarantined = 1`);
    const [cursor] = await query<{ n: number }>(db.orm, sql`select count(*)::integer as n from feed_cursors where last_applied_date = '2026-11-02'`);
    expect(cursor?.n).toBe(0);
    await sweep();
    expect(await alertState(`counts-run-${run.id}`)).toBe('breach');
  });

  it('a possible takedown in quarantine: a breach from the sweep even at a tiny quarantined share', async () => {
    const run = await registeredRun('2026-11-03');
    const rows: CsvRow[] = Array.from({ length: 50 }, (_, i) => [3 + i, null, 'I', String(100 + i), `Artist ${i}`]);
    const batch = artistBatch(rows, [{ line: 2, raw: 'Q,5,x', reason: 'unknown action "Q"', severity: 'possible_takedown' }]);
    expect(await parseAndApply(run, batch, 51)).toMatchObject({ status: 'applied', rows: 51, inserted: 50, quarantined: 1 });
    await sweep();
    expect(await alertState(`possible-takedown-run-${run.id}`)).toBe('breach');
    expect(await alertState(`quarantine-run-${run.id}`)).toBeUndefined();
  });
});
