// The counts rule of every run (docs/design.md invariant 10), checked the same way for each
// kind: a finished run's counts add up, finishRuns refuses counts that do not, and the
// database's feed_runs_counts_add_up check refuses an applied run changed to break them.
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { accountedFor } from '../../src/catalogue/run-counts.js';
import type { Database } from '../../src/db/client.js';
import { getRun } from '../../src/db/run-lookups.js';
import { finishRuns, type Run } from '../../src/db/runs.js';

/** The run as stored, applied, with rows equal to the changes accounted for. */
export async function expectCountsAddUp(db: Database, runId: number): Promise<Run> {
  const run = (await getRun(db.orm, runId))!;
  expect(run.status).toBe('applied');
  expect(run.rows).toBe(accountedFor(run));
  return run;
}

/** finishRuns refuses the run's own counts with one change more stated than accounted for, and writes nothing. */
export async function expectUnaccountedFinishRefused(db: Database, run: Run): Promise<void> {
  const counts = { rows: run.rows + 1, inserted: run.inserted, updated: run.updated, takenDown: run.takenDown, unchanged: run.unchanged, quarantined: run.quarantined };
  await expect(finishRuns(db.orm, [{ runId: run.id, counts }])).rejects.toThrow(/^changes not accounted for: /);
  expect((await getRun(db.orm, run.id))!.rows).toBe(run.rows);
}

/** A direct update that breaks an applied run's counts is refused by the database. */
export async function expectDatabaseRefusesBrokenCounts(db: Database, runId: number): Promise<void> {
  await expect(db.orm.execute(sql`update feed_runs set rows = rows + 1 where id = ${runId}`)).rejects.toThrow();
  await expect(db.orm.execute(sql`update feed_runs set rows = rows + 1 where id = ${runId}`).catch((err: unknown) => {
    throw new Error(String((err as { cause?: { constraint_name?: string } }).cause?.constraint_name ?? err));
  })).rejects.toThrow('feed_runs_counts_add_up');
}
