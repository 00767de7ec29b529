// The Catalogue Events inbox in PostgreSQL (schema/events.ts). The items of an accepted request
// are stored, each with its own run of kind `event`, in one statement, so the SLA clock, the takedown evidence,
// `feedline report`, `feedline sla` and /metrics see it as they see a feed run: published at
// its receipt (or the token's iat when earlier), applied when its apply commits.
import { sql } from 'drizzle-orm';
import { query, type Orm } from './client.js';
import type { InboxStatus } from '../catalogue/statuses.js';

type Executor = Pick<Orm, 'execute'>;

/** What a request carried besides its items: one per request, shared by every item of it. */
export interface IncomingRequest {
  endpoint: 'standard' | 'enhanced';
  source: string;
  gzip: boolean;
  receivedAt: Date;
  iat: Date | undefined;
  jti: string | undefined;
  ackMs: number;
}

/** One item of a request, stored as its own event. */
export interface IncomingItem {
  itemId: string;
  version: bigint;
  /** Catalogue order of the event (src/events/version.ts). */
  changeVersion: bigint;
  takedown: boolean;
  test: boolean;
  /** The item's own JSON text, unknown fields kept. */
  body: string;
  sha256: string;
  bytes: number;
}

export type StoreOutcome =
  | { outcome: 'stored'; id: number; conflicting: boolean }
  | { outcome: 'duplicate' }
  | { outcome: 'test'; id: number | undefined };

/**
 * Stores every item of a request (each once) and, for each that is not a test event, its own
 * run and batch; the caller answers 2XX after this. One statement, so one round trip and one
 * commit per request, all of its items or none: run ids are drawn first so the inbox rows can
 * name them (the foreign key is checked at the end of the statement, when the runs exist). A
 * duplicate item inserts nothing and wastes one id. Outcomes are in the items' order.
 */
export async function storeEvents(db: Executor, request: IncomingRequest, items: readonly IncomingItem[]): Promise<StoreOutcome[]> {
  const entity = request.endpoint === 'standard' ? 'release' : 'track';
  const receivedAt = request.receivedAt.toISOString();
  const iat = request.iat?.toISOString() ?? null;
  const input = JSON.stringify(items.map((item, ord) => ({
    ord, item_id: item.itemId, version: item.version.toString(), change_version: item.changeVersion.toString(), takedown: item.takedown,
    test: item.test, body: item.body, sha256: item.sha256, bytes: item.bytes,
    file_name: `event ${item.takedown ? 'takedown' : request.endpoint === 'standard' ? 'release' : 'enhanced'} ${item.itemId} v${item.version}`,
  })));
  const rows = await query<{ ord: number; id: number; conflicting: boolean }>(db, sql`
    with input as (
      select i.*, case when i.test then null else nextval('feed_runs_id_seq') end as run_id
      from jsonb_to_recordset(${input}::jsonb) as i(ord integer, item_id text, version bigint, change_version bigint, takedown boolean,
        test boolean, body text, sha256 text, bytes integer, file_name text)
    ),
    stored as (
      insert into events_inbox (endpoint, item_id, version, takedown, content_sha256, body, bytes, gzip, received_at,
        jwt_iat, jwt_jti, conflicting, http_status, ack_ms, status, run_id)
      select ${request.endpoint}, i.item_id, i.version, i.takedown, i.sha256, i.body, i.bytes, ${request.gzip}, ${receivedAt}::timestamptz,
        ${iat}::timestamptz, ${request.jti ?? null},
        exists (select 1 from events_inbox o where o.endpoint = ${request.endpoint} and o.item_id = i.item_id
          and o.version = i.version and o.content_sha256 <> i.sha256),
        case when i.test then 200 else 202 end, ${request.ackMs}, case when i.test then 'test' else 'pending' end, i.run_id
      from input i order by i.ord
      on conflict (endpoint, item_id, version, content_sha256) do nothing
      returning id, conflicting, run_id, item_id, version, content_sha256
    ),
    matched as (
      select s.*, i.ord, i.change_version, i.takedown, i.file_name from stored s
      join input i on i.item_id = s.item_id and i.version = s.version and i.sha256 = s.content_sha256 and i.run_id is not distinct from s.run_id
    ),
    run as (
      insert into feed_runs (id, source, entity, kind, country, feed_date, published_at, file_name, file_sha256, file_bytes,
        archive_path, status, version_base, batch_size, batches_total, rows, meta, created_at, heartbeat_at)
      select m.run_id, ${request.source}, ${entity}, 'event', 'WW', (${receivedAt}::timestamptz at time zone 'UTC')::date,
        least(${receivedAt}::timestamptz, coalesce(${iat}::timestamptz, 'infinity')),
        m.file_name, m.content_sha256, i.bytes, 'events_inbox/' || m.id,
        'applying', m.change_version, 1, 1, 0,
        jsonb_build_object('inboxId', m.id, 'eventVersion', m.version::text, 'conflicting', m.conflicting, 'requestItem', m.ord, 'requestItems', ${items.length}::integer),
        ${receivedAt}::timestamptz, now()
      from matched m join input i on i.ord = m.ord where m.run_id is not null
      returning id
    ),
    batch as (
      insert into feed_batches (run_id, seq, first_line, last_line, rows, updates, deletes)
      select m.run_id, 0, 1, 1, 1, case when m.takedown then 0 else 1 end, case when m.takedown then 1 else 0 end
      from matched m where m.run_id in (select id from run)
    )
    select ord, id::integer as id, conflicting from matched`);
  const byOrd = new Map(rows.map((r) => [r.ord, r]));
  return items.map((item, ord) => {
    const row = byOrd.get(ord);
    if (item.test) return { outcome: 'test', id: row?.id };
    return row ? { outcome: 'stored', id: row.id, conflicting: row.conflicting } : { outcome: 'duplicate' };
  });
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

/**
 * A snapshot whose availability cannot be read, or whose values the database refuses
 * (src/events/refused.ts): the event and its run are rejected with the reason, nothing of it
 * applied. The run's entity becomes `event` (as a refused request's is), so a later event of
 * the same day does not count as its fix and the alert stays open.
 */
export async function markUnreadable(db: Executor, event: InboxEvent, reason: string): Promise<void> {
  await db.execute(sql`update events_inbox set status = 'rejected', reason = ${reason}, attempts = attempts + 1 where id = ${event.id}`);
  await db.execute(sql`update feed_runs set status = 'rejected', entity = 'event', error = ${reason} where id = ${event.runId}`);
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
