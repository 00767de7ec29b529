// DDEX state in PostgreSQL (issue 5): release key aliases, release-track links with their
// deals, per-territory catalogue writes with the version guard and takedown audit, and the
// scheduled changes that deal windows make. src/apply/ddex.ts decides what to write; this
// module says how. Feed values only travel as bound parameters or the one JSON parameter.
import { sql, type SQL } from 'drizzle-orm';
import { columnPgType, RELEASE_SNAPSHOT_COLUMNS } from '../catalogue/columns.js';
import type { DdexDeal } from '../catalogue/ddex.js';
import { query, type Orm } from './client.js';
import { AVAILABILITY_ASSIGNMENTS } from './catalogue.js';
import { pgArray } from './array-param.js';
import { shareMetadata } from './territory-input.js';

type Executor = Pick<Orm, 'execute'>;

export type DdexEntity = 'release' | 'track';

/** `($1, $2, ...)`: a short list of values as parameters. */
function inList(values: readonly string[]) {
  return sql`(${sql.join(values.map((v) => sql`${v}`), sql`, `)})`;
}
const TABLE = { release: sql.raw('releases'), track: sql.raw('tracks') } as const;

export type ReleaseKeyKind = 'grid' | 'icpn' | 'proprietary';
export interface ReleaseKey {
  kind: ReleaseKeyKind;
  key: string;
}

/** The catalogue id a release with any of these keys already has; undefined when none is known. */
export async function resolveRelease(db: Executor, source: string, keys: readonly ReleaseKey[]): Promise<string | undefined> {
  if (keys.length === 0) return undefined;
  const [row] = await query<{ releaseId: string }>(db, sql`
    select release_id as "releaseId" from ddex_release_keys
    where source = ${source} and (key_kind, key) in (${sql.join(keys.map((k) => sql`(${k.kind}, ${k.key})`), sql`, `)})
    order by case key_kind when 'grid' then 0 when 'icpn' then 1 else 2 end, created_at
    limit 1`);
  return row?.releaseId;
}

/** Remembers every key the release was sent with; a key already naming a release keeps it. */
export async function registerReleaseKeys(db: Executor, source: string, releaseId: string, keys: readonly ReleaseKey[]): Promise<void> {
  if (keys.length === 0) return;
  await db.execute(sql`
    insert into ddex_release_keys (source, key_kind, key, release_id)
    select ${source}, i.kind, i.key, ${releaseId} from json_to_recordset(${JSON.stringify(keys)}::json) as i(kind text, key text)
    on conflict do nothing`);
}

/** For `feedline get release <key>`: the catalogue id behind any GRid, ICPN or `namespace:value`. */
export async function releaseIdForKey(db: Executor, source: string, key: string): Promise<string | undefined> {
  const compact = key.replace(/[\s.-]/g, '').toUpperCase();
  const [row] = await query<{ releaseId: string }>(db, sql`
    select release_id as "releaseId" from ddex_release_keys
    where source = ${source} and ((key_kind = 'grid' and key = ${compact}) or (key_kind = 'icpn' and key = ${compact})
      or (key_kind = 'proprietary' and key = ${key}))
    order by case key_kind when 'grid' then 0 when 'icpn' then 1 else 2 end limit 1`);
  return row?.releaseId;
}

export interface StoredTerritory {
  id: string;
  country: string;
  status: 'live' | 'taken_down';
  reason: string | null;
  /** Decimal text. */
  version: string;
}

/** Every territory row the catalogue holds for these items of the source. */
export async function storedTerritories(db: Executor, entity: DdexEntity, source: string, ids: readonly string[]): Promise<StoredTerritory[]> {
  if (ids.length === 0) return [];
  // The primary key leads with (source, country): a lookup by id alone would walk every row of
  // the sender. DDEX track ids are ISRCs, and every DDEX track row carries its ISRC, so the
  // ISRC index finds them; releases (far fewer per sender) take the key's source prefix.
  // Values listed as parameters, not unpacked from JSON: the planner sees them and takes the
  // index even while its statistics lag behind a large message being applied.
  const list = inList(ids);
  const byId = entity === 'track' ? sql`isrc in ${list} and id = isrc` : sql`id in ${list}`;
  return query<StoredTerritory>(db, sql`
    select id, country, status, takedown_reason as reason, change_version::text as version from ${TABLE[entity]}
    where source = ${source} and ${byId}
    order by id, country`);
}

/** One territory row to write: status, reason and (in `replace` mode) the item's metadata columns. */
export interface TerritoryRow {
  id: string;
  country: string;
  status: 'live' | 'taken_down';
  reason: string | null;
  raw?: unknown;
  [column: string]: unknown;
}

export interface WriteTarget {
  runId: number;
  entity: DdexEntity;
  source: string;
  /** Decimal text: the version written into every row. */
  version: string;
  /** Source line for the audit rows (the release's position in the message). */
  line: number;
  /**
   * `newer`: write only over an older version (a message's own rows). `same-or-newer`: also
   * over the same version (a track's state is derived from all its releases' links, and is
   * recomputed at their newest version when one of them changes).
   */
  guard: 'newer' | 'same-or-newer';
  /** `replace`: metadata columns and raw from the rows; `status`: status only (purge, relink). */
  mode: 'replace' | 'status';
}

export interface WriteCounts {
  inserted: number;
  updated: number;
  takenDown: number;
  unchanged: number;
}

/** The metadata columns a `replace` write takes from its rows, typed from src/catalogue/columns.ts. */
const COLUMNS: Record<DdexEntity, { name: string; type: string }[]> = {
  release: RELEASE_SNAPSHOT_COLUMNS.release.map((name) => ({ name, type: columnPgType('release', name) })),
  track: RELEASE_SNAPSHOT_COLUMNS.track.map((name) => ({ name, type: columnPgType('track', name) })),
};

/**
 * Upserts territory rows under the version guard and writes a takedown audit row for every
 * row that goes down (from live or absent) or stays down for a new reason: the audit names
 * the shape (`purged`, `no_deal`, `territory_not_licensed`, ...). Counts per row: `inserted`
 * new and live, `takenDown` went down, `updated` any other row written, `unchanged` refused
 * by the guard.
 */
export async function writeTerritories(db: Executor, target: WriteTarget, rows: readonly TerritoryRow[]): Promise<WriteCounts> {
  const { runId, version, ...shared } = target;
  const counts = await writeRunTerritories(db, shared, rows.map((row) => ({ ...row, runId, version })));
  return counts.get(runId) ?? { inserted: 0, updated: 0, takenDown: 0, unchanged: 0 };
}

/** A territory row written by its own run at its own version (many releases in one statement). */
export type RunTerritoryRow = TerritoryRow & Pick<WriteTarget, 'runId' | 'version'>;

/**
 * writeTerritories for rows of many runs in one statement, each row under its own run and
 * version; the counts per run id. No (id, country) may appear twice (PostgreSQL refuses to
 * upsert one row twice in a statement): the caller writes one snapshot of an item at a time.
 */
export async function writeRunTerritories(db: Executor, target: Omit<WriteTarget, 'runId' | 'version'>, rows: readonly RunTerritoryRow[]): Promise<Map<number, WriteCounts>> {
  if (rows.length === 0) return new Map();
  const table = TABLE[target.entity];
  const columns = COLUMNS[target.entity];
  const metadataType = sql.raw(['meta integer', 'raw jsonb', ...columns.map((c) => `${c.name} ${c.type}`)].join(', '));
  const names = sql.raw(columns.map((c) => c.name).join(', '));
  const incoming = sql.raw(columns.map((c) => `i.${c.name}`).join(', '));
  const metadata = sql.raw(target.mode === 'replace' ? `, raw = excluded.raw, ${columns.map((c) => `${c.name} = excluded.${c.name}`).join(', ')}` : '');
  const guard = sql.raw(target.guard === 'newer' ? '<' : '<=');
  const { territories, metadatas } = shareMetadata(rows, columns.map((c) => c.name));
  const counted = await query<Omit<WriteCounts, 'unchanged'> & { runId: number }>(db, sql`
    with metadata as (
      select * from json_to_recordset(${JSON.stringify(metadatas)}::json) as m(${metadataType})
    ),
    input as (
      select t.id, t.country, t.status, t.reason, t."runId", t.version, m.*
      from unnest(${pgArray(territories.id)}::text[], ${pgArray(territories.country)}::text[], ${pgArray(territories.status)}::text[],
        ${pgArray(territories.reason)}::text[], ${pgArray(territories.runId)}::bigint[], ${pgArray(territories.version)}::bigint[],
        ${pgArray(territories.meta)}::integer[]) as t(id, country, status, reason, "runId", version, meta)
      left join metadata m on m.meta = t.meta
    ),
    prior as (
      select i.id, i.country, cur.status as old_status, cur.takedown_reason as old_reason
      from input i left join ${table} cur on cur.source = ${target.source} and cur.country = i.country and cur.id = i.id
    ),
    written as (
      insert into ${table} as cur (source, country, id, status, takedown_reason, change_version, taken_down_at, updated_at, run_id, raw, ${names})
      select ${target.source}, i.country, i.id, i.status, case when i.status = 'taken_down' then i.reason end,
        i.version, case when i.status = 'taken_down' then now() end, now(), i."runId", i.raw, ${incoming}
      from input i order by i.id, i.country
      on conflict (source, country, id) do update set
        ${AVAILABILITY_ASSIGNMENTS} ${metadata}
      where cur.change_version ${guard} excluded.change_version
      returning cur.id, cur.country, cur.status, cur.takedown_reason as reason, cur.run_id
    ),
    changes as (
      select w.*, p.old_status, p.old_reason from written w join prior p on p.id = w.id and p.country = w.country
    ),
    audited as (
      insert into takedown_audit (run_id, entity, source, country, item_id, line, reason, published_at, received_at)
      select c.run_id, ${target.entity}, ${target.source}, c.country, c.id, ${target.line}, c.reason, r.published_at, r.created_at
      from changes c join feed_runs r on r.id = c.run_id
      where c.status = 'taken_down' and (c.old_status is distinct from 'taken_down' or c.old_reason is distinct from c.reason)
      returning 1
    )
    select c.run_id::integer as "runId",
      count(*) filter (where c.old_status is null and c.status = 'live')::integer as inserted,
      count(*) filter (where c.status = 'taken_down' and c.old_status is distinct from 'taken_down')::integer as "takenDown",
      count(*) filter (where c.old_status is not null and not (c.status = 'taken_down' and c.old_status is distinct from 'taken_down'))::integer as updated
    from changes c group by c.run_id`);
  // Unchanged: the rows each run stated that the guard refused (counted here, not by another scan of the input).
  const counts = new Map<number, WriteCounts>();
  for (const row of rows) {
    const run = counts.get(row.runId) ?? { inserted: 0, updated: 0, takenDown: 0, unchanged: 0 };
    run.unchanged++;
    counts.set(row.runId, run);
  }
  for (const { runId, inserted, updated, takenDown } of counted) {
    const run = counts.get(runId)!;
    Object.assign(run, { inserted, updated, takenDown, unchanged: run.unchanged - inserted - updated - takenDown });
  }
  return counts;
}

/** A release's deals for one of its tracks, as stored (JSON dates). */
export interface TrackLink {
  isrc: string;
  releaseId: string;
  deals: DdexDeal[];
  /** Decimal text. */
  version: string;
}

/** Replaces the release's links: these tracks with their deals; tracks it no longer lists keep no deals. Returns those dropped. */
export async function replaceLinks(db: Executor, source: string, releaseId: string, version: string, links: readonly { isrc: string; deals: readonly DdexDeal[] }[]): Promise<string[]> {
  const dropped = await query<{ isrc: string }>(db, sql`
    update ddex_release_tracks set deals = '[]'::jsonb, change_version = ${version}::bigint, updated_at = now()
    where source = ${source} and release_id = ${releaseId} and change_version < ${version}::bigint
      and isrc not in (select value from json_array_elements_text(${JSON.stringify(links.map((l) => l.isrc))}::json))
      and deals <> '[]'::jsonb
    returning isrc`);
  if (links.length > 0) {
    await db.execute(sql`
      insert into ddex_release_tracks as cur (source, release_id, isrc, deals, change_version)
      select ${source}, ${releaseId}, l.isrc, l.deals, ${version}::bigint
      from json_to_recordset(${JSON.stringify(links)}::json) as l(isrc text, deals jsonb)
      on conflict (source, release_id, isrc) do update set deals = excluded.deals, change_version = excluded.change_version, updated_at = now()
      where cur.change_version < excluded.change_version`);
  }
  return dropped.map((r) => r.isrc);
}

/** A purge: every link of the release keeps no deals. Returns the tracks it had. */
export async function clearLinks(db: Executor, source: string, releaseId: string, version: string): Promise<string[]> {
  const rows = await query<{ isrc: string }>(db, sql`
    update ddex_release_tracks set deals = '[]'::jsonb, change_version = ${version}::bigint, updated_at = now()
    where source = ${source} and release_id = ${releaseId} and change_version < ${version}::bigint
    returning isrc`);
  return rows.map((r) => r.isrc);
}

/** Every link of these tracks, across all the sender's releases. */
export async function linksOfTracks(db: Executor, source: string, isrcs: readonly string[]): Promise<TrackLink[]> {
  if (isrcs.length === 0) return [];
  const rows = await query<{ isrc: string; releaseId: string; deals: unknown; version: string }>(db, sql`
    select isrc, release_id as "releaseId", deals, change_version::text as version from ddex_release_tracks
    where source = ${source} and isrc in ${inList(isrcs)}
    order by isrc, release_id`);
  return rows.map((r) => ({ ...r, deals: reviveDeals(r.deals) }));
}

function reviveDeals(stored: unknown): DdexDeal[] {
  return (stored as (Omit<DdexDeal, 'validFrom' | 'validUntil'> & { validFrom?: string; validUntil?: string })[]).map((d) => ({
    ...d,
    validFrom: d.validFrom === undefined || d.validFrom === null ? undefined : new Date(d.validFrom),
    validUntil: d.validUntil === undefined || d.validUntil === null ? undefined : new Date(d.validUntil),
  }));
}

export interface ScheduledChangeRow {
  country: string;
  dueAt: Date;
  targetStatus: 'live' | 'taken_down';
  reason: string;
}

export interface ItemSchedule {
  id: string;
  /** Decimal text: the version of the message the row was written with. */
  version: string;
  changes: ScheduledChangeRow[];
}

/**
 * Each item's pending changes become the ones its newest message schedules: pending changes of
 * versions up to the item's are superseded, and its new ones added. Returns how many were added.
 * Parameters: entity, source, run id, the items as JSON.
 */
export async function replaceSchedules(db: Executor, entity: DdexEntity, source: string, runId: number, items: readonly ItemSchedule[]): Promise<number> {
  return replaceRunSchedules(db, entity, source, items.map((item) => ({ ...item, runId })));
}

/** replaceSchedules for items of many runs, each scheduled by its own; no item twice. */
export async function replaceRunSchedules(db: Executor, entity: DdexEntity, source: string, items: readonly (ItemSchedule & { runId: number })[]): Promise<number> {
  if (items.length === 0) return 0;
  await db.execute(sql`
    update scheduled_availability_changes s set status = 'superseded'
    from json_to_recordset(${JSON.stringify(items.map((i) => ({ id: i.id, version: i.version })))}::json) as i(id text, version text)
    where s.status = 'pending' and s.source = ${source} and s.entity = ${entity} and s.item_id = i.id
      and s.change_version <= i.version::bigint`);
  const changes = items.flatMap((i) => i.changes.map((c) => ({ ...c, id: i.id, version: i.version, runId: i.runId })));
  if (changes.length === 0) return 0;
  await db.execute(sql`
    insert into scheduled_availability_changes (entity, source, country, item_id, due_at, change_version, reason, target_status, run_id)
    select ${entity}, ${source}, c.country, c.id, c."dueAt", c.version::bigint, c.reason, c."targetStatus", c."runId"
    from json_to_recordset(${JSON.stringify(changes)}::json) as c(id text, version text, country text, "dueAt" timestamptz, reason text, "targetStatus" text, "runId" bigint)`);
  return changes.length;
}

export interface DueResult {
  applied: number;
  takenDown: number;
  superseded: number;
}

/**
 * Applies the `due` changes of one entity to its table, only where the row still carries
 * the version that scheduled them. Returns the ids of the changes applied.
 */
function dueUpdate(table: 'releases' | 'tracks', entity: 'release' | 'track'): SQL {
  return sql.raw(`
        update ${table} c set status = d.target_status,
          takedown_reason = case when d.target_status = 'taken_down' then d.reason end,
          taken_down_at = case when d.target_status = 'taken_down' then coalesce(c.taken_down_at, d.due_at) end,
          updated_at = now()
        from due d where d.entity = '${entity}' and c.source = d.source and c.country = d.country and c.id = d.item_id
          and c.change_version = d.change_version
        returning d.id`);
}

/**
 * Applies every pending scheduled change due at `now` (default: the database's clock), each
 * only if its item's row still carries the version that scheduled it: a newer message has
 * rewritten the row and its own schedule otherwise. A takedown gets an audit row whose
 * publication time is the due time, so its SLA clock starts at the deal's end (issue 5).
 * One transaction; concurrent callers skip each other's rows.
 */
export async function applyDueScheduledChanges(db: Orm, now?: Date): Promise<DueResult> {
  const at = now ? sql`${now.toISOString()}::timestamptz` : sql`now()`;
  return db.transaction(async (tx) => {
    const [counts] = await query<DueResult>(tx, sql`
      with due as (
        select * from scheduled_availability_changes where status = 'pending' and due_at <= ${at}
        order by due_at, id for update skip locked
      ),
      releases_written as (${dueUpdate('releases', 'release')}),
      tracks_written as (${dueUpdate('tracks', 'track')}),
      written as (select id from releases_written union all select id from tracks_written),
      marked as (
        update scheduled_availability_changes s set status = case when s.id in (select id from written) then 'applied' else 'superseded' end,
          applied_at = case when s.id in (select id from written) then now() end
        from due d where s.id = d.id
        returning s.id
      ),
      audited as (
        insert into takedown_audit (run_id, entity, source, country, item_id, line, reason, published_at, received_at)
        select d.run_id, d.entity, d.source, d.country, d.item_id, null, d.reason, d.due_at, d.due_at
        from due d where d.target_status = 'taken_down' and d.id in (select id from written)
        returning 1
      )
      select (select count(*) from written)::integer as applied,
        (select count(*) from audited)::integer as "takenDown",
        ((select count(*) from marked) - (select count(*) from written))::integer as superseded`);
    return counts ?? { applied: 0, takenDown: 0, superseded: 0 };
  });
}

/** Pending changes of an item, for `feedline get` and tests. */
export async function pendingSchedule(db: Executor, entity: DdexEntity, source: string, id: string): Promise<{ country: string; dueAt: Date; targetStatus: string; reason: string; version: string }[]> {
  return query(db, sql`
    select country, due_at as "dueAt", target_status as "targetStatus", reason, change_version::text as version
    from scheduled_availability_changes where status = 'pending' and entity = ${entity} and source = ${source} and item_id = ${id}
    order by due_at, country`);
}

/** Every territory row of an item, for `feedline get`: WW first, then countries. */
export async function itemTerritories(db: Executor, entity: DdexEntity, source: string, id: string): Promise<{ country: string; status: string; reason: string | null }[]> {
  return query(db, sql`
    select country, status, takedown_reason as reason from ${TABLE[entity]}
    where source = ${source} and id = ${id} order by country <> 'WW', country`);
}
