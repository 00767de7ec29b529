// The SLA ledger read from PostgreSQL: what is pending and since when, what went wrong,
// what was taken down and how fast. Everything the sweep, the timers, /metrics, the SLA
// page, `feedline sla` and `feedline report` show comes from these statements, so they
// always agree. `now` is a parameter (the injectable clock), never the database's now().
import { sql } from 'drizzle-orm';
import { query, type Orm } from './client.js';
import type { RunCounts } from '../catalogue/run-counts.js';
import type { Run } from './runs.js';
import type { AlertState, FetchStatus, RunStatus } from '../catalogue/statuses.js';

type Executor = Pick<Orm, 'execute'>;

/** A run whose changes are not all live yet (status parsing, applying or failed). */
export type PendingRun = Pick<Run, 'id' | 'source' | 'entity' | 'kind' | 'country' | 'feedDate' | 'fileName' | 'status'
  | 'publishedAt' | 'createdAt' | 'batchesTotal' | 'batchesApplied'> & {
  /** Rows by action in the run's batches that are not applied yet. */
  pendingInserts: number;
  pendingUpdates: number;
  pendingDeletes: number;
  /** Batches that exhausted their retries. */
  failedBatches: number;
};

const PENDING_RUN_COLUMNS = sql.raw(`r.id::integer as id, r.source, r.entity, r.kind, r.country, r.feed_date::text as "feedDate",
  r.file_name as "fileName", r.status, r.published_at as "publishedAt", r.created_at as "createdAt",
  r.batches_total as "batchesTotal", r.batches_applied as "batchesApplied",
  coalesce(sum(b.inserts) filter (where b.status <> 'applied'), 0)::integer as "pendingInserts",
  coalesce(sum(b.updates) filter (where b.status <> 'applied'), 0)::integer as "pendingUpdates",
  coalesce(sum(b.deletes) filter (where b.status <> 'applied'), 0)::integer as "pendingDeletes",
  count(b.seq) filter (where b.status = 'failed')::integer as "failedBatches"`);

/**
 * Runs not yet applied. A run still parsing is pending too: its batches so far are
 * counted, and its publication time already runs the clock (docs/feeds.md: the clock starts
 * at publication). Rejected runs are not pending: they apply nothing, and alert instead.
 */
export async function pendingRuns(db: Executor): Promise<PendingRun[]> {
  return query<PendingRun>(db, sql`
    select ${PENDING_RUN_COLUMNS}
    from feed_runs r left join feed_batches b on b.run_id = r.id
    where r.status in ('parsing', 'applying', 'failed')
    group by r.id
    order by r.published_at, r.id`);
}

export interface RunSla {
  id: number;
  status: RunStatus;
  fileName: string;
  country: string;
  entity: string;
  kind: string;
  feedDate: string;
  publishedAt: Date;
  createdAt: Date;
  appliedAt: Date | null;
}

export async function runSla(db: Executor, runId: number): Promise<RunSla | undefined> {
  const [run] = await query<RunSla>(db, sql`
    select id::integer as id, status, file_name as "fileName", country, entity, kind, feed_date::text as "feedDate",
      published_at as "publishedAt", created_at as "createdAt", applied_at as "appliedAt"
    from feed_runs where id = ${runId}`);
  return run;
}

/**
 * Runs applied since `since` whose last change went live after `deadlineSeconds` from
 * publication and whose SLA subject never alerted: a breach that happened between sweeps
 * (or while nothing was watching) still has to be on record.
 */
export async function runsAppliedLateUnalerted(db: Executor, since: Date, deadlineSeconds: number, subjectPrefix: string): Promise<RunSla[]> {
  return query<RunSla>(db, sql`
    select r.id::integer as id, r.status, r.file_name as "fileName", r.country, r.entity, r.kind, r.feed_date::text as "feedDate",
      r.published_at as "publishedAt", r.created_at as "createdAt", r.applied_at as "appliedAt"
    from feed_runs r
    where r.status = 'applied' and r.applied_at >= ${since.toISOString()}::timestamptz
      and r.applied_at > r.published_at + make_interval(secs => ${deadlineSeconds})
      and not exists (select 1 from alert_events e where e.subject = ${subjectPrefix} || r.id::text)
    order by r.id`);
}

/** Open alerts (warning or breach), oldest first. */
export interface OpenAlert {
  subject: string;
  kind: string;
  state: AlertState;
  message: string;
  details: Record<string, unknown>;
  openedAt: Date;
  updatedAt: Date;
  /** Set when an operator acknowledged this opening of the alert (`feedline alerts ack`). */
  acknowledged: { by: string; note: string | null; at: Date } | null;
}

export async function openAlerts(db: Executor): Promise<OpenAlert[]> {
  const rows = await query<Omit<OpenAlert, 'acknowledged'> & { ackBy: string | null; ackNote: string | null; ackAt: Date | null }>(db, sql`
    select a.subject, a.kind, a.state, a.message, a.details, a.opened_at as "openedAt", a.updated_at as "updatedAt",
      k.acknowledged_by as "ackBy", k.note as "ackNote", k.acknowledged_at as "ackAt"
    from alerts a left join alert_acks k on k.subject = a.subject and k.opened_at = a.opened_at
    where a.state <> 'resolved' order by a.opened_at, a.subject`);
  return rows.map(({ ackBy, ackNote, ackAt, ...r }) => ({
    ...r, acknowledged: ackBy && ackAt ? { by: ackBy, note: ackNote, at: ackAt } : null,
  }));
}

export interface AlertEventRow {
  id: number;
  subject: string;
  kind: string;
  state: AlertState;
  message: string;
  createdAt: Date;
}

export async function recentAlertEvents(db: Executor, options: { state?: AlertState; kind?: string; limit: number }): Promise<AlertEventRow[]> {
  return query<AlertEventRow>(db, sql`
    select id::integer as id, subject, kind, state, message, created_at as "createdAt"
    from alert_events
    where (${options.state ?? null}::text is null or state = ${options.state ?? null})
      and (${options.kind ?? null}::text is null or kind = ${options.kind ?? null})
    order by id desc limit ${options.limit}`);
}

export async function countAlertEvents(db: Executor, kind: string, state: AlertState): Promise<number> {
  const [row] = await query<{ n: number }>(db, sql`select count(*)::integer as n from alert_events where kind = ${kind} and state = ${state}`);
  return row?.n ?? 0;
}

/** Rejected runs created since `since`, with whether a later run of the same feed and date was applied. */
export type ProblemRun = Pick<Run, 'id' | 'source' | 'entity' | 'kind' | 'country' | 'feedDate' | 'fileName' | 'status'
  | 'error' | 'rows' | 'quarantined'> & {
  failedBatches: number;
  /** Quarantined rows that may be takedowns that did not apply (src/sla/possible-takedowns.ts). */
  possibleTakedowns: number;
  /** A later run of the same feed and date, applied: the file was delivered again and applied. */
  reappliedBy: number | null;
  /** A later run of the same feed for this date or a later one, applied: the feed moved on. */
  supersededBy: number | null;
};

export async function problemRuns(db: Executor, since: Date): Promise<ProblemRun[]> {
  return query<ProblemRun>(db, sql`
    select r.id::integer as id, r.source, r.entity, r.kind, r.country, r.feed_date::text as "feedDate", r.file_name as "fileName",
      r.status, r.error, r.rows, r.quarantined,
      (select count(*)::integer from feed_batches b where b.run_id = r.id and b.status = 'failed') as "failedBatches",
      (select count(*)::integer from quarantine q where q.run_id = r.id and q.severity = 'possible_takedown') as "possibleTakedowns",
      (select max(l.id)::integer from feed_runs l
        where l.id > r.id and l.status = 'applied' and l.source = r.source and l.entity = r.entity and l.kind = r.kind
          and l.country = r.country and l.feed_date = r.feed_date) as "reappliedBy",
      (select max(l.id)::integer from feed_runs l
        where l.id > r.id and l.status = 'applied' and l.source = r.source and l.entity = r.entity and l.kind = r.kind
          and l.country = r.country and l.feed_date >= r.feed_date) as "supersededBy"
    from feed_runs r
    where r.created_at >= ${since.toISOString()}::timestamptz
      and (r.status in ('rejected', 'failed') or r.quarantined > 0
        or exists (select 1 from feed_batches b where b.run_id = r.id and b.status = 'failed'))
    order by r.id`);
}

/** Feeds the scheduler recorded as missing (feed_fetches, issue 3), and whether they arrived since. */
export interface MissingFeed {
  source: string;
  entity: string;
  kind: string;
  country: string;
  feedDate: string;
  status: FetchStatus;
  lastError: string | null;
  lastHttpStatus: number | null;
}

export async function missingFeeds(db: Executor): Promise<MissingFeed[]> {
  return query<MissingFeed>(db, sql`
    select source, entity, kind, country, feed_date::text as "feedDate", status, last_error as "lastError", last_http_status as "lastHttpStatus"
    from feed_fetches where status = 'missing' order by feed_date, entity, kind, country`);
}

/** Subjects of open alerts of a kind, to resolve those whose condition has cleared. */
export async function openSubjects(db: Executor, kind: string): Promise<{ subject: string; details: Record<string, unknown> }[]> {
  return query(db, sql`select subject, details from alerts where kind = ${kind} and state <> 'resolved'`);
}

/** A feed and date; without a source, any source's (the scheduler's alerts don't name one). */
export interface FeedDate {
  source?: string;
  entity: string;
  kind: string;
  country: string;
  feedDate: string;
}

export async function feedFetchStatus(db: Executor, feed: FeedDate): Promise<FetchStatus | undefined> {
  const [row] = await query<{ status: FetchStatus }>(db, sql`
    select status from feed_fetches where (${feed.source ?? null}::text is null or source = ${feed.source ?? null})
      and entity = ${feed.entity} and kind = ${feed.kind} and country = ${feed.country} and feed_date = ${feed.feedDate}
    order by (status = 'missing') limit 1`);
  return row?.status;
}

export async function feedDateApplied(db: Executor, feed: FeedDate): Promise<boolean> {
  const [row] = await query<{ n: number }>(db, sql`
    select count(*)::integer as n from feed_runs where status = 'applied' and (${feed.source ?? null}::text is null or source = ${feed.source ?? null})
      and entity = ${feed.entity} and kind = ${feed.kind} and country = ${feed.country} and feed_date = ${feed.feedDate}`);
  return (row?.n ?? 0) > 0;
}

/** Per feed (source, entity, kind, country): the newest feed date applied, from cursors and runs. */
export interface FeedProgress {
  source: string;
  entity: string;
  kind: string;
  country: string;
  lastAppliedDate: string | null;
  lastAppliedAt: Date | null;
}

export async function feedProgress(db: Executor): Promise<FeedProgress[]> {
  return query<FeedProgress>(db, sql`
    with applied as (
      select source, entity, kind, country, max(feed_date) as d, max(applied_at) as at
      from feed_runs where status = 'applied' group by 1, 2, 3, 4
    ), cursors as (
      select source, entity, kind, country, last_applied_date as d from feed_cursors
    )
    select coalesce(a.source, c.source) as source, coalesce(a.entity, c.entity) as entity, coalesce(a.kind, c.kind) as kind,
      coalesce(a.country, c.country) as country, greatest(a.d, c.d)::text as "lastAppliedDate", a.at as "lastAppliedAt"
    from applied a full join cursors c using (source, entity, kind, country)
    order by 1, 2, 3, 4`);
}

/** Totals applied by action since the beginning: counters for /metrics. */
export async function appliedTotals(db: Executor): Promise<{ inserted: number; updated: number; takenDown: number; unchanged: number }> {
  const [row] = await query<{ inserted: number; updated: number; takenDown: number; unchanged: number }>(db, sql`
    select coalesce(sum(inserted), 0)::float8 as inserted, coalesce(sum(updated), 0)::float8 as updated,
      coalesce(sum(taken_down), 0)::float8 as "takenDown", coalesce(sum(unchanged), 0)::float8 as unchanged
    from feed_batches where status = 'applied'`);
  return row ?? { inserted: 0, updated: 0, takenDown: 0, unchanged: 0 };
}

export async function quarantinedTotals(db: Executor): Promise<{ entity: string; country: string; rows: number }[]> {
  return query(db, sql`
    select r.entity, r.country, count(*)::float8 as rows from quarantine q join feed_runs r on r.id = q.run_id where q.severity <> 'warning' group by 1, 2 order by 1, 2`);
}

/**
 * Takedown latency (publication to applied) as cumulative bucket counts, computed in one
 * pass over the audit: the histogram /metrics exposes. Takedowns without a publication
 * time (full-feed reconciliation, DDEX scheduled ends) have no SLA clock and are left out.
 */
export async function takedownLatencyBuckets(db: Executor, bucketsSeconds: readonly number[]): Promise<{ counts: number[]; count: number; sum: number }> {
  const filters = bucketsSeconds.map((b) => sql`count(*) filter (where extract(epoch from applied_at - published_at) <= ${b})::float8`);
  const [row] = await query<Record<string, number>>(db, sql`
    select count(*)::float8 as count, coalesce(sum(extract(epoch from applied_at - published_at)), 0)::float8 as sum,
      ${sql.join(filters.map((f, i) => sql`${f} as ${sql.identifier(`b${i}`)}`), sql`, `)}
    from takedown_audit where published_at is not null`);
  return { counts: bucketsSeconds.map((_, i) => row?.[`b${i}`] ?? 0), count: row?.count ?? 0, sum: row?.sum ?? 0 };
}

/** One takedown for the compliance report (docs/feeds.md rule 4). */
export interface TakedownRecord {
  entity: string;
  source: string;
  itemId: string;
  country: string;
  reason: string;
  runId: number | null;
  feed: string | null;
  feedDate: string | null;
  line: number | null;
  publishedAt: Date | null;
  receivedAt: Date | null;
  appliedAt: Date;
  /** When the DDEX sender was told (its acknowledgement written); null for a feed, or not yet. */
  senderToldAt: Date | null;
}

/** Takedowns applied in [from, to), optionally in one country, in the order they were applied. */
export async function takedownsApplied(db: Executor, range: { from: Date; to: Date; country?: string }, limit?: number): Promise<TakedownRecord[]> {
  return query<TakedownRecord>(db, sql`
    select t.entity, t.source, t.item_id as "itemId", t.country, t.reason, t.run_id::integer as "runId",
      r.file_name as feed, r.feed_date::text as "feedDate", t.line,
      coalesce(t.published_at, r.published_at) as "publishedAt", coalesce(t.received_at, r.created_at) as "receivedAt",
      t.applied_at as "appliedAt",
      (select min(a.written_at) from ddex_acks a where a.run_id = t.run_id) as "senderToldAt"
    from takedown_audit t left join feed_runs r on r.id = t.run_id
    where t.applied_at >= ${range.from.toISOString()}::timestamptz and t.applied_at < ${range.to.toISOString()}::timestamptz
      and (${range.country ?? null}::text is null or t.country = ${range.country ?? null})
    order by t.applied_at desc, t.id desc
    ${limit === undefined ? sql`` : sql`limit ${limit}`}`);
}

/** A run applied in the range: the per-feed summary of the report. */
export type AppliedRun = Pick<Run, 'id' | 'source' | 'entity' | 'kind' | 'country' | 'feedDate' | 'fileName' | 'publishedAt'> & RunCounts & {
  receivedAt: Date;
  appliedAt: Date;
};

export async function runsApplied(db: Executor, range: { from: Date; to: Date; country?: string }): Promise<AppliedRun[]> {
  return query<AppliedRun>(db, sql`
    select id::integer as id, source, entity, kind, country, feed_date::text as "feedDate", file_name as "fileName", rows,
      inserted, updated, taken_down as "takenDown", unchanged, quarantined,
      published_at as "publishedAt", created_at as "receivedAt", applied_at as "appliedAt"
    from feed_runs
    where status = 'applied' and applied_at >= ${range.from.toISOString()}::timestamptz and applied_at < ${range.to.toISOString()}::timestamptz
      and (${range.country ?? null}::text is null or country = ${range.country ?? null})
    order by applied_at, id`);
}
