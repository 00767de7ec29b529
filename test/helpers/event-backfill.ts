// A generated backfill of Catalogue Events with the catalogue it must end in: several
// versions of each release (some takedowns), for the stand-in, the durability tests and the
// benchmark. Deterministic for a seed.
import { sql } from 'drizzle-orm';
import { query, type Database } from '../../src/db/client.js';
import { releaseEvent, SOURCE, takedownEvent } from './events.js';

export interface BackfillOptions {
  releases: number;
  /** Versions per release (each a snapshot, or a takedown at `takedownShare`). */
  versions: number;
  tracks?: number;
  takedownShare?: number;
  /** Extra text per track so a body reaches a realistic size (~3 KB per track in the bench). */
  trackPadding?: number;
  firstId?: number;
  seed?: number;
}

export interface Backfill {
  events: object[];
  /** Per release id: the newest event's version and whether it is a takedown. */
  newest: Map<number, { version: number; takedown: boolean }>;
}

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function generateBackfill(options: BackfillOptions): Backfill {
  const next = random(options.seed ?? 12);
  const events: object[] = [];
  const newest = new Map<number, { version: number; takedown: boolean }>();
  const base = Date.parse('2026-12-01T00:00:00Z');
  for (let r = 0; r < options.releases; r++) {
    const id = (options.firstId ?? 700_000) + r;
    for (let v = 1; v <= options.versions; v++) {
      const version = base + r * 1000 + v;
      const takedown = next() < (options.takedownShare ?? 0.05);
      const tracks = Array.from({ length: options.tracks ?? 3 }, (_, i) => ({ id: id * 100 + i, title: `Track ${i} v${v}`, version: options.trackPadding ? 'x'.repeat(options.trackPadding) : null }));
      events.push(takedown ? takedownEvent(id, version) : releaseEvent(id, version, { title: `Release ${id} v${v}`, tracks }));
      if (v === options.versions) newest.set(id, { version, takedown });
    }
  }
  return { events, newest };
}

/**
 * Items grouped into request bodies of 1 to `maxItems` items (deterministic), as the provider
 * posts them: a body may carry several releases, two versions of one, a takedown beside them.
 */
export function bodiesOf(items: readonly object[], maxItems: number, seed = 7): object[][] {
  const next = random(seed);
  const bodies: object[][] = [];
  for (let i = 0; i < items.length;) {
    const size = 1 + Math.floor(next() * maxItems);
    bodies.push(items.slice(i, i + size));
    i += size;
  }
  return bodies;
}

/** Releases whose GB row is not what the newest event says, as readable lines (empty: all equal). */
export async function catalogueMismatches(db: Database, backfill: Backfill): Promise<string[]> {
  const rows = await query<{ id: string; status: string; title: string | null; version: string }>(db.orm, sql`
    select id, status, title, change_version::text as version from releases where source = ${SOURCE} and country = 'GB'`);
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  const problems: string[] = [];
  for (const [id, expected] of backfill.newest) {
    const row = byId.get(id);
    const ww = row ? undefined : 'no GB row';
    if (ww) {
      // A takedown as the first event stored leaves only a WW tombstone.
      const [tomb] = await query<{ status: string }>(db.orm, sql`select status from releases where source = ${SOURCE} and id = ${String(id)} and country = 'WW'`);
      if (!(expected.takedown && tomb?.status === 'taken_down')) problems.push(`${id}: ${ww}`);
      continue;
    }
    if (expected.takedown ? row!.status !== 'taken_down' : row!.status !== 'live' || !row!.title?.endsWith(` v${expected.version % 1000}`)) {
      problems.push(`${id}: ${row!.status} ${row!.title}, expected ${expected.takedown ? 'taken_down' : 'live'} at version ${expected.version}`);
    }
  }
  return problems;
}
