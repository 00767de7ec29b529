// The change model every parser produces and every apply consumes: CSV rows and DDEX
// releases alike become ChangeRows, grouped into batches.

/** I insert, U update, D delete (a takedown). */
export type Action = 'I' | 'U' | 'D';

/** One change as the merge reads it; the extra keys are catalogue columns (src/parse/columns.ts). */
export interface ChangeRow {
  /** Where the record starts in its file: orders changes within a run (src/apply/version.ts). */
  line: number;
  action: Action;
  id: string;
  /** The territory, when it is not the run's country (DDEX messages carry their own). */
  country?: string;
  /** Why a takedown happened, when it is not a plain feed delete. */
  reason?: string;
  /** The record as it arrived (CSV: its fields in header order). */
  raw: unknown;
  [column: string]: unknown;
}

/** A row that could not be applied, kept with enough to find and fix it. */
export interface QuarantinedRow {
  line: number;
  column?: number;
  field?: string;
  raw: string;
  reason: string;
}

export interface ActionCounts {
  I: number;
  U: number;
  D: number;
}

export interface ParsedBatch {
  /** 0-based position of the batch in its run; with the run id, the batch's identity. */
  seq: number;
  firstLine: number;
  lastLine: number;
  rows: ChangeRow[];
  quarantined: QuarantinedRow[];
  actions: ActionCounts;
}
