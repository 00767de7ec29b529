// What the CSV parser produces and the batch apply consumes.

/** I insert, U update, D delete (a takedown). */
export type Action = 'I' | 'U' | 'D';

/**
 * One CSV record as the merge reads it: its line, its display title, then the record's
 * fields exactly as they arrived (the raw record). Validated here, typed by the merge's
 * casts: one compact array per row keeps batches small in Redis and cheap to build.
 */
export type CsvRow = [line: number, displayTitle: string | null, ...fields: string[]];

/** Where each catalogue column sits in a CsvRow (-1: not in this file's header). */
export interface CsvLayout {
  /** Position of the `action` field; -1 in a full feed, whose rows are all inserts. */
  action: number;
  columns: Record<string, number>;
  /**
   * Header names of the columns no catalogue column holds (ones the provider added), with
   * their positions: the raw record keeps only these. Absent in jobs queued before it existed.
   */
  extras?: Record<string, number>;
}

/** First field's position in a CsvRow: after the line and the display title. */
export const CSV_ROW_FIELDS = 2;

/**
 * A row that could not be applied, kept with enough to find and fix it; or, as a warning, a
 * defect of a row that applied anyway (a takedown's unreadable date).
 */
export interface QuarantinedRow {
  line: number;
  column?: number;
  field?: string;
  raw: string;
  reason: string;
  /**
   * `quarantined` (the default): not applied. `possible_takedown`: not applied, and it may be
   * a takedown (its action is unreadable, or a D with an invalid key), so it raises an alert.
   * `warning`: applied; the defect is on record.
   */
  severity?: QuarantineSeverity;
}

export type QuarantineSeverity = 'quarantined' | 'possible_takedown' | 'warning';

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
  rows: CsvRow[];
  layout: CsvLayout;
  quarantined: QuarantinedRow[];
  /** Defects of rows in `rows`, applied anyway (takedown first). */
  warnings: QuarantinedRow[];
  actions: ActionCounts;
}
