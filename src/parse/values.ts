// Whether a CSV field's text can be stored in its column. The merge casts in SQL
// (src/db/catalogue.ts), so anything that passes here must cast and fit there: the checks
// follow the database's own rules (src/catalogue/storable.ts). A row PostgreSQL still refuses
// is applied on its own, and a takedown by its key alone (src/apply/batch.ts).
import type { FieldType } from '../catalogue/columns.js';
import { DECIMAL_COLUMN, INT4_RANGE, fitsReal, textProblem, timestampProblem } from '../catalogue/storable.js';

export const TYPE_NAMES: Record<FieldType, string> = {
  id: 'a positive integer id', ref: 'a positive integer id', text: 'text', int: 'an integer', bool: 'true or false',
  decimal: 'a decimal number', real: 'a number', timestamp: 'an ISO 8601 date', list: 'a list',
};
const REAL = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;
const DECIMAL_LIMIT = 10n ** BigInt(DECIMAL_COLUMN.precision);

/**
 * Why a non-empty field's text is no value of its type that its column can hold (a phrase
 * that follows the field's name and value: "is not a calendar date"), or undefined.
 */
export function valueProblem(type: FieldType, text: string): string | undefined {
  switch (type) {
    case 'text':
    case 'list': return textProblem(text);
    case 'id':
    case 'ref': return text.length <= 19 && text.charCodeAt(0) !== ZERO && digits(text, 0, text.length) ? undefined : `is not ${TYPE_NAMES[type]}`;
    case 'int': return integerProblem(text);
    case 'bool': return text === 'true' || text === 'false' ? undefined : `is not ${TYPE_NAMES.bool}`;
    case 'decimal': return decimalProblem(text);
    case 'real':
      if (!REAL.test(text)) return `is not ${TYPE_NAMES.real}`;
      return fitsReal(Number(text)) ? undefined : 'is out of range for a real (float4) column';
    case 'timestamp': return timestampProblem(text);
  }
}

/** Whether a non-empty field's text is a valid value of its type (a key's check). */
export function isValid(type: FieldType, text: string): boolean {
  return valueProblem(type, text) === undefined;
}

// Character checks for the types every row has (ids, integers, prices): a regular
// expression per field per row was a measurable share of the parse.
const ZERO = 0x30;
const MINUS = 0x2d;

/** Whether text[from, to) is one or more ASCII digits. */
function digits(text: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - ZERO;
    if (c < 0 || c > 9) return false;
  }
  return true;
}

/** -?[0-9]+ within the integer (int4) range. */
function integerProblem(text: string): string | undefined {
  const from = text.charCodeAt(0) === MINUS ? 1 : 0;
  if (!digits(text, from, text.length)) return `is not ${TYPE_NAMES.int}`;
  // Up to 9 digits always fits; more are compared as a number (exact below 2^53, and 16 digits are far past the range).
  if (text.length - from <= 9) return undefined;
  const value = text.length - from > 16 ? Infinity : Number(text);
  return value >= INT4_RANGE.min && value <= INT4_RANGE.max ? undefined : `is out of range for an integer column (${INT4_RANGE.min} to ${INT4_RANGE.max})`;
}

/** -?[0-9]+(\.[0-9]+)? that, rounded to the column's scale as PostgreSQL rounds, fits its precision. */
function decimalProblem(text: string): string | undefined {
  const from = text.charCodeAt(0) === MINUS ? 1 : 0;
  const dot = text.indexOf('.', from);
  const whole = dot < 0 ? text.slice(from) : text.slice(from, dot);
  const fraction = dot < 0 ? '' : text.slice(dot + 1);
  if (!digits(whole, 0, whole.length) || (dot >= 0 && !digits(fraction, 0, fraction.length))) return `is not ${TYPE_NAMES.decimal}`;
  const { precision, scale } = DECIMAL_COLUMN;
  // Half away from zero, as numeric rounds: 99999999.99995 becomes 100000000.0000, too wide.
  const scaled = BigInt(whole + fraction.padEnd(scale, '0').slice(0, scale)) + ((fraction.charCodeAt(scale) || 0) >= ZERO + 5 ? 1n : 0n);
  if (scaled < DECIMAL_LIMIT) return undefined;
  return `does not fit numeric(${precision}, ${scale}) (at most ${precision - scale} digits before the decimal point)`;
}
