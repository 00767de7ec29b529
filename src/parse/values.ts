// Whether a CSV field's text can be cast to its column's type. The merge casts in SQL
// (src/db/catalogue.ts), so anything that passes here must cast there (a row PostgreSQL
// still refuses is applied on its own and quarantined, src/apply/batch.ts).
import type { FieldType } from './columns.js';

export const TYPE_NAMES: Record<FieldType, string> = {
  id: 'a positive integer id', ref: 'a positive integer id', text: 'text', int: 'an integer', bool: 'true or false',
  decimal: 'a decimal number', real: 'a number', timestamp: 'an ISO 8601 date', list: 'a list',
};
const POSITIVE_INT = /^[1-9][0-9]{0,18}$/;
const INTEGER = /^-?[0-9]{1,9}$/;
const DECIMAL = /^-?[0-9]{1,20}(\.[0-9]{1,10})?$/;
const REAL = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Whether a non-empty field's text is a valid value of its type. */
export function isValid(type: FieldType, text: string): boolean {
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
