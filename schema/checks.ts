// CHECK constraints from the lists in src/catalogue/statuses.ts. The values are inlined with
// sql.raw: drizzle-kit writes a check's SQL as text, where a bound parameter would be lost.
import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

export function oneOf(column: AnyPgColumn, values: readonly string[]): SQL {
  return sql`${column} in (${sql.raw(values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', '))})`;
}
