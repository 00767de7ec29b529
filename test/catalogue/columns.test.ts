// The catalogue columns are declared twice: per feed entity in src/catalogue/columns.ts (what
// the parser validates and the merge writes) and as drizzle tables in schema/catalogue.ts
// (what the migrations create). This keeps the two from drifting apart.
import { getTableColumns } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { artists, releases, tracks } from '../../schema/catalogue.js';
import { ENTITY_FIELDS, ENTITY_TABLE, PG_TYPE } from '../../src/catalogue/columns.js';
import { ENTITIES } from '../../src/config/schema.js';

const TABLES: Record<string, PgTable> = { tracks, releases, artists };

/** Columns feedline keeps itself on every catalogue row (stateColumns in schema/catalogue.ts). */
const BOOKKEEPING = ['source', 'country', 'status', 'takedown_reason', 'change_version', 'taken_down_at', 'updated_at', 'run_id', 'raw'];

/** drizzle's SQL type in the spelling of PG_TYPE: no precision, `timestamptz`. */
const pgType = (sqlType: string) => sqlType.replace(/\(.*\)/, '').replace('timestamp with time zone', 'timestamptz');

describe.each(ENTITIES)('the %s columns', (entity) => {
  const { table, titled } = ENTITY_TABLE[entity];
  const columns = new Map(Object.values(getTableColumns(TABLES[table]!)).map((c) => [c.name, pgType(c.getSQLType())]));

  it(`every column of ENTITY_FIELDS.${entity} is in the drizzle table ${table}, with its type`, () => {
    for (const field of ENTITY_FIELDS[entity]) {
      expect(columns.has(field.column), `${table}.${field.column} (${field.header})`).toBe(true);
      expect(columns.get(field.column), `${table}.${field.column}`).toBe(PG_TYPE[field.type]);
    }
  });

  it(`every column of the drizzle table ${table} is a feed column, bookkeeping or the display title`, () => {
    const known = new Set([...ENTITY_FIELDS[entity].map((f) => f.column), ...BOOKKEEPING, ...(titled ? ['display_title'] : [])]);
    expect([...columns.keys()].filter((name) => !known.has(name))).toEqual([]);
  });
});
