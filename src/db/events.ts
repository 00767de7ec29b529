// The Catalogue Events inbox in PostgreSQL (schema/events.ts). An accepted event is stored
// with a run of kind `event` in one statement, so the SLA clock, the takedown evidence,
// `feedline report`, `feedline sla` and /metrics see it as they see a feed run: published at
// its receipt (or the token's iat when earlier), applied when its apply commits.
import { sql } from 'drizzle-orm';
import { query, type Orm } from './client.js';
import type { InboxStatus } from '../catalogue/statuses.js';

type Executor = Pick<Orm, 'execute'>;

export interface IncomingEvent {
  endpoint: 'standard' | 'enhanced';
  source: string;
  itemId: string;
  version: bigint;
  /** Catalogue order of the event (src/events/version.ts). */
  changeVersion: bigint;
  takedown: boolean;
  test: boolean;
  body: string;
  sha256: string;
  bytes: number;
  gzip: boolean;
  receivedAt: Date;
  iat: Date | undefined;
  jti: string | undefined;
  ackMs: number;
}

export type StoreOutcome =
  | { outcome: 'stored'; id: number; conflicting: boolean }
  | { outcome: 'duplicate' }
  | { outcome: 'test'; id: number | undefined };

/**
 * Stores the event (once) and, unless it is a test event, its run and batch; the caller
 * answers 2XX after this. One statement, so one round trip and one commit per request: the
 * run id is drawn first so the inbox row can name it (the foreign key is checked at the end
 * of the statement, when the run exists). A duplicate inserts nothing and wastes one id.
 */
export async function storeEvent(db: Executor, event: IncomingEvent): Promise<StoreOutcome> {
  const entity = event.endpoint === 'standard' ? 'release' : 'track';
  const what = event.takedown ? 'takedown' : event.endpoint === 'standard' ? 'release' : 'enhanced';
  const receivedAt = event.receivedAt.toISOString();
  const [row] = await query<{ id: number; conflicting: boolean }>(db, sql`
    with next as (select case when ${event.test} then null else nextval('feed_runs_id_seq') end as run_id),
    stored as (
      insert into events_inbox (endpoint, item_id, version, takedown, content_sha256, body, bytes, gzip, received_at,
        jwt_iat, jwt_jti, conflicting, http_status, ack_ms, status, run_id)
      select ${event.endpoint}, ${event.itemId}, ${event.version.toString()}::bigint, ${event.takedown}, ${event.sha256},
        ${event.body}, ${event.bytes}, ${event.gzip}, ${receivedAt}::timestamptz,
        ${event.iat?.toISOString() ?? null}::timestamptz, ${event.jti ?? null},
        exists (select 1 from events_inbox o where o.endpoint = ${event.endpoint} and o.item_id = ${event.itemId}
          and o.version = ${event.version.toString()}::bigint and o.content_sha256 <> ${event.sha256}),
        ${event.test ? 200 : 202}, ${event.ackMs}, ${event.test ? 'test' : 'pending'}, next.run_id
      from next
      on conflict (endpoint, item_id, version, content_sha256) do nothing
      returning id, conflicting, run_id
    ),
    run as (
      insert into feed_runs (id, source, entity, kind, country, feed_date, published_at, file_name, file_sha256, file_bytes,
        archive_path, status, version_base, batch_size, batches_total, rows, meta, created_at, heartbeat_at)
      select s.run_id, ${event.source}, ${entity}, 'event', 'WW', (${receivedAt}::timestamptz at time zone 'UTC')::date,
        least(${receivedAt}::timestamptz, coalesce(${event.iat?.toISOString() ?? null}::timestamptz, 'infinity')),
        ${`event ${what} ${event.itemId} v${event.version}`}, ${event.sha256}, ${event.bytes}, 'events_inbox/' || s.id,
        'applying', ${event.changeVersion.toString()}::bigint, 1, 1, 0,
        jsonb_build_object('inboxId', s.id, 'eventVersion', ${event.version.toString()}::text, 'conflicting', s.conflicting),
        ${receivedAt}::timestamptz, now()
      from stored s where s.run_id is not null
      returning id
    ),
    batch as (
      insert into feed_batches (run_id, seq, first_line, last_line, rows, updates, deletes)
      select id, 0, 1, 1, 1, ${event.takedown ? 0 : 1}, ${event.takedown ? 1 : 0} from run
    )
    select id::integer as id, conflicting from stored`);
  if (!row) return event.test ? { outcome: 'test', id: undefined } : { outcome: 'duplicate' };
  return event.test ? { outcome: 'test', id: row.id } : { outcome: 'stored', id: row.id, conflicting: row.conflicting };
}

export interface RejectedEvent {
  endpoint: 'standard' | 'enhanced';
  source: string;
  body: string;
  sha256: string;
  bytes: number;
  gzip: boolean;
  receivedAt: Date;
  reason: string;
  ackMs: number;
}

/**
 * Records a body we answer 400 to, with a rejected run so that it alerts as a rejected feed
 * does: the provider retries it and then parks it, and only an operator can redrive it.
 */
export async function storeRejected(db: Orm, event: RejectedEvent): Promise<void> {
  // Entity `event`, not release or track: the SLA sweep counts a rejected run as fixed once a
  // later run of the same feed and date applies, and any later event would look like one.
  const entity = 'event';
  await db.execute(sql`
    with run as (
      insert into feed_runs (source, entity, kind, country, feed_date, published_at, file_name, file_sha256, file_bytes,
        archive_path, status, error, version_base, batch_size, created_at)
      values (${event.source}, ${entity}, 'event', 'WW', (${event.receivedAt.toISOString()}::timestamptz at time zone 'UTC')::date,
        ${event.receivedAt.toISOString()}::timestamptz, ${`event ${event.endpoint} (rejected)`}, ${event.sha256}, ${event.bytes},
        'events_inbox', 'rejected', ${event.reason}, 0, 1, ${event.receivedAt.toISOString()}::timestamptz)
      returning id
    )
    insert into events_inbox (endpoint, content_sha256, body, bytes, gzip, received_at, http_status, ack_ms, status, reason, run_id)
    select ${event.endpoint}, ${event.sha256}, ${event.body}, ${event.bytes}, ${event.gzip}, ${event.receivedAt.toISOString()}::timestamptz,
      400, ${event.ackMs}, 'rejected', ${event.reason}, run.id from run`);
}

/** An inbox row as the apply step reads it. */
export interface InboxEvent {
  id: number;
  endpoint: 'standard' | 'enhanced';
  itemId: string;
  version: string;
  body: string;
  runId: number;
  receivedAt: Date;
  status: InboxStatus;
  changeVersion: string;
}

const INBOX_COLUMNS = sql.raw(`e.id::integer as id, e.endpoint, e.item_id as "itemId", e.version::text as version, e.body,
  e.run_id::integer as "runId", e.received_at as "receivedAt", e.status, r.version_base::text as "changeVersion"`);

/** Locks one open event for its apply transaction; undefined when another worker has it or it is done. */
export async function lockOpenEvent(db: Executor, id: number): Promise<InboxEvent | undefined> {
  const [row] = await query<InboxEvent>(db, sql`
    select ${INBOX_COLUMNS} from events_inbox e join feed_runs r on r.id = e.run_id
    where e.id = ${id} and e.status in ('pending', 'waiting') for update of e skip locked`);
  return row;
}

/** Events to re-apply by `feedline events replay`: accepted ones received in [from, to). */
export async function eventsReceivedBetween(db: Executor, from: Date, to: Date): Promise<number[]> {
  const rows = await query<{ id: number }>(db, sql`
    select id::integer as id from events_inbox
    where run_id is not null and status in ('pending', 'waiting', 'applied', 'stale')
      and received_at >= ${from.toISOString()}::timestamptz and received_at < ${to.toISOString()}::timestamptz
    order by id`);
  return rows.map((r) => r.id);
}

/** Marks events open again for a replay (their runs go back to applying). */
export async function reopenEvents(db: Executor, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.execute(sql`
    with reopened as (
      update events_inbox set status = 'pending', reason = null where id in (select unnest(${`{${ids.join(',')}}`}::bigint[]))
      returning run_id
    )
    update feed_runs set status = 'applying', batches_applied = 0 where id in (select run_id from reopened)`);
  await db.execute(sql`update feed_batches set status = 'pending' where seq = 0 and run_id in (
    select run_id from events_inbox where id in (select unnest(${`{${ids.join(',')}}`}::bigint[])))`);
}

/** Open events older than `olderThanSeconds`: what the sweep hands to apply again (a lost job, a waiting enhancement). */
export async function openEventIds(db: Executor, olderThanSeconds: number, limit: number): Promise<number[]> {
  const rows = await query<{ id: number }>(db, sql`
    select id::integer as id from events_inbox
    where status in ('pending', 'waiting') and received_at < now() - make_interval(secs => ${olderThanSeconds})
    order by id limit ${limit}`);
  return rows.map((r) => r.id);
}

export interface ApplyCounts {
  inserted: number;
  updated: number;
  takenDown: number;
  unchanged: number;
}

/**
 * Finishes an event and its run in the apply transaction. `rows` is every catalogue row the
 * event stated, so the run's records add up (applied, or unchanged when stale).
 */
export async function finishEvent(db: Executor, event: InboxEvent, status: Extract<InboxStatus, 'applied' | 'stale'>, counts: ApplyCounts): Promise<void> {
  const rows = counts.inserted + counts.updated + counts.takenDown + counts.unchanged;
  await db.execute(sql`
    update events_inbox set status = ${status}, reason = null, attempts = attempts + 1, applied_at = now(),
      result = ${JSON.stringify(counts)}::jsonb
    where id = ${event.id}`);
  await db.execute(sql`
    update feed_batches set status = 'applied', attempts = attempts + 1, applied_at = now(), error = null,
      inserted = ${counts.inserted}, updated = ${counts.updated}, taken_down = ${counts.takenDown}, unchanged = ${counts.unchanged}
    where run_id = ${event.runId} and seq = 0`);
  await db.execute(sql`
    update feed_runs set status = 'applied', applied_at = now(), parsed_at = coalesce(parsed_at, now()), batches_applied = 1,
      rows = ${rows}, inserted = ${counts.inserted}, updated = ${counts.updated}, taken_down = ${counts.takenDown}, unchanged = ${counts.unchanged}
    where id = ${event.runId}`);
}

/** An enhancement whose track is not stored yet: it waits (the sweep tries again), then is rejected. */
export async function markWaiting(db: Executor, event: InboxEvent, reason: string, giveUp: boolean): Promise<void> {
  await db.execute(sql`
    update events_inbox set status = ${giveUp ? 'rejected' : 'waiting'}, reason = ${reason}, attempts = attempts + 1 where id = ${event.id}`);
  if (giveUp) await db.execute(sql`update feed_runs set status = 'rejected', error = ${reason} where id = ${event.runId}`);
}

/** Holds a transaction-scoped lock on one item's events until commit. Parameters: the lock key. */
export async function lockEventItem(db: Executor, key: string): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${key}))`);
}

/** A stored catalogue row's territory and version. */
export interface StoredRow { id: string; country: string; version: string }

/** A stored release row: also its availability, which says whether a takedown is the newest word. */
export interface StoredReleaseRow extends StoredRow { status: string; reason: string | null }

/** A release's rows in every territory. Parameters: source, release id. */
export async function releaseRows(db: Executor, source: string, id: string): Promise<StoredReleaseRow[]> {
  return query<StoredReleaseRow>(db, sql`
    select id, country, change_version::text as version, status, takedown_reason as reason
    from releases where source = ${source} and id = ${id} order by country`);
}

/** The rows of every track stored under a release. Parameters: source, release id. */
export async function releaseTrackRows(db: Executor, source: string, releaseId: string): Promise<StoredRow[]> {
  return query<StoredRow>(db, sql`
    select id, country, change_version::text as version from tracks where source = ${source} and release_id = ${releaseId} order by id, country`);
}

/** Whether a track is stored in any territory. Parameters: source, track id. */
export async function trackStored(db: Executor, source: string, trackId: string): Promise<boolean> {
  const [track] = await query<{ id: string }>(db, sql`select id from tracks where source = ${source} and id = ${trackId} limit 1`);
  return track !== undefined;
}

/**
 * Attaches Enhanced Metadata to a track unless a newer version is attached; true when it
 * wrote. Parameters: source, track id, the event's version, the data, the inbox id.
 */
export async function upsertEnhancement(db: Executor, source: string, trackId: string, version: string, data: unknown, inboxId: number): Promise<boolean> {
  const written = await query<{ n: number }>(db, sql`
    insert into track_enhancements as cur (source, track_id, version, data, inbox_id)
    values (${source}, ${trackId}, ${version}::bigint, ${JSON.stringify(data)}::jsonb, ${inboxId})
    on conflict (source, track_id) do update set version = excluded.version, data = excluded.data, inbox_id = excluded.inbox_id, updated_at = now()
    where cur.version < excluded.version
    returning 1 as n`);
  return written.length > 0;
}
