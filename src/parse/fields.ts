// Splits one record, already delimited by src/parse/records.ts, into its fields by RFC 4180:
// a field is either unquoted (no quote in it) or wholly quoted (`""` is a quote inside it)
// and followed by a comma or the record's end. Anything else is a structural error of this
// record alone, reported with the field it is in.

export type SplitFields = { fields: string[]; error?: undefined } | { error: string; fields?: undefined };

export function splitFields(raw: string): SplitFields {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (raw.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const close = raw.indexOf('"', from);
        if (close < 0) return { error: `field ${fields.length + 1}: a quoted field never closes` };
        value += raw.slice(from, close);
        if (raw.charCodeAt(close + 1) === QUOTE) {
          value += '"';
          from = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      if (i < raw.length && raw.charCodeAt(i) !== COMMA) {
        return { error: `field ${fields.length + 1}: text after its closing quote (invalid closing quote)` };
      }
      fields.push(value);
    } else {
      const comma = raw.indexOf(',', i);
      const end = comma < 0 ? raw.length : comma;
      const value = raw.slice(i, end);
      if (value.includes('"')) return { error: `field ${fields.length + 1}: a quote inside an unquoted field` };
      fields.push(value);
      i = end;
    }
    if (i >= raw.length) return { fields };
    i++;
    if (i === raw.length) {
      fields.push('');
      return { fields };
    }
  }
}

/**
 * The first `count` fields of a record's first physical line, when they are plain (no
 * quotes): what a broken record still says about its action and key.
 */
export function leadingFields(raw: string, count: number): string[] | undefined {
  const firstLine = raw.split(/\r?\n|\r/, 1)[0] ?? '';
  const parts = firstLine.split(',', count);
  if (parts.length < count || parts.some((p) => p.includes('"'))) return undefined;
  return parts;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
