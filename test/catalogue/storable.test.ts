// The bounds the parser checks (src/catalogue/storable.ts) are the database's: every typed
// feed column is of the type whose limits the parser applies, and each refused class is refused by PostgreSQL.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITY_FIELDS, ENTITY_TABLE } from '../../src/catalogue/columns.js';
import { DECIMAL_COLUMN, textProblem, timestampProblem } from '../../src/catalogue/storable.js';
import { query, type Database } from '../../src/db/client.js';
import type { Entity } from '../../src/config/schema.js';
import { connect, freshDatabase } from '../helpers/db.js';

let db: Database;
beforeAll(async () => {
  db = await connect(await freshDatabase(import.meta.filename));
});
afterAll(async () => db.close());

const EXPECTED = { int: 'integer', decimal: 'numeric', real: 'real', timestamp: 'timestamp with time zone' } as const;

describe('the parser checks values by the catalogue columns\' own types', () => {
  it('every int, decimal, real and timestamp field is the column type whose bounds the parser applies', async () => {
    for (const entity of Object.keys(ENTITY_FIELDS) as Entity[]) {
      const columns = await query<{ name: string; type: string; precision: number | null; scale: number | null }>(db.orm, sql`
        select column_name as name, data_type as type, numeric_precision as precision, numeric_scale as scale
        from information_schema.columns where table_name = ${ENTITY_TABLE[entity].table}`);
      for (const field of ENTITY_FIELDS[entity]) {
        if (!(field.type in EXPECTED)) continue;
        const column = columns.find((c) => c.name === field.column);
        expect(column?.type, `${entity}.${field.column}`).toBe(EXPECTED[field.type as keyof typeof EXPECTED]);
        if (field.type === 'decimal') expect([column?.precision, column?.scale]).toEqual([DECIMAL_COLUMN.precision, DECIMAL_COLUMN.scale]);
      }
    }
  });

  it('what the parser calls no timestamp, PostgreSQL refuses, and what it accepts, PostgreSQL stores', async () => {
    const values = ['2026-02-30', '2026-02-29', '2024-02-29', '1900-02-29', '2000-02-29', '2026-04-31', '2026-01-01T24:00:00Z', '2026-01-01T23:60:00Z', '0000-01-01', '2026-01-01T00:00:00+15:59', '2026-01-01T00:00:00+16:00', '2026-01-01 10:30'];
    for (const value of values) {
      const refused = await query(db.orm, sql`select ${value}::timestamptz as t`).then(() => false, () => true);
      expect(timestampProblem(value) !== undefined, value).toBe(refused);
    }
  });

  it('what the parser calls no text, PostgreSQL refuses in the batch\'s JSON', async () => {
    for (const value of ['a\u0000b', 'a\ud800b', '\udc00', 'ok \ud83d\ude00']) {
      const refused = await query(db.orm, sql`select (${JSON.stringify([value])}::jsonb->>0)::text as t`).then(() => false, () => true);
      expect(textProblem(value) !== undefined, JSON.stringify(value)).toBe(refused);
    }
  });
});
