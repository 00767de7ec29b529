// The Catalogue Events benchmark's correctness checks, over every item acknowledged and every
// release and track the plan covers (not a sample): nothing acknowledged is missing from the
// inbox or left unapplied, and the catalogue is the newest acknowledged snapshot of each
// release (docs/feeds.md "Catalogue Events": the newest version wins, a takedown takes the
// release and its tracks down everywhere, a territory a snapshot no longer lists goes down).
import { sql, type SQL } from 'drizzle-orm';
import { query, type Database } from '../src/db/client.js';
import { SOURCE } from '../test/helpers/events.js';
import { liveTerritories, releaseTitle, trackIds, trackTitle, type PlannedItem } from './events-plan.js';

export interface InboxCheck {
  acknowledged: number;
  /** Acknowledged items with no inbox row. */
  missing: number;
  /** Acknowledged items whose row is neither applied nor stale (pending, waiting, rejected). */
  unapplied: number;
  byStatus: Record<string, number>;
  examples: string[];
}

export interface CatalogueCheck {
  releases: number;
  tracks: number;
  /** Rows the newest snapshot makes live that are not live with its title. */
  notLive: number;
  /** Live rows the newest snapshot (or a takedown) says are down. */
  liveWrongly: number;
  examples: string[];
}

const keyOf = (releaseId: number | string, version: number | string) => `${releaseId}/${version}`;

export async function checkInbox(db: Database, acked: readonly PlannedItem[]): Promise<InboxCheck> {
  const rows = await query<{ item_id: string; version: string; status: string }>(db.orm, sql`
    select item_id, version::text as version, status from events_inbox where endpoint = 'standard'`);
  const statusOf = new Map(rows.map((r) => [keyOf(r.item_id, r.version), r.status]));
  const byStatus: Record<string, number> = {};
  const examples: string[] = [];
  let missing = 0;
  let unapplied = 0;
  for (const item of acked) {
    const status = statusOf.get(keyOf(item.releaseId, item.version)) ?? 'missing';
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (status === 'applied' || status === 'stale') continue;
    if (status === 'missing') missing++;
    else unapplied++;
    if (examples.length < 5) examples.push(`release ${item.releaseId} version ${item.version}: ${status}`);
  }
  return { acknowledged: acked.length, missing, unapplied, byStatus, examples };
}

/** Per release, the acknowledged item with the largest version. */
function newestOf(acked: readonly PlannedItem[]): PlannedItem[] {
  const newest = new Map<number, PlannedItem>();
  for (const item of acked) if ((newest.get(item.releaseId)?.version ?? 0) < item.version) newest.set(item.releaseId, item);
  return [...newest.values()];
}

interface Wanted {
  id: string;
  title: string;
  ordinal: number;
  takedown: boolean;
}

/** A comma-separated list as a text[] parameter: one parameter however many rows. */
function textArray(values: readonly (string | number | boolean)[]): SQL {
  return sql`string_to_array(${values.join(',')}, ',')`;
}

async function tableMismatches(db: Database, table: 'releases' | 'tracks', wanted: readonly Wanted[]): Promise<{ notLive: number; liveWrongly: number; examples: string[] }> {
  const ordinals = [1, 2, 3];
  const live = ordinals.flatMap((o) => liveTerritories(o).map((country) => ({ o, country })));
  // Counted in SQL with a few examples: a catalogue wrong everywhere is millions of rows.
  const rows = await query<{ kind: string; n: number; examples: string[] }>(db.orm, sql`
    with wanted as (
      select * from unnest(${textArray(wanted.map((w) => w.id))}, ${textArray(wanted.map((w) => w.title))},
        ${textArray(wanted.map((w) => w.ordinal))}::integer[], ${textArray(wanted.map((w) => w.takedown))}::boolean[]) as w(id, title, ordinal, takedown)
    ), live as (
      select * from unnest(${textArray(live.map((l) => l.o))}::integer[], ${textArray(live.map((l) => l.country))}) as l(ordinal, country)
    ), wrong as (
      select 'not live' as kind, w.id, l.country, t.status, t.title
        from wanted w join live l on l.ordinal = w.ordinal
        left join ${sql.raw(table)} t on t.source = ${SOURCE} and t.id = w.id and t.country = l.country
        where not w.takedown and (t.status is distinct from 'live' or t.title is distinct from w.title)
      union all
      select 'live wrongly', w.id, t.country, t.status, t.title
        from wanted w join ${sql.raw(table)} t on t.source = ${SOURCE} and t.id = w.id and t.status = 'live'
        where w.takedown or not exists (select 1 from live l where l.ordinal = w.ordinal and l.country = t.country)
    )
    select kind, count(*)::integer as n,
      (array_agg(${table}::text || ' ' || id || ' ' || country || ': ' || kind || ' (' || coalesce(status, 'no row') || ', ' || coalesce(title, 'no title') || ')'))[1:5] as examples
    from wrong group by kind`);
  const count = (kind: string) => rows.find((r) => r.kind === kind)?.n ?? 0;
  return { notLive: count('not live'), liveWrongly: count('live wrongly'), examples: rows.flatMap((r) => r.examples) };
}

export async function checkCatalogue(db: Database, acked: readonly PlannedItem[]): Promise<CatalogueCheck> {
  const newest = newestOf(acked);
  const releases = newest.map((item) => ({ id: String(item.releaseId), title: releaseTitle(item), ordinal: item.ordinal, takedown: item.takedown }));
  const tracks = newest.flatMap((item) => trackIds(item.releaseId).map((id, i) => ({ id: String(id), title: trackTitle(item, i), ordinal: item.ordinal, takedown: item.takedown })));
  const r = await tableMismatches(db, 'releases', releases);
  const t = await tableMismatches(db, 'tracks', tracks);
  return {
    releases: releases.length, tracks: tracks.length, notLive: r.notLive + t.notLive, liveWrongly: r.liveWrongly + t.liveWrongly,
    examples: [...r.examples, ...t.examples].slice(0, 5),
  };
}
