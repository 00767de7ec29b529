// One batch of changes as it travels from the parser (or a recovery) to the merge: what an
// apply worker receives, whatever carries it (a BullMQ job, an inline sink).
import type { Entity } from '../config/schema.js';
import type { CsvLayout, CsvRow } from './rows.js';

/** Where a batch merges: its run, table and territory, and the run's version base. */
export interface MergeTarget {
  runId: number;
  entity: Entity;
  source: string;
  country: string;
  /** Decimal text of the run's version base (src/catalogue/version.ts). */
  versionBase: string;
}

/** One batch of changes for one run: what an apply worker receives. */
export interface BatchJob extends MergeTarget {
  seq: number;
  layout: CsvLayout;
  /**
   * The rows as one JSON array text, encoded once by the parser: Redis keeps it as a plain
   * string beside the job (`rowsKey`) and the merge takes it as its parameter, with no
   * decode in between.
   */
  payload?: string;
  /** How many rows `payload` holds. */
  count?: number;
  /** Where the queue keeps `payload` beside the job instead of in it (src/queue/payloads.ts). */
  rowsKey?: string;
  /** The rows as an array: the format of jobs queued before `payload`, still read. */
  rows?: CsvRow[];
}

/** A batch's rows ready for the merge, whichever format its job has. */
export interface BatchRows {
  json: string;
  count: number;
}

type RowsOf = Pick<BatchJob, 'payload' | 'count' | 'rows' | 'rowsKey'>;

export function batchRows(job: RowsOf): BatchRows {
  if (job.payload !== undefined) return { json: job.payload, count: job.count ?? (JSON.parse(job.payload) as unknown[]).length };
  const rows = arrayRows(job);
  return { json: JSON.stringify(rows), count: rows.length };
}

/** Each row on its own (the row-by-row fallback), whichever format the job has. */
export function batchRowList(job: RowsOf): CsvRow[] {
  return job.payload !== undefined ? (JSON.parse(job.payload) as CsvRow[]) : arrayRows(job);
}

/** A job whose rows are still beside it in Redis must never apply as an empty batch. */
function arrayRows(job: RowsOf): CsvRow[] {
  if (job.rowsKey !== undefined) throw new Error(`batch rows at ${job.rowsKey} were not read from the queue`);
  return job.rows ?? [];
}
