// Streams a provider CSV feed (FEEDS.md) into typed, versioned batches. Columns are
// found by header name; unknown columns are kept in the raw record. A bad row is
// quarantined with its line and reason and parsing goes on; a file that cannot be a feed
// of this entity (wrong header, not CSV) is rejected before any batch is produced.
import { parse } from 'csv-parse';
import type { Entity, FeedKind } from '../config/schema.js';
import { FeedRejectedError } from '../errors.js';
import { displayTitle } from '../apply/display-title.js';
import { MAX_LINE } from '../apply/version.js';
import { ENTITY_FIELDS, ENTITY_TABLE, type FieldSpec, type FieldType } from './columns.js';
import { openFeed } from './input.js';
import { CSV_ROW_FIELDS, type Action, type CsvLayout, type CsvRow, type ParsedBatch, type QuarantinedRow } from './rows.js';

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

const ACTIONS: ReadonlySet<string> = new Set(['I', 'U', 'D']);

/** Yields batches in file order; the header is checked before the first one. */
export async function* parseCsvFeed(options: CsvFeedOptions): AsyncGenerator<ParsedBatch, { header: CsvHeader; rows: number }> {
  const input = await openFeed(options.path, { name: options.name, maxInflatedBytes: options.maxInflatedBytes });
  const skipped: QuarantinedRow[] = [];
  const parser = input.pipe(parse({
    bom: true,
    relax_column_count: true,
    raw: true,
    skip_records_with_error: true,
    on_skip: (err) => {
      // Structural errors inside one record (a stray quote): that record alone is quarantined. `err.lines` is where the parser stood when it gave up.
      const lines = (err as { lines?: number } | undefined)?.lines ?? 0;
      skipped.push({ line: lines, raw: '', reason: err?.message ?? 'unparseable CSV record' });
    },
  }));
  input.on('error', (err) => parser.destroy(err));

  let reader: RowReader | undefined;
  let batch = newBatch(0, { action: -1, columns: {} });
  let rows = 0;
  // Physical line numbers counted from the raw text: csv-parse's own count drifts on CRLF
  // inside quoted fields, and the line is part of every row's version.
  let nextLine = 1;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; raw: string }>) {
      const { record } = item;
      // csv-parse includes the record's line end in `raw` for some line endings, not others.
      const raw = item.raw.replace(/\r?\n$|\r$/, '');
      const startLine = nextLine;
      nextLine += countNewlines(raw) + 1;
      if (record.length === 1 && record[0] === '') continue;
      if (!reader) {
        reader = new RowReader(options, record);
        batch.layout = reader.layout;
        continue;
      }
      if (skipped.length > 0) batch.quarantined.push(...skipped.splice(0));
      rows++;
      if (startLine > MAX_LINE) throw new FeedRejectedError(options.name, `more than ${MAX_LINE} lines; split the file`);
      const result = reader.read(record, raw, startLine);
      if (result.quarantined) batch.quarantined.push(result.quarantined);
      else {
        batch.rows.push(result.row);
        batch.actions[result.action]++;
      }
      if (batch.firstLine === 0) batch.firstLine = startLine;
      batch.lastLine = startLine;
      if (batch.rows.length + batch.quarantined.length >= options.batchSize) {
        yield batch;
        batch = newBatch(batch.seq + 1, reader.layout);
      }
    }
  } catch (err) {
    if (err instanceof FeedRejectedError) throw err;
    throw new FeedRejectedError(options.name, `not a readable CSV feed: ${(err as Error).message}`, { cause: err });
  }
  if (!reader) throw new FeedRejectedError(options.name, 'empty file: no header line');
  rows += skipped.length;
  batch.quarantined.push(...skipped);
  if (batch.rows.length + batch.quarantined.length > 0) yield batch;
  return { header: { names: reader.header }, rows };
}

function newBatch(seq: number, layout: CsvLayout): ParsedBatch {
  return { seq, firstLine: 0, lastLine: 0, rows: [], layout, quarantined: [], actions: { I: 0, U: 0, D: 0 } };
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Checks the header once, then validates each record by it. */
class RowReader {
  readonly header: string[];
  readonly layout: CsvLayout;
  private readonly fields: { spec: FieldSpec; index: number }[];
  private readonly actionIndex: number;
  private readonly titled: boolean;
  private readonly titleIndex: number;
  private readonly versionIndex: number;
  private readonly explicitIndex: number;

  constructor(private readonly options: CsvFeedOptions, header: string[]) {
    this.header = header.map((h) => h.trim());
    const positions = new Map(this.header.map((h, i) => [h.toLowerCase(), i]));
    const specs = ENTITY_FIELDS[options.entity];
    const missing = specs.filter((s) => s.required && !positions.has(s.header.toLowerCase())).map((s) => s.header);
    if (missing.length > 0) {
      throw new FeedRejectedError(options.name, `line 1: header lacks required ${options.entity} column(s) ${missing.join(', ')}; is this a ${options.entity} feed? (header: ${printable(this.header.join(','), 120)})`);
    }
    this.actionIndex = positions.get('action') ?? -1;
    if (options.kind === 'updates' && this.actionIndex !== 0) {
      throw new FeedRejectedError(options.name, 'line 1: an updates feed must start with an `action` column');
    }
    if (options.kind === 'full' && this.actionIndex !== -1) {
      throw new FeedRejectedError(options.name, 'line 1: a full feed has no `action` column; is this an updates feed?');
    }
    this.fields = specs.filter((s) => positions.has(s.header.toLowerCase())).map((spec) => ({ spec, index: positions.get(spec.header.toLowerCase())! }));
    this.titled = ENTITY_TABLE[options.entity].titled;
    this.titleIndex = positions.get('title') ?? -1;
    this.versionIndex = positions.get('version') ?? -1;
    this.explicitIndex = positions.get('explicitcontent') ?? -1;
    this.layout = {
      action: this.actionIndex < 0 ? -1 : this.actionIndex + CSV_ROW_FIELDS,
      columns: Object.fromEntries(this.fields.map(({ spec, index }) => [spec.column, index + CSV_ROW_FIELDS])),
    };
  }

  read(record: string[], raw: string, line: number): { row: CsvRow; action: Action; quarantined?: never } | { quarantined: QuarantinedRow } {
    const reject = (reason: string, column?: number) => ({
      quarantined: { line, raw: printable(raw, MAX_QUARANTINED_RAW), reason, ...(column !== undefined ? { column: column + 1, field: this.header[column] } : {}) },
    });
    if (raw.length > this.options.maxFieldBytes) {
      const longest = record.reduce((best, value, i) => (value.length > (record[best]?.length ?? 0) ? i : best), 0);
      const length = record[longest]?.length ?? 0;
      if (length > this.options.maxFieldBytes) {
        return reject(`${this.header[longest] ?? `field ${longest + 1}`} is ${length} characters, over the ${this.options.maxFieldBytes}-byte limit (FEEDLINE_MAX_FIELD_BYTES)`, longest);
      }
    }
    if (record.length !== this.header.length) {
      return reject(`has ${record.length} fields, the header has ${this.header.length}`);
    }
    if (raw.includes('\uFFFD')) return reject('is not valid UTF-8');
    let action: Action = 'I';
    if (this.actionIndex === 0) {
      const letter = record[0]!;
      if (!ACTIONS.has(letter)) return reject(`unknown action ${JSON.stringify(letter.slice(0, 20))} (expected I, U or D)`, 0);
      action = letter as Action;
    }
    for (const { spec, index } of this.fields) {
      const text = record[index]!;
      if (text === '') {
        if (spec.required) return reject(`${spec.header} is empty`, index);
      } else if (!isValid(spec.type, text)) {
        return reject(`${spec.header} ${JSON.stringify(text.slice(0, 40))} is not ${TYPE_NAMES[spec.type]}`, index);
      }
    }
    const title = this.titled ? displayTitle(record[this.titleIndex] ?? '', record[this.versionIndex], record[this.explicitIndex] === 'true') : null;
    // The record array becomes the row: no copy per row.
    const row = record as unknown as CsvRow;
    (row as unknown[]).unshift(line, title);
    return { row, action };
  }
}

/** Quarantined text is kept up to this length: enough to find the row, not a copy of a huge one. */
const MAX_QUARANTINED_RAW = 10_000;

/** Text safe to store and print: NULs and other control characters escaped, length bounded. */
function printable(text: string, max: number): string {
  const shown = text.length > max ? `${text.slice(0, max)}...` : text;
  return shown.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const TYPE_NAMES: Record<FieldType, string> = {
  id: 'a positive integer id', ref: 'a positive integer id', text: 'text', int: 'an integer', bool: 'true or false',
  decimal: 'a decimal number', real: 'a number', timestamp: 'an ISO 8601 date', list: 'a list',
};
const POSITIVE_INT = /^[1-9][0-9]{0,18}$/;
const INTEGER = /^-?[0-9]{1,9}$/;
const DECIMAL = /^-?[0-9]{1,20}(\.[0-9]{1,10})?$/;
const REAL = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Whether a non-empty field can be cast to its column's type: the merge casts in SQL, so
 * anything that passes here must cast there (a row PostgreSQL still refuses is applied on
 * its own and quarantined, src/apply/batch.ts).
 */
function isValid(type: FieldType, text: string): boolean {
  switch (type) {
    case 'text':
    case 'list': return true;
    case 'id':
    case 'ref': return POSITIVE_INT.test(text);
    case 'int': return INTEGER.test(text);
    case 'bool': return text === 'true' || text === 'false';
    case 'decimal': return DECIMAL.test(text);
    case 'real': return REAL.test(text) && Number.isFinite(Number(text));
    case 'timestamp': return ISO_DATE.test(text) && !Number.isNaN(Date.parse(text));
  }
}
