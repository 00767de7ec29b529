// `query` returns the same JavaScript types from postgres.js and PGlite: timestamps as Date,
// int8 as number (refused beyond 2^53), json and jsonb as objects, bytea as Buffer. Callers
// never re-parse a row (src/db/sla.ts used to, eleven times).
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, query, type Database } from '../../src/db/client.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir } from '../helpers/feeds.js';

const drivers: Record<'postgres' | 'pglite', Database | undefined> = { postgres: undefined, pglite: undefined };

beforeAll(async () => {
  drivers.postgres = await connect(await freshDatabase(import.meta.filename));
  drivers.pglite = await openDatabase({ databaseUrl: undefined, home: tempDir('feedline-pglite-') });
});
afterAll(async () => {
  await drivers.postgres?.close();
  await drivers.pglite?.close();
});

interface Row { tz: Date; plain: Date; none: Date | null; n: number; count: number; doc: { a: number[] }; text: { b: string }; bytes: Buffer; day: string }

describe.each(['postgres', 'pglite'] as const)('query on %s', (driver) => {
  it('normalises every type callers read', async () => {
    const [row] = await query<Row>(drivers[driver]!.orm, sql`
      select '2026-11-01 06:00:00.123+02'::timestamptz as tz, '2026-11-01 06:00:00'::timestamp as plain, null::timestamptz as none,
        9007199254740991::int8 as n, (select count(*) from generate_series(1, 3)) as count,
        '{"a": [1, 2]}'::jsonb as doc, '{"b": "x"}'::json as text, '\\x0102ff'::bytea as bytes, '2026-11-01'::date::text as day`);
    expect(row).toEqual({
      tz: new Date('2026-11-01T04:00:00.123Z'), plain: new Date('2026-11-01T06:00:00Z'), none: null,
      n: Number.MAX_SAFE_INTEGER, count: 3, doc: { a: [1, 2] }, text: { b: 'x' }, bytes: Buffer.from([1, 2, 255]), day: '2026-11-01',
    });
    expect(row!.tz).toBeInstanceOf(Date);
    expect(Buffer.isBuffer(row!.bytes)).toBe(true);
  });

  it('refuses an int8 that a number cannot hold', async () => {
    await expect(query(drivers[driver]!.orm, sql`select 9007199254740993::int8 as version`)).rejects.toThrow(/version.*::text/);
  });
});
