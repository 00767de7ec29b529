// The scheduler's ledger of (feed, date) pairs it wanted: attempts, the last answer, and
// the outcome (`pending` | `fetched` | `missing` | `failed`). `feedline status` reads it.
import { sql } from 'drizzle-orm';
import type { FeedSpec } from '../config/schema.js';
import { query, type Orm } from './client.js';
import type { FetchStatus } from '../catalogue/statuses.js';

type Executor = Pick<Orm, 'execute'>;

export interface FetchRecord extends FeedSpec {
  source: string;
  feedDate: string;
  status: FetchStatus;
  attempts: number;
  lastError: string | null;
  lastHttpStatus: number | null;
  runId: number | null;
  firstAttemptAt: Date | null;
  lastAttemptAt: Date | null;
}

export interface AttemptOutcome {
  status: FetchStatus;
  httpStatus?: number | null;
  error?: string | null;
  runId?: number | null;
}

/**
 * Records one attempt at a (feed, date) and where it ended. Parameters: source, the feed,
 * its date, the outcome, and the attempt time (the injectable clock, so give-up tests can
 * move time). `fetched` is final: a later attempt (a replay) does not downgrade it.
 */
export async function recordAttempt(db: Executor, source: string, feed: FeedSpec, date: string, outcome: AttemptOutcome, at: Date): Promise<void> {
  await db.execute(sql`
    insert into feed_fetches (source, entity, kind, country, feed_date, status, attempts, last_error, last_http_status,
      run_id, first_attempt_at, last_attempt_at, updated_at)
    values (${source}, ${feed.entity}, ${feed.kind}, ${feed.country}, ${date}, ${outcome.status}, 1, ${outcome.error ?? null},
      ${outcome.httpStatus ?? null}, ${outcome.runId ?? null}, ${at.toISOString()}, ${at.toISOString()}, now())
    on conflict (source, entity, kind, country, feed_date) do update set
      status = case when feed_fetches.status = 'fetched' and excluded.status <> 'fetched' then 'fetched' else excluded.status end,
      attempts = feed_fetches.attempts + 1,
      last_error = excluded.last_error,
      last_http_status = excluded.last_http_status,
      run_id = coalesce(excluded.run_id, feed_fetches.run_id),
      last_attempt_at = excluded.last_attempt_at,
      updated_at = now()`);
}

/** Dates of a feed recorded as missing on or after `since`: the scheduler steps over them. */
export async function missingDates(db: Executor, source: string, feed: FeedSpec, since: string): Promise<Set<string>> {
  const rows = await query<{ date: string }>(db, sql`
    select feed_date::text as date from feed_fetches
    where source = ${source} and entity = ${feed.entity} and kind = ${feed.kind} and country = ${feed.country}
      and status = 'missing' and feed_date >= ${since}`);
  return new Set(rows.map((r) => r.date));
}

/** Every fetch record of a source on or after `since`, oldest date first: for `status`. */
export async function listFetches(db: Executor, source: string, since: string): Promise<FetchRecord[]> {
  return query<FetchRecord>(db, sql`
    select source, entity, kind, country, feed_date::text as "feedDate", status, attempts, last_error as "lastError",
      last_http_status as "lastHttpStatus", run_id::integer as "runId", first_attempt_at as "firstAttemptAt",
      last_attempt_at as "lastAttemptAt"
    from feed_fetches where source = ${source} and feed_date >= ${since}
    order by feed_date, entity, kind, country`);
}
