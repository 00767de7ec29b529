// DDEX test helpers: our fixtures, modified copies of them, and ingest with an injected clock.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Config } from '../../src/config/schema.js';
import { getItem, type CatalogueItem } from '../../src/db/catalogue.js';
import { query, type Database } from '../../src/db/client.js';
import { ingestFeed } from '../../src/ingest/ingest.js';
import type { IngestOutcome } from '../../src/ingest/lifecycle.js';
import { inlineSink } from '../../src/queue/sink.js';
import { ROOT } from './cli.js';
import { tempDir } from './feeds.js';
import { connect, freshDatabase } from './db.js';
import { silentLogger, testConfig } from './pipeline.js';

export const DDEX_FIXTURES = path.join(ROOT, 'fixtures/ddex');
/** The sender of every fixture (fixtures/ddex/README.md). */
export const SENDER = 'PADPIDA2026010101X';

export function fixture(name: string): string {
  return path.join(DDEX_FIXTURES, name);
}

/** A copy of a fixture with text replaced (a newer creation time, other identifiers). */
export function variant(name: string, replacements: Record<string, string>, dir = tempDir('feedline-ddex-')): string {
  let text = readFileSync(fixture(name), 'utf8');
  for (const [from, to] of Object.entries(replacements)) {
    if (!text.includes(from)) throw new Error(`${name} has no ${from}`);
    text = text.replaceAll(from, to);
  }
  const file = path.join(dir, `${path.basename(name, '.xml')}-${Object.values(replacements).join('-').replace(/[^A-Za-z0-9]+/g, '_').slice(0, 60)}.xml`);
  writeFileSync(file, text);
  return file;
}

export async function ingestDdex(db: Database, config: Config, input: string, options: { now?: Date; force?: boolean } = {}): Promise<IngestOutcome> {
  const now = options.now;
  return ingestFeed({ config, db, sink: inlineSink(db), logger: silentLogger, now: now ? () => now : undefined }, { input, feed: {}, force: options.force });
}

export async function state(db: Database, entity: 'release' | 'track', id: string, country = 'GB'): Promise<CatalogueItem | undefined> {
  return getItem(db.orm, entity, SENDER, id, country);
}

/** status, or the takedown reason, per territory row of an item. */
export async function territories(db: Database, entity: 'release' | 'track', id: string): Promise<Record<string, string>> {
  const table = sql.raw(entity === 'release' ? 'releases' : 'tracks');
  const rows = await query<{ country: string; status: string; reason: string | null }>(db.orm, sql`
    select country, status, takedown_reason as reason from ${table} where source = ${SENDER} and id = ${id} order by country`);
  return Object.fromEntries(rows.map((r) => [r.country, r.status === 'live' ? 'live' : r.reason ?? 'taken_down']));
}

export async function auditReasons(db: Database, id: string): Promise<string[]> {
  const rows = await query<{ entry: string }>(db.orm, sql`
    select entity || ' ' || country || ' ' || reason as entry from takedown_audit where source = ${SENDER} and item_id = ${id} order by id`);
  return rows.map((r) => r.entry);
}

/** A test file's world for DDEX tests: its own migrated database, connected, and a config on it. */
export async function openDdexWorld(testFile: string): Promise<{ db: Database; config: Config }> {
  const url = await freshDatabase(testFile);
  return { db: await connect(url), config: testConfig({ DATABASE_URL: url }) };
}
