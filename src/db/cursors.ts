// Per-feed cursors: the last feed date applied, per (source, entity, kind, country). A
// cursor moves only inside the transaction that completes a run (src/db/runs.ts
// finishRuns), so "applied" and "the scheduler moves on" can never disagree.
import { sql } from 'drizzle-orm';
import type { FeedSpec } from '../config/schema.js';
import { query, type Orm } from './client.js';

type Executor = Pick<Orm, 'execute'>;

/**
 * Moves the cursor of a just-applied run's feed to its date, never backwards: a replay of
 * an old date, or a late manual ingest, leaves a newer cursor where it is. Parameter: the
 * run id (its source, entity, kind, country and feed date are read from feed_runs). DDEX
 * messages have no daily cursor and are skipped.
 */
export async function advanceCursor(db: Executor, runId: number): Promise<void> {
  await db.execute(sql`
    insert into feed_cursors (source, entity, kind, country, last_applied_date, updated_at)
    select source, entity, kind, country, feed_date, now() from feed_runs
    where id = ${runId} and kind in ('full', 'updates')
    on conflict (source, entity, kind, country) do update set
      last_applied_date = greatest(feed_cursors.last_applied_date, excluded.last_applied_date),
      updated_at = case when excluded.last_applied_date > feed_cursors.last_applied_date
        or feed_cursors.last_applied_date is null then now() else feed_cursors.updated_at end`);
}

export interface Cursor extends FeedSpec {
  source: string;
  lastAppliedDate: string | null;
  updatedAt: Date;
}

export async function listCursors(db: Executor, source: string): Promise<Cursor[]> {
  return query<Cursor>(db, sql`
    select source, entity, kind, country, last_applied_date::text as "lastAppliedDate", updated_at as "updatedAt"
    from feed_cursors where source = ${source}`);
}

export async function getCursor(db: Executor, source: string, feed: FeedSpec): Promise<string | undefined> {
  const [row] = await query<{ date: string | null }>(db, sql`
    select last_applied_date::text as date from feed_cursors
    where source = ${source} and entity = ${feed.entity} and kind = ${feed.kind} and country = ${feed.country}`);
  return row?.date ?? undefined;
}

export function cursorKey(feed: FeedSpec): string {
  return `${feed.entity}/${feed.kind}/${feed.country}`;
}
