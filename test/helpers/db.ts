// Each test file gets its own PostgreSQL database, named from the file, dropped and created
// fresh when the file starts, so files are isolated and may run in any order, again and
// again. It is left in place after the run for inspection.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { openDatabase, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';

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

/** A fresh, migrated database for one test file; returns its URL. */
export async function freshDatabase(testFile: string): Promise<string> {
  const url = await recreateDatabase(testDatabaseName(testFile));
  const db = await openDatabase({ databaseUrl: url, home: '' });
  await migrate(db);
  await db.close();
  return url;
}

export async function connect(url: string): Promise<Database> {
  return openDatabase({ databaseUrl: url, home: '' });
}
