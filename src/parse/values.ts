// Whether a CSV field's text can be cast to its column's type. The merge casts in SQL
// (src/db/catalogue.ts), so anything that passes here must cast there (a row PostgreSQL
// still refuses is applied on its own and quarantined, src/apply/batch.ts).
import type { FieldType } from '../catalogue/columns.js';

export const TYPE_NAMES: Record<FieldType, string> = {
  id: 'a positive integer id', ref: 'a positive integer id', text: 'text', int: 'an integer', bool: 'true or false',
  decimal: 'a decimal number', real: 'a number', timestamp: 'an ISO 8601 date', list: 'a list',
};
const REAL = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Whether a non-empty field's text is a valid value of its type. */
export function isValid(type: FieldType, text: string): boolean {
  switch (type) {
    case 'text':
    case 'list': return true;
    case 'id':
    case 'ref': return text.length <= 19 && text.charCodeAt(0) !== ZERO && digits(text, 0, text.length);
    case 'int': return isInteger(text);
    case 'bool': return text === 'true' || text === 'false';
    case 'decimal': return isDecimal(text);
    case 'real': return REAL.test(text) && Number.isFinite(Number(text));
    case 'timestamp': return ISO_DATE.test(text) && !Number.isNaN(Date.parse(text));
  }
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

/** -?[0-9]{1,9} */
function isInteger(text: string): boolean {
  const from = text.charCodeAt(0) === MINUS ? 1 : 0;
  return text.length - from <= 9 && digits(text, from, text.length);
}

/** -?[0-9]{1,20}(\.[0-9]{1,10})? */
function isDecimal(text: string): boolean {
  const from = text.charCodeAt(0) === MINUS ? 1 : 0;
  const dot = text.indexOf('.', from);
  if (dot < 0) return text.length - from <= 20 && digits(text, from, text.length);
  return dot - from <= 20 && text.length - dot - 1 <= 10 && digits(text, from, dot) && digits(text, dot + 1, text.length);
}
