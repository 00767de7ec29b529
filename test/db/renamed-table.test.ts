// Migration 0014 renames scheduled_takedowns to scheduled_availability_changes (it holds
// go-lives as well as takedowns): a database that already has pending changes keeps them,
// and every index, constraint, sequence and trigger carries the new name.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../../src/db/client.js';
import { migrate, migrationsFolder } from '../../src/db/migrate.js';
import { connect, recreateDatabase, testDatabaseName } from '../helpers/db.js';

let db: Database;
let folder: string;

/** schema/migrations as it was before the rename: the journal cut after 0012. */
function migrationsBeforeRename(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'feedline-migrations-'));
  cpSync(migrationsFolder(), dir, { recursive: true });
  const journalPath = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((e) => e.idx <= 12);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

beforeAll(async () => {
  db = await connect(await recreateDatabase(testDatabaseName(import.meta.filename)));
  folder = migrationsBeforeRename();
  await migratePostgres(db.orm as unknown as PostgresJsDatabase, { migrationsFolder: folder });
});
afterAll(async () => {
  await db.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('migration 0014: scheduled_takedowns becomes scheduled_availability_changes', () => {
  it('keeps the pending changes and renames everything named after the table', async () => {
    await query(db.orm, sql`insert into scheduled_takedowns (entity, source, country, item_id, due_at, change_version, reason, target_status)
      values ('release', 'PADPIDA2026010101X', 'GB', 'A1', '2099-07-01T00:00:00Z', 42, 'deal_not_started', 'live')`);

    await migrate(db);

    const rows = await query<{ itemId: string; targetStatus: string; status: string }>(db.orm, sql`
      select item_id as "itemId", target_status as "targetStatus", status from scheduled_availability_changes`);
    expect(rows).toEqual([{ itemId: 'A1', targetStatus: 'live', status: 'pending' }]);
    // The sequence goes on from where it was.
    const [next] = await query<{ id: number }>(db.orm, sql`insert into scheduled_availability_changes (entity, source, country, item_id, due_at, change_version, reason)
      values ('track', 'PADPIDA2026010101X', 'GB', 'T1', '2099-07-01T00:00:00Z', 43, 'deal_expired') returning id::integer`);
    expect(next!.id).toBe(2);

    const oldNames = await query<{ name: string }>(db.orm, sql`
      select relname as name from pg_class where relname like 'scheduled_takedowns%'
      union all select conname from pg_constraint where conname like 'scheduled_takedowns%'
      union all select tgname from pg_trigger where tgname like 'scheduled_takedowns%'`);
    expect(oldNames).toEqual([]);
    const triggers = await query<{ name: string }>(db.orm, sql`
      select tgname as name from pg_trigger where tgrelid = 'scheduled_availability_changes'::regclass and not tgisinternal order by tgname`);
    expect(triggers.map((t) => t.name)).toEqual(['scheduled_availability_changes_gate_insert', 'scheduled_availability_changes_gate_update']);
  });
});
