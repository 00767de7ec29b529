// The database's side of readiness (src/http/health.ts): does it answer, and how many
// migrations has it applied.
import { sql } from 'drizzle-orm';
import { query, type Orm } from './client.js';

type Executor = Pick<Orm, 'execute'>;

/** A round trip that touches no table. No parameters. */
export async function ping(db: Executor): Promise<void> {
  await query(db, sql`select 1`);
}

/** Migrations applied, from drizzle's ledger (drizzle.__drizzle_migrations). No parameters. */
export async function appliedMigrationCount(db: Executor): Promise<number> {
  const [row] = await query<{ applied: number }>(db, sql`select count(*)::integer as applied from drizzle.__drizzle_migrations`);
  return row?.applied ?? 0;
}
