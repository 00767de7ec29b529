// The Catalogue Events inbox as a round of the apply reads and closes it (src/events/apply.ts):
// each statement here serves every event of the round, so a round of a hundred events costs
// about as many statements as one event did.
import { sql } from 'drizzle-orm';
import { pgArray } from './array-param.js';
import { query, type Orm } from './client.js';
import type { ApplyCounts, InboxEvent, StoredReleaseRow, StoredRow } from './events.js';
import type { InboxStatus } from '../catalogue/statuses.js';

type Executor = Pick<Orm, 'execute'>;

const INBOX_COLUMNS = sql.raw(`e.id::integer as id, e.endpoint, e.item_id as "itemId", e.version::text as version, e.body,
  e.run_id::integer as "runId", e.received_at as "receivedAt", e.status, r.version_base::text as "changeVersion"`);

/** Locks the open events among `ids` for the round's transaction, skipping those another worker holds. */
export async function lockOpenEvents(db: Executor, ids: readonly number[]): Promise<InboxEvent[]> {
  if (ids.length === 0) return [];
  return query<InboxEvent>(db, sql`
    select ${INBOX_COLUMNS} from events_inbox e join feed_runs r on r.id = e.run_id
    where e.id = any(${pgArray(ids)}::bigint[]) and e.status in ('pending', 'waiting')
    order by e.id for update of e skip locked`);
}

/**
 * Holds a transaction-scoped lock on each item until commit, taken in one order by every
 * worker so two rounds sharing items wait for each other rather than deadlock.
 */
export async function lockEventItems(db: Executor, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await db.execute(sql`
    select count(pg_advisory_xact_lock(k.h)) from (
      select distinct hashtext(key) as h from unnest(${pgArray(keys)}::text[]) as key order by 1
    ) k`);
}

function grouped<Row extends { releaseId: string }>(rows: readonly Row[]): Map<string, Omit<Row, 'releaseId'>[]> {
  const byRelease = new Map<string, Omit<Row, 'releaseId'>[]>();
  for (const { releaseId, ...row } of rows) {
    const list = byRelease.get(releaseId) ?? [];
    list.push(row);
    byRelease.set(releaseId, list);
  }
  return byRelease;
}

/** Every territory row of these releases, by release id. */
export async function releasesRows(db: Executor, source: string, releaseIds: readonly string[]): Promise<Map<string, StoredReleaseRow[]>> {
  if (releaseIds.length === 0) return new Map();
  return grouped(await query<StoredReleaseRow & { releaseId: string }>(db, sql`
    select id as "releaseId", id, country, change_version::text as version, status, takedown_reason as reason
    from releases where source = ${source} and id = any(${pgArray(releaseIds)}::text[])
    order by id, country`));
}

/** Every row of every track stored under these releases, by release id. */
export async function releasesTrackRows(db: Executor, source: string, releaseIds: readonly string[]): Promise<Map<string, StoredRow[]>> {
  if (releaseIds.length === 0) return new Map();
  return grouped(await query<StoredRow & { releaseId: string }>(db, sql`
    select release_id as "releaseId", id, country, change_version::text as version from tracks
    where source = ${source} and release_id = any(${pgArray(releaseIds)}::text[]) order by id, country`));
}

/** Which of these tracks are stored in any territory. */
export async function storedTracks(db: Executor, source: string, trackIds: readonly string[]): Promise<Set<string>> {
  if (trackIds.length === 0) return new Set();
  const rows = await query<{ id: string }>(db, sql`
    select distinct id from tracks where source = ${source} and id = any(${pgArray(trackIds)}::text[])`);
  return new Set(rows.map((r) => r.id));
}

export interface EventClose {
  event: InboxEvent;
  status: Extract<InboxStatus, 'applied' | 'stale'>;
  counts: ApplyCounts;
}

/** Closes applied (or stale) events and their batches, one statement each; their runs are finished by finishRuns. */
export async function closeEvents(db: Executor, closes: readonly EventClose[]): Promise<void> {
  if (closes.length === 0) return;
  const input = JSON.stringify(closes.map(({ event, status, counts }) => ({ id: event.id, run_id: event.runId, status, ...counts })));
  const record = sql.raw(`c(id bigint, run_id bigint, status text, inserted integer, updated integer, "takenDown" integer, unchanged integer)`);
  await db.execute(sql`
    update events_inbox e set status = c.status, reason = null, attempts = e.attempts + 1, applied_at = now(),
      result = jsonb_build_object('inserted', c.inserted, 'updated', c.updated, 'takenDown', c."takenDown", 'unchanged', c.unchanged)
    from jsonb_to_recordset(${input}::jsonb) as ${record}
    where e.id = c.id`);
  await db.execute(sql`
    update feed_batches b set status = 'applied', attempts = b.attempts + 1, applied_at = now(), error = null,
      inserted = c.inserted, updated = c.updated, taken_down = c."takenDown", unchanged = c.unchanged
    from jsonb_to_recordset(${input}::jsonb) as ${record}
    where b.run_id = c.run_id and b.seq = 0`);
}

export interface EventMark {
  id: number;
  status: Extract<InboxStatus, 'waiting' | 'rejected'>;
  reason: string;
}

/**
 * Events that will not apply now, with their reasons: `waiting` (an enhancement whose track is
 * not stored yet: the sweep tries again) or `rejected` (availability that cannot be read, or
 * values the database refuses: src/events/refused.ts), whose runs the caller rejects (rejectRuns).
 */
export async function markEvents(db: Executor, marks: readonly EventMark[]): Promise<void> {
  if (marks.length === 0) return;
  await db.execute(sql`
    update events_inbox e set status = m.status, reason = m.reason, attempts = e.attempts + 1
    from jsonb_to_recordset(${JSON.stringify(marks)}::jsonb) as m(id bigint, status text, reason text)
    where e.id = m.id`);
}

export interface Enhancement {
  trackId: string;
  version: string;
  data: unknown;
  inboxId: number;
}

/**
 * Attaches Enhanced Metadata to tracks unless a newer version is attached (no track twice);
 * the inbox ids of those written.
 */
export async function upsertEnhancements(db: Executor, source: string, items: readonly Enhancement[]): Promise<Set<number>> {
  if (items.length === 0) return new Set();
  const written = await query<{ inboxId: number }>(db, sql`
    insert into track_enhancements as cur (source, track_id, version, data, inbox_id)
    select ${source}, i."trackId", i.version, i.data, i."inboxId"
    from jsonb_to_recordset(${JSON.stringify(items)}::jsonb) as i("trackId" text, version bigint, data jsonb, "inboxId" bigint)
    order by i."trackId"
    on conflict (source, track_id) do update set version = excluded.version, data = excluded.data, inbox_id = excluded.inbox_id, updated_at = now()
    where cur.version < excluded.version
    returning cur.inbox_id::integer as "inboxId"`);
  return new Set(written.map((r) => r.inboxId));
}
