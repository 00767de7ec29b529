// Applies one batch in one transaction: the version-guarded merge, the takedown audit and
// the batch's bookkeeping commit together or not at all. A batch already applied is a
// no-op, so a job that runs twice, on any worker, in any order, changes nothing more.
import type { Database } from '../db/client.js';
import { mergeBatch } from '../db/catalogue.js';
import { lockBatch, recordBatchApplied } from '../db/runs.js';
import type { BatchJob } from '../queue/jobs.js';

export type BatchOutcome =
  | { state: 'applied'; inserted: number; updated: number; takenDown: number; unchanged: number; runCompleted: boolean }
  | { state: 'already_applied' };

export async function applyBatch(db: Database, job: BatchJob): Promise<BatchOutcome> {
  return db.orm.transaction(async (tx) => {
    const batch = await lockBatch(tx, job.runId, job.seq);
    if (!batch) throw new Error(`batch ${job.runId}/${job.seq} is not registered`);
    if (batch.status === 'applied') return { state: 'already_applied' };
    const counts = await mergeBatch(tx, job, job.rows);
    // Rows that lost to a newer stored version, or to a later line in this batch.
    const unchanged = job.rows.length - counts.inserted - counts.updated - counts.takenDown;
    const runCompleted = await recordBatchApplied(tx, job.runId, job.seq, { ...counts, unchanged });
    return { state: 'applied', ...counts, unchanged, runCompleted };
  });
}
