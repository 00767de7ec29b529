// Validates each record of a CSV feed by its checked header. Takedown first (README "Bad
// input"): a D row needs only a valid key; every other defect of it is a warning and the
// takedown applies. A row that might be a takedown but cannot be applied (its action is
// unreadable, or its key is) is quarantined as a possible takedown, which raises an alert.
import type { Entity, FeedKind } from '../config/schema.js';
import { displayTitle } from '../catalogue/display-title.js';
import { ENTITY_FIELDS, ENTITY_TABLE, type FieldSpec } from '../catalogue/columns.js';
import { CSV_ROW_FIELDS, type Action, type CsvLayout, type CsvRow, type QuarantinedRow } from '../catalogue/rows.js';
import type { QuarantineSeverity } from '../catalogue/statuses.js';
import { MAX_QUARANTINED_RAW, printable, quoted } from './excerpt.js';
import { leadingFields, splitFields } from './fields.js';
import type { SplitRecord } from './records.js';
import { textProblem } from '../catalogue/storable.js';
import { isValid, TYPE_NAMES, valueProblem } from './values.js';

export interface RowReaderOptions {
  entity: Entity;
  kind: FeedKind;
  maxFieldBytes: number;
}

export type ReadResult =
  | { row: CsvRow; action: Action; warnings: QuarantinedRow[]; quarantined?: never }
  | { quarantined: QuarantinedRow; row?: never };

const ACTIONS: ReadonlySet<string> = new Set(['I', 'U', 'D']);

export class RowReader {
  readonly layout: CsvLayout;
  private readonly fields: { spec: FieldSpec; index: number }[];
  private readonly key: { spec: FieldSpec; index: number };
  private readonly actionIndex: number;
  private readonly titled: boolean;
  private readonly titleIndex: number;
  private readonly versionIndex: number;
  private readonly explicitIndex: number;
  /** Columns the provider added: kept in the raw record, so they must be storable text too. */
  private readonly extras: { header: string; index: number }[];

  constructor(private readonly options: RowReaderOptions, readonly header: readonly string[], positions: ReadonlyMap<string, number>) {
    const specs = ENTITY_FIELDS[options.entity];
    this.fields = specs.filter((s) => positions.has(s.header.toLowerCase())).map((spec) => ({ spec, index: positions.get(spec.header.toLowerCase())! }));
    this.key = this.fields.find((f) => f.spec.column === 'id')!;
    this.actionIndex = positions.get('action') ?? -1;
    this.titled = ENTITY_TABLE[options.entity].titled;
    this.titleIndex = positions.get('title') ?? -1;
    this.versionIndex = positions.get('version') ?? -1;
    this.explicitIndex = positions.get('explicitcontent') ?? -1;
    this.extras = header.flatMap((name, index) => (index === this.actionIndex || this.fields.some((f) => f.index === index) ? [] : [{ header: name, index }]));
    this.layout = {
      action: this.actionIndex < 0 ? -1 : this.actionIndex + CSV_ROW_FIELDS,
      columns: Object.fromEntries(this.fields.map(({ spec, index }) => [spec.column, index + CSV_ROW_FIELDS])),
      extras: Object.fromEntries(header.flatMap((name, index) => (
        index === this.actionIndex || this.fields.some((f) => f.index === index) ? [] : [[name, index + CSV_ROW_FIELDS]]))),
    };
  }

  read(record: SplitRecord): ReadResult {
    const { line, raw } = record;
    const entry = (reason: string, column?: number, severity?: QuarantineSeverity): QuarantinedRow => ({
      line, raw: printable(raw, MAX_QUARANTINED_RAW), reason,
      ...(column !== undefined ? { column: column + 1, field: this.header[column] } : {}),
      ...(severity ? { severity } : {}),
    });
    const split = record.broken === undefined ? splitFields(raw) : { error: record.broken };
    const fields = split.fields ?? leadingFields(raw, Math.max(this.actionIndex, this.key.index) + 1);
    // Structural defects: the record's fields cannot all be trusted, but its leading ones may.
    let structural = split.error;
    if (structural === undefined && fields!.length !== this.header.length) structural = `has ${fields!.length} fields, the header has ${this.header.length}`;
    if (structural === undefined && raw.includes('\uFFFD')) structural = 'is not valid UTF-8';

    let action: Action = 'I';
    const warnings: QuarantinedRow[] = [];
    if (this.actionIndex >= 0) {
      const text = fields?.[this.actionIndex];
      const letter = text?.trim().toUpperCase() ?? '';
      if (!ACTIONS.has(letter)) {
        const why = text === undefined ? `${structural}; its action cannot be read` : `unknown action ${quoted(text, 20)} (expected I, U or D)`;
        return { quarantined: entry(`${why}; it may be a takedown that did not apply`, this.actionIndex, 'possible_takedown') };
      }
      action = letter as Action;
      if (letter !== text) warnings.push(entry(`action ${quoted(text!, 20)} read as ${letter}`, this.actionIndex, 'warning'));
    }
    if (action === 'D') return this.takedown(line, fields, structural, warnings, entry);
    if (structural !== undefined) return { quarantined: entry(structural) };
    const values = fields!;
    const oversized = raw.length > this.options.maxFieldBytes ? this.oversized(values) : undefined;
    if (oversized !== undefined) return { quarantined: entry(this.oversizeReason(values, oversized), oversized) };
    for (const { spec, index } of this.fields) {
      const text = values[index]!;
      if (text === '') {
        if (spec.required) return { quarantined: entry(`${spec.header} is empty`, index) };
        continue;
      }
      const problem = valueProblem(spec.type, text);
      if (problem !== undefined) return { quarantined: entry(`${spec.header} ${quoted(text)} ${problem}`, index) };
    }
    for (const { header, index } of this.extras) {
      const problem = textProblem(values[index]!);
      if (problem !== undefined) return { quarantined: entry(`${header} ${quoted(values[index]!)} ${problem}`, index) };
    }
    return { row: this.toRow(values, line), action, warnings };
  }

  /** A D row: its key decides; every other field that does not read is blanked with a warning. */
  private takedown(line: number, fields: string[] | undefined, structural: string | undefined, warnings: QuarantinedRow[], entry: (reason: string, column?: number, severity?: QuarantineSeverity) => QuarantinedRow): ReadResult {
    const { spec, index } = this.key;
    const keyText = fields?.[index];
    const key = keyText?.trim() ?? '';
    if (keyText === undefined || !isValid('id', key)) {
      const why = keyText === undefined ? `${structural ?? 'no key field'}; its ${spec.header} cannot be read` : `${spec.header} ${quoted(keyText)} is not ${TYPE_NAMES.id}`;
      return { quarantined: entry(`takedown (D) whose ${why}; it may be a takedown that did not apply`, index, 'possible_takedown') };
    }
    if (key !== keyText) warnings.push(entry(`${spec.header} ${quoted(keyText)} read as ${key}`, index, 'warning'));
    const values = structural === undefined ? fields! : this.header.map(() => '');
    if (structural !== undefined) warnings.push(entry(`${structural}; applied as a takedown of ${spec.header} ${key} only`, undefined, 'warning'));
    values[index] = key;
    values[this.actionIndex] = 'D';
    for (const field of this.fields) {
      const text = values[field.index]!;
      if (text === '' || field === this.key) continue;
      if (text.length > this.options.maxFieldBytes) {
        warnings.push(entry(`${field.spec.header} is ${text.length} characters, over the ${this.options.maxFieldBytes}-byte limit; ignored, the takedown applies`, field.index, 'warning'));
        values[field.index] = '';
      } else {
        const problem = valueProblem(field.spec.type, text);
        if (problem === undefined) continue;
        warnings.push(entry(`${field.spec.header} ${quoted(text)} ${problem}; ignored, the takedown applies`, field.index, 'warning'));
        values[field.index] = '';
      }
    }
    for (const { header, index } of this.extras) {
      const problem = textProblem(values[index]!);
      if (problem === undefined) continue;
      warnings.push(entry(`${header} ${quoted(values[index]!)} ${problem}; ignored, the takedown applies`, index, 'warning'));
      values[index] = '';
    }
    return { row: this.toRow(values, line), action: 'D', warnings };
  }

  private oversized(values: readonly string[]): number | undefined {
    let longest = -1;
    for (const [i, value] of values.entries()) if (value.length > this.options.maxFieldBytes && (longest < 0 || value.length > values[longest]!.length)) longest = i;
    return longest < 0 ? undefined : longest;
  }

  private oversizeReason(values: readonly string[], index: number): string {
    return `${this.header[index] ?? `field ${index + 1}`} is ${values[index]!.length} characters, over the ${this.options.maxFieldBytes}-byte limit (FEEDLINE_MAX_FIELD_BYTES)`;
  }

  /** The record array becomes the row, no copy: its line, its display title, its fields. */
  private toRow(values: string[], line: number): CsvRow {
    const title = values[this.titleIndex] ?? '';
    // A takedown without a title keeps the stored one (src/db/catalogue.ts): no display title.
    const display = this.titled && title !== '' ? displayTitle(title, values[this.versionIndex], values[this.explicitIndex] === 'true') : null;
    const row = values as unknown as CsvRow;
    (row as unknown[]).unshift(line, display);
    return row;
  }
}
