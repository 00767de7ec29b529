// Each test file gets its own PostgreSQL database, named from the file, dropped and created
// fresh when the file starts, so files are isolated and may run in any order, again and
// again. It is left in place after the run for inspection.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { openDatabase, type Database } from '../../src/db/client.js';
import { migrate, migrationsFolder } from '../../src/db/migrate.js';

/** The server the tests may create databases on (trust auth on this machine). */
export const ADMIN_URL = process.env.FEEDLINE_TEST_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The checkout's own path is part of every name, so two clones on one server never share. */
export const CHECKOUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function testDatabaseName(testFile: string): string {
  return `feedline_test_${createHash('sha256').update(CHECKOUT).update(testFile).digest('hex').slice(0, 12)}`;
}

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops and creates an empty database; returns its URL. */
export async function recreateDatabase(name: string): Promise<string> {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return databaseUrl(name);
}

/**
 * A fresh, migrated database for one test file; returns its URL. It is cloned from a template
 * migrated once per checkout and set of migrations (graphile-worker's pattern), which is much
 * faster than migrating each file's database.
 */
export async function freshDatabase(testFile: string): Promise<string> {
  const name = testDatabaseName(testFile);
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    // One lock for the whole server: files run in parallel, and a template that another
    // session is still migrating, or copying, cannot be copied.
    await admin`select pg_advisory_lock(${TEMPLATE_LOCK})`;
    const template = await migratedTemplate(admin);
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name} template ${template}`);
  } finally {
    await admin.end();
  }
  return databaseUrl(name);
}

const TEMPLATE_LOCK = 7_245_001;

/** The template's name changes whenever a migration does, so a stale one is never copied. */
async function migratedTemplate(admin: postgres.Sql): Promise<string> {
  const digest = createHash('sha256').update(CHECKOUT);
  const folder = migrationsFolder();
  for (const file of readdirSync(folder, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = path.join(folder, file);
    if (statSync(full).isFile()) digest.update(file).update(readFileSync(full));
  }
  const name = `feedline_template_${digest.digest('hex').slice(0, 12)}`;
  const [existing] = await admin`select 1 from pg_database where datname = ${name}`;
  if (existing) return name;
  await admin.unsafe(`drop database if exists ${name}_building with (force)`);
  await admin.unsafe(`create database ${name}_building`);
  const db = await openDatabase({ databaseUrl: databaseUrl(`${name}_building`), home: '' });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  // Renamed only once complete: a run killed mid-migration leaves no template behind.
  await admin.unsafe(`alter database ${name}_building rename to ${name}`);
  return name;
}

export async function connect(url: string): Promise<Database> {
  return openDatabase({ databaseUrl: url, home: '' });
}
