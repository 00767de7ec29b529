// Applies one batch in one transaction: the version-guarded merge, the takedown audit and
// the batch's bookkeeping commit together or not at all. A batch already applied is a
// no-op, so a job that runs twice, on any worker, in any order, changes nothing more.
import { asynchronousCommit, type Database, type Orm } from '../db/client.js';
import { mergeBatch, type MergeCounts } from '../db/catalogue.js';
import { addQuarantine, lockBatch, recordBatchApplied, type Run } from '../db/runs.js';
import { coerceError, UnrecoverableBatchError } from '../errors.js';
import { CSV_ROW_FIELDS, type CsvLayout, type CsvRow, type QuarantinedRow } from '../catalogue/rows.js';
import { batchRowList, batchRows, type BatchJob } from '../catalogue/batch.js';

type Executor = Pick<Orm, 'execute'>;
type Transaction = Parameters<Parameters<Orm['transaction']>[0]>[0];

export type BatchOutcome =
  | { state: 'applied'; inserted: number; updated: number; takenDown: number; unchanged: number; quarantined: number;
    /** The run, when this batch was its last and the run is applied. */
    finished: Run | undefined }
  | { state: 'already_applied' };

export async function applyBatch(db: Database, job: BatchJob): Promise<BatchOutcome> {
  return db.orm.transaction(async (tx) => {
    // The commit need not wait for its WAL flush. A crash of the server can lose only the
    // last few hundred milliseconds of commits, each whole: its merge, audit rows and the
    // ledger's "batch applied" together (never a catalogue change without its bookkeeping),
    // and recovery re-applies a batch the ledger does not hold as applied (docs/design.md
    // invariant 1). A clean shutdown or restart flushes everything first.
    await asynchronousCommit(tx);
    const batch = await lockBatch(tx, job.runId, job.seq);
    if (!batch) throw new UnrecoverableBatchError(`batch ${job.runId}/${job.seq} is not registered`);
    if (batch.status === 'applied') return { state: 'already_applied' };
    const rows = batchRows(job);
    const { inserted, updated, takenDown } = await mergeBatch(tx, job, job.layout, rows);
    // Rows that lost to a newer version written by another run.
    const unchanged = rows.count - inserted - updated - takenDown;
    const finished = await recordBatchApplied(tx, job.runId, job.seq, { inserted, updated, takenDown, unchanged, quarantined: 0 });
    return { state: 'applied', inserted, updated, takenDown, unchanged, quarantined: 0, finished };
  });
}

/**
 * The last resort for a batch that failed every attempt (a row the validator let through
 * but the database refuses): each row is merged on its own savepoint, a row that fails is
 * quarantined with the database's reason, and the good rows still apply. A takedown the
 * database refuses is applied again with its key alone (takedown first, README "Bad input"):
 * the refused values are a warning on the row, and only a takedown refused even so is
 * quarantined, as a possible takedown, which alerts.
 */
export async function applyBatchRowByRow(db: Database, job: BatchJob): Promise<BatchOutcome> {
  return db.orm.transaction(async (tx) => {
    const batch = await lockBatch(tx, job.runId, job.seq);
    if (!batch) throw new UnrecoverableBatchError(`batch ${job.runId}/${job.seq} is not registered`);
    if (batch.status === 'applied') return { state: 'already_applied' };
    const totals = { inserted: 0, updated: 0, takenDown: 0 };
    const refused: QuarantinedRow[] = [];
    const rows = batchRowList(job);
    const merge = (executor: Executor, row: CsvRow) => mergeBatch(executor, job, job.layout, { json: JSON.stringify([row]), count: 1 });
    for (const row of rows) {
      let counts: MergeCounts | undefined;
      try {
        counts = await tx.transaction((savepoint) => merge(savepoint, row));
      } catch (err) {
        const entry = { line: row[0], raw: JSON.stringify(row.slice(CSV_ROW_FIELDS)), reason: `refused by the database: ${coerceError(err).message}` };
        counts = isTakedown(job.layout, row) ? await takedownByKey(tx, job, row, entry, merge) : undefined;
        if (!counts) refused.push(isTakedown(job.layout, row) ? { ...entry, severity: 'possible_takedown' } : entry);
      }
      if (!counts) continue;
      totals.inserted += counts.inserted;
      totals.updated += counts.updated;
      totals.takenDown += counts.takenDown;
    }
    await addQuarantine(tx, job.runId, refused);
    const unchanged = rows.length - refused.length - totals.inserted - totals.updated - totals.takenDown;
    const finished = await recordBatchApplied(tx, job.runId, job.seq, { ...totals, unchanged, quarantined: refused.length });
    return { state: 'applied', ...totals, unchanged, quarantined: refused.length, finished };
  });
}

function isTakedown(layout: CsvLayout, row: CsvRow): boolean {
  return layout.action >= 0 && row[layout.action] === 'D';
}

/**
 * A refused takedown again, with its key alone: every other field empty, so the stored values
 * stay (src/db/catalogue.ts). The warning goes on record first, so the takedown's audit row
 * carries it. Undefined when the database refuses even that.
 */
async function takedownByKey(tx: Transaction, job: BatchJob, row: CsvRow, refused: QuarantinedRow,
  merge: (executor: Executor, row: CsvRow) => Promise<MergeCounts>): Promise<MergeCounts | undefined> {
  const keep = new Set([0, job.layout.action, job.layout.columns.id]);
  const keyOnly = row.map((value, i) => (keep.has(i) ? value : i === 1 ? null : '')) as unknown as CsvRow;
  const warning: QuarantinedRow = { ...refused, reason: `${refused.reason}; its values were ignored and the takedown applied by its key alone`, severity: 'warning' };
  try {
    return await tx.transaction(async (savepoint) => {
      await addQuarantine(savepoint, job.runId, [warning]);
      return merge(savepoint, keyOnly);
    });
  } catch {
    return undefined;
  }
}
