// What the playback gate reads and writes besides plays: one track's availability facts in
// every country (the facts src/gate/decision.ts decides on) and consumed stream-URL nonces.
import { sql } from 'drizzle-orm';
import { query, type Orm } from './client.js';

type Db = Pick<Orm, 'execute'>;

/** One catalogue row's availability (tracks or releases). */
export interface RowFacts {
  status: 'live' | 'taken_down' | string;
  takedownReason: string | null;
  changeVersion: bigint;
  /** A CSV track's `streamingReleaseDate`; null elsewhere. */
  availableFrom: Date | null;
}

/** A pending deal start or end (scheduled_availability_changes) of one territory row. */
export interface ScheduledFacts {
  dueAt: Date;
  changeVersion: bigint;
  targetStatus: string;
  reason: string;
}

export interface ItemFacts {
  /** country (or WW) -> row. */
  rows: Map<string, RowFacts>;
  /** country (or WW) -> pending changes, in due order. */
  scheduled: Map<string, ScheduledFacts[]>;
}

/** Everything the playback rule needs about one track, in every country. */
export interface TrackFacts {
  track: ItemFacts;
  /** The releases it is streamed under (its CSV releaseId, the DDEX releases that license it). */
  releases: Map<string, ItemFacts>;
}

interface RowRecord {
  entity: 'track' | 'release' | 'link';
  id: string;
  country: string;
  status: string;
  reason: string | null;
  version: string;
  available_from: Date | null;
}

interface ScheduleRecord {
  entity: 'track' | 'release';
  id: string;
  country: string;
  due_at: Date;
  version: string;
  target_status: string;
  reason: string;
}

/**
 * The track's rows in every country, the releases it is streamed under (its own
 * `release_id` column and the DDEX releases whose deals still license it) with their rows,
 * and the pending deal changes of all of them. Undefined when the track has no row at all.
 * Parameters: source and track id as the catalogue keys them.
 */
export async function loadTrackFacts(db: Db, source: string, trackId: string): Promise<TrackFacts | undefined> {
  const rows = await query<RowRecord>(db, sql`
    with track_rows as (
      select id, country, status, takedown_reason, change_version, streaming_release_date, release_id
      from tracks where source = ${source} and id = ${trackId}
    ), release_ids as (
      select release_id from track_rows where release_id is not null and release_id <> ''
      union
      select release_id from ddex_release_tracks
      where source = ${source} and isrc = ${trackId} and jsonb_array_length(deals) > 0
    )
    select 'track' as entity, id, country, status, takedown_reason as reason,
      change_version::text as version, streaming_release_date as available_from
    from track_rows
    union all
    select 'release', r.id, r.country, r.status, r.takedown_reason, r.change_version::text, null
    from releases r where r.source = ${source} and r.id in (select release_id from release_ids)
    union all
    -- Every linked release, rows or not: the view must hear when one first arrives.
    select 'link', release_id, '', '', null, '0', null from release_ids`);
  if (!rows.some((r) => r.entity === 'track')) return undefined;
  const releaseIds = rows.filter((r) => r.entity === 'link').map((r) => r.id);
  const schedule = await query<ScheduleRecord>(db, sql`
    select entity, item_id as id, country, due_at, change_version::text as version, target_status, reason
    from scheduled_availability_changes
    where status = 'pending' and source = ${source}
      and ((entity = 'track' and item_id = ${trackId})
        or (entity = 'release' and ${releaseIds.length > 0 ? sql`item_id in (${sql.join(releaseIds.map((id) => sql`${id}`), sql`, `)})` : sql`false`}))
    order by due_at, id`);

  const facts: TrackFacts = { track: emptyItem(), releases: new Map() };
  const itemOf = (entity: string, id: string): ItemFacts => {
    if (entity === 'track') return facts.track;
    let item = facts.releases.get(id);
    if (!item) facts.releases.set(id, (item = emptyItem()));
    return item;
  };
  for (const row of rows) {
    if (row.entity === 'link') {
      itemOf('release', row.id);
      continue;
    }
    itemOf(row.entity, row.id).rows.set(row.country, {
      status: row.status,
      takedownReason: row.reason,
      changeVersion: BigInt(row.version),
      availableFrom: row.available_from,
    });
  }
  for (const change of schedule) {
    const scheduled = itemOf(change.entity, change.id).scheduled;
    const list = scheduled.get(change.country) ?? [];
    list.push({ dueAt: change.due_at, changeVersion: BigInt(change.version), targetStatus: change.target_status, reason: change.reason });
    scheduled.set(change.country, list);
  }
  return facts;
}

function emptyItem(): ItemFacts {
  return { rows: new Map(), scheduled: new Map() };
}

/**
 * Consumes a nonce: true for the first caller, false for every later one (any process), as
 * the primary key makes the insert atomic. Parameters: the nonce and when its URL expires.
 */
export async function consumeNonce(db: Db, nonce: string, expiresAt: Date): Promise<boolean> {
  const rows = await query<{ nonce: string }>(db, sql`
    insert into gate_nonces (nonce, expires_at) values (${nonce}, ${expiresAt.toISOString()})
    on conflict (nonce) do nothing returning nonce`);
  return rows.length === 1;
}

/** Forgets nonces whose URLs have expired (they can no longer verify); returns how many. */
export async function pruneNonces(db: Db, before: Date): Promise<number> {
  const rows = await query<{ nonce: string }>(db, sql`delete from gate_nonces where expires_at < ${before.toISOString()} returning nonce`);
  return rows.length;
}
