// Job payloads and their deterministic ids. A batch's id is its run and position, so the
// same batch enqueued twice (a retry, a recovery, a second operator) is one job.
import type { MergeTarget } from '../db/catalogue.js';
import type { CsvLayout, CsvRow } from '../parse/rows.js';

/** One batch of changes for one run: what an apply worker receives. */
export interface BatchJob extends MergeTarget {
  seq: number;
  layout: CsvLayout;
  rows: CsvRow[];
}

/** BullMQ job ids may not contain `:`. */
export function batchJobId(runId: number, seq: number): string {
  return `run-${runId}-batch-${seq}`;
}
