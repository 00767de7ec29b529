// How file content may appear in stored reasons, quarantine rows and messages: escaped
// (no control characters reach a terminal, a log or an alert) and bounded in length.

/** Quarantined text is kept up to this length: enough to find the row, not a copy of a huge one. */
export const MAX_QUARANTINED_RAW = 10_000;

/** A field's value quoted in a reason: short, so a reason stays one readable line. */
export const MAX_QUOTED_VALUE = 40;

/** Text safe to store and print: NULs and other control characters escaped, length bounded. */
export function printable(text: string, max: number): string {
  const shown = text.length > max ? `${text.slice(0, max)}...` : text;
  return shown.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A short, escaped, JSON-quoted excerpt of a value for a reason or message. */
export function quoted(text: string, max = MAX_QUOTED_VALUE): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text);
}
