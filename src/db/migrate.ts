// Applies the committed migrations in schema/migrations, one process at a time.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { Database } from './client.js';

/** schema/migrations, found from here whether running from src/ (tsx) or dist/src/ (built). */
export function migrationsFolder(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'schema', 'migrations');
    if (existsSync(path.join(candidate, 'meta', '_journal.json'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('schema/migrations not found beside the feedline installation');
}

export async function migrate(db: Database): Promise<void> {
  const migrationsFolderPath = migrationsFolder();
  // The advisory lock makes a second process wait, then find nothing left to do.
  await db.withLock('feedline.migrate', async () => {
    if (db.kind === 'pglite') await migratePglite(db.orm as unknown as PgliteDatabase, { migrationsFolder: migrationsFolderPath });
    else await migratePostgres(db.orm as unknown as PostgresJsDatabase, { migrationsFolder: migrationsFolderPath });
  });
}
