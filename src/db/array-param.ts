// Lists sent to PostgreSQL as one array parameter (`= any($1::text[])`, `unnest($1::bigint[])`):
// one bind value however long the list, where a list of placeholders would hit the limit.

/** `{"a","1",NULL}`: values as one array literal, each quoted (PostgreSQL casts them to the element type). */
export function pgArray(values: readonly (string | number | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${String(v).replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}
