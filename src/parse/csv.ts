// Streams a provider CSV feed (docs/feeds.md) into typed, versioned batches. Columns are found
// by header name; unknown columns are kept in the raw record. Records are cut before their
// fields are read (src/parse/records.ts), so a structural error stays in its record: that
// record is quarantined with its line and text (or, a takedown, applied by its key) and
// parsing goes on. A file that cannot be a feed of this entity is rejected before any batch.
import type { Entity, FeedKind } from '../config/schema.js';
import { FeedRejectedError } from '../errors.js';
import { MAX_LINE } from '../catalogue/version.js';
import { ENTITY_FIELDS } from '../catalogue/columns.js';
import type { CsvLayout, ParsedBatch } from '../catalogue/rows.js';
import { checkHeader, recordStart } from './header.js';
import { splitFields } from './fields.js';
import { openFeed } from './input.js';
import { RecordSplitter } from './records.js';
import { RowReader } from './row-reader.js';

export interface CsvFeedOptions {
  /** The file as the operator named it, for messages. */
  name: string;
  path: string;
  entity: Entity;
  kind: FeedKind;
  batchSize: number;
  maxInflatedBytes: number;
  maxFieldBytes: number;
}

export interface CsvHeader {
  /** Header names as they appear in the file. */
  names: string[];
}

/** What the whole file held: its header, and its records after the header (every one is in some batch). */
export interface CsvFeedTotals {
  header: CsvHeader;
  rows: number;
}

/** Yields batches in file order; the header is checked before the first one. */
export async function* parseCsvFeed(options: CsvFeedOptions): AsyncGenerator<ParsedBatch, CsvFeedTotals> {
  const input = await openFeed(options.path, { name: options.name, maxInflatedBytes: options.maxInflatedBytes });
  // Two fields at the limit and the rest of a record fit; past that an open quote is runaway.
  const splitter = new RecordSplitter(input, { maxRecordChars: 2 * options.maxFieldBytes + 64 * 1024 });
  let reader: ReturnType<typeof headerReader> | undefined;
  let batch = newBatch(0, { action: -1, columns: {} });
  let rows = 0;
  try {
    for await (const record of splitter.records()) {
      if (!reader) {
        reader = headerReader(options, record.raw, record.broken);
        splitter.recognise(reader.startsRecord);
        batch.layout = reader.rows.layout;
        continue;
      }
      rows++;
      if (record.line > MAX_LINE) throw new FeedRejectedError(options.name, `more than ${MAX_LINE} lines; split the file`);
      const result = reader.rows.read(record);
      if (result.quarantined) batch.quarantined.push(result.quarantined);
      else {
        batch.rows.push(result.row);
        batch.actions[result.action]++;
        if (result.warnings.length > 0) batch.warnings.push(...result.warnings);
      }
      if (batch.firstLine === 0) batch.firstLine = record.line;
      batch.lastLine = record.line;
      if (batch.rows.length + batch.quarantined.length >= options.batchSize) {
        yield batch;
        batch = newBatch(batch.seq + 1, reader.rows.layout);
      }
    }
  } catch (err) {
    if (err instanceof FeedRejectedError) throw err;
    throw new FeedRejectedError(options.name, `not a readable CSV feed: ${(err as Error).message}`, { cause: err });
  } finally {
    input.destroy();
  }
  if (!reader) throw new FeedRejectedError(options.name, 'empty file: no header line');
  if (batch.rows.length + batch.quarantined.length > 0) yield batch;
  return { header: { names: [...reader.rows.header] }, rows };
}

function headerReader(options: CsvFeedOptions, raw: string, broken: string | undefined): { rows: RowReader; startsRecord: (line: string) => boolean } {
  const split = broken === undefined ? splitFields(raw) : { error: broken };
  const check = { file: options.name, entity: options.entity, kind: options.kind };
  if (split.error !== undefined) {
    // Say what the header looks like first (most such files are no feed at all), then why it does not split.
    checkHeader(raw.split(',').map((h) => h.replaceAll('"', '').trim()), check);
    throw new FeedRejectedError(options.name, `line 1: not a CSV header: ${split.error}`);
  }
  const names = split.fields.map((h) => h.trim());
  const positions = checkHeader(names, check);
  const key = ENTITY_FIELDS[options.entity].find((f) => f.column === 'id')!.header;
  return { rows: new RowReader(options, names, positions), startsRecord: recordStart(positions, key) };
}

function newBatch(seq: number, layout: CsvLayout): ParsedBatch {
  return { seq, firstLine: 0, lastLine: 0, rows: [], layout, quarantined: [], warnings: [], actions: { I: 0, U: 0, D: 0 } };
}
