// What PostgreSQL refuses to store, checked before a value reaches SQL, so every source (the
// CSV parser, DDEX, Catalogue Events) can keep a takedown whose other values are bad: the
// bounds of the catalogue's typed columns (schema/catalogue.ts; test/catalogue/storable.test.ts
// holds them to the database) and the characters `text` cannot hold.

/** The reason a value PostgreSQL cannot store is recorded under (quarantine, warnings). */
export const UNSTORABLE_REASON = 'unstorable_value';

/** `integer` columns (int4): every `int` field of src/catalogue/columns.ts. */
export const INT4_RANGE = { min: -2_147_483_648, max: 2_147_483_647 } as const;

/** `numeric(12, 4)` columns (price, rrp): every `decimal` field. */
export const DECIMAL_COLUMN = { precision: 12, scale: 4 } as const;

/**
 * Why PostgreSQL `text` cannot hold this string, or undefined: NUL (U+0000) is refused by
 * `text` and by `jsonb`, and a lone UTF-16 surrogate is no character at all in UTF-8.
 */
export function textProblem(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return `has a NUL character (U+0000) at position ${i + 1}, which PostgreSQL text cannot hold`;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) return `has a lone UTF-16 surrogate (U+${c.toString(16).toUpperCase()}) at position ${i + 1}, which is no character`;
  }
  return undefined;
}

/** The same string with what textProblem finds escaped (`\u0000`), for reasons and quarantine text. */
export function storableText(text: string): string {
  if (textProblem(text) === undefined) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff;
    if (pair) {
      out += text.slice(i, i + 2);
      i++;
    } else if (c === 0 || (c >= 0xd800 && c <= 0xdfff)) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += text[i];
  }
  return out;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-](\d{2}):?(\d{2}))?)?$/;

/**
 * Why PostgreSQL's `timestamptz` (or `date`) would refuse this ISO 8601 text, or undefined:
 * the shape, then a real calendar day (2026-02-30 is none), the clock and the offset
 * PostgreSQL allows (up to 15:59 either side).
 */
export function timestampProblem(text: string): string | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return 'is not an ISO 8601 date';
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1) return 'is not an ISO 8601 date';
  const days = daysInMonth(year, month);
  if (day > days) return `is not a calendar date (${m[1]}-${m[2]} has ${days} days)`;
  if (m[4] !== undefined) {
    const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
    const midnight = hour === 24 && minute === 0 && second === 0;
    if ((hour > 23 && !midnight) || minute > 59 || second > 59) return 'is not a time of day';
  }
  if (m[8] !== undefined && (Number(m[8]) > 15 || Number(m[9]) > 59)) return 'has a time zone offset out of range (at most 15:59)';
  return undefined;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS[month - 1]!;
}

/** Whether a real (float4) number's text is in its range: neither overflows nor underflows to zero. */
export function fitsReal(value: number): boolean {
  const stored = Math.fround(value);
  return Number.isFinite(stored) && (stored !== 0 || value === 0);
}
