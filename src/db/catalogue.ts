// The version-guarded merge of a batch into a catalogue table (docs/design.md invariants 2-4),
// and reads of catalogue state. Built from the constant column lists in
// src/catalogue/columns.ts; feed values only ever travel as the one JSON parameter.
import { sql, type SQL } from 'drizzle-orm';
import type { Entity } from '../config/schema.js';
import { ENTITY_FIELDS, ENTITY_TABLE, PG_TYPE, type FieldType } from '../catalogue/columns.js';
import type { CsvLayout } from '../catalogue/rows.js';
import type { BatchRows, MergeTarget } from '../catalogue/batch.js';
import { query, type Orm } from './client.js';

/** Rows that took effect, by action (I, U, D), and catalogue rows written. */
export interface MergeCounts {
  inserted: number;
  updated: number;
  takenDown: number;
  written: number;
}

/**
 * The SET list every version-guarded upsert of a catalogue row shares (`cur` is the stored
 * row): availability, version and bookkeeping. A tombstone keeps the moment it first went
 * down; going live clears it.
 */
export const AVAILABILITY_ASSIGNMENTS = sql.raw(`status = excluded.status,
        takedown_reason = excluded.takedown_reason,
        change_version = excluded.change_version,
        taken_down_at = case when excluded.status = 'taken_down' then coalesce(cur.taken_down_at, excluded.taken_down_at) end,
        updated_at = excluded.updated_at, run_id = excluded.run_id`);

/** Value columns of an entity's table, typed: every feed column but the id. */
function valueColumns(entity: Entity): { name: string; type: FieldType }[] {
  return ENTITY_FIELDS[entity].filter((f) => f.column !== 'id').map((f) => ({ name: f.column, type: f.type }));
}

/** The SQL that types one field of a CsvRow `r` (validated in src/parse/csv.ts); '' is NULL. */
function typedField(position: number | undefined, type: FieldType): string {
  if (position === undefined || position < 0) return `null::${PG_TYPE[type]}`;
  const text = `nullif(r->>${position}, '')`;
  if (type === 'list') return `array(select btrim(t) from unnest(string_to_array(${text}, ',')) t where btrim(t) <> '')`;
  return `${text}::${PG_TYPE[type]}`;
}

/**
 * The raw record: what the typed columns do not hold, the columns the provider added (by
 * header name, passed as parameters), usually none; NULL then.
 */
function rawRecord(layout: CsvLayout): SQL {
  const extras = Object.entries(layout.extras ?? {});
  if (extras.length === 0) return sql`null::jsonb`;
  return sql`jsonb_build_object(${sql.join(extras.map(([name, position]) => sql`${name}::text, r->>${sql.raw(String(Math.trunc(position)))}`), sql`, `)})`;
}

/**
 * One statement: upsert the last row of each key in the batch where the stored version is
 * older, write a takedown audit row per takedown that took effect, and count.
 *
 * A row "takes effect" when, in file order, it would have been applied: its key's stored
 * version is older than the batch's newest row for that key, or was written by this same
 * run (a later line of the run got there first). Rows that lose to another, newer run are
 * `unchanged`. Counting this way makes a run's counts and audit rows the same whatever
 * order its batches are applied in, by however many workers.
 *
 * Parameters: the rows as one JSON array text (as the parser encoded it), run id, entity, source, country, version base.
 * The column list comes from the constant layout of src/catalogue/columns.ts, never from a feed.
 */
export function mergeStatement(target: MergeTarget, layout: CsvLayout, rows: BatchRows): SQL {
  const table = sql.raw(ENTITY_TABLE[target.entity].table);
  const titled = ENTITY_TABLE[target.entity].titled;
  const columns = [...valueColumns(target.entity).map((c) => c.name), ...(titled ? ['display_title'] : [])];
  const typed = sql.raw([
    ...valueColumns(target.entity).map((c) => `${typedField(layout.columns[c.name], c.type)} as ${c.name}`),
    ...(titled ? ['r->>1 as display_title'] : []),
  ].join(', '));
  const action = sql.raw(layout.action < 0 ? `'I'` : `r->>${layout.action}`);
  const id = sql.raw(`r->>${layout.columns.id}`);
  const names = sql.raw(columns.join(', '));
  const incomingNames = sql.raw(columns.map((c) => `i.${c}`).join(', '));
  // A takedown changes availability: a field its row leaves empty (or that was unreadable,
  // src/parse/row-reader.ts) keeps the stored value rather than blanking it.
  const assignments = sql.raw(columns.map((c) => `${c} = case when excluded.status = 'taken_down' then coalesce(excluded.${c}, cur.${c}) else excluded.${c} end`).join(', '));
  return sql`
    with input as (
      -- The key as its columns compare (COLLATE "C", migration 0007): the dedupe sorts bytes,
      -- not by the locale's rules, and the upsert walks the primary key in its own order.
      select (r->>0)::integer as line, ${action} as action, (${id}) collate "C" as id, ${target.country}::text collate "C" as territory,
        ${target.versionBase}::bigint + (r->>0)::integer as version,
        ${rawRecord(layout)} as raw, ${typed}
      from jsonb_array_elements(${rows.json}::jsonb) as r
    ),
    incoming as (
      select distinct on (id, territory) * from input order by id, territory, line desc
    ),
    written as (
      insert into ${table} as cur (source, country, id, status, takedown_reason, change_version, taken_down_at, updated_at, run_id, raw, ${names})
      select ${target.source}, i.territory, i.id,
        case when i.action = 'D' then 'taken_down' else 'live' end,
        case when i.action = 'D' then 'feed_delete' end,
        i.version,
        case when i.action = 'D' then now() end,
        now(), ${target.runId}, i.raw, ${incomingNames}
      from incoming i
      on conflict (source, country, id) do update set
        ${AVAILABILITY_ASSIGNMENTS}, raw = excluded.raw, ${assignments}
      where cur.change_version < excluded.change_version
      returning cur.id, cur.country as territory
    ),
    -- Every key written took effect (versions only rise, so what was older when the row was
    -- locked was older in this statement's snapshot too). Of the rest, a key took effect
    -- unless the snapshot holds it at a version as new or newer from another run; only
    -- these few keys are looked up again.
    effective as (
      select id, territory from written
      union all
      select i.id, i.territory from incoming i
      where not exists (select from written w where w.id = i.id and w.territory = i.territory)
        and not exists (
          select from ${table} cur
          where cur.source = ${target.source} and cur.country = i.territory and cur.id = i.id
            and cur.change_version >= i.version and cur.run_id is distinct from ${target.runId})
    ),
    took_effect as (
      select r.* from input r join effective e on e.id = r.id and e.territory = r.territory
    ),
    audited as (
      insert into takedown_audit (run_id, entity, source, country, item_id, line, reason, warnings, published_at, received_at)
      select ${target.runId}, ${target.entity}, ${target.source}, d.territory, d.id, d.line,
        'feed_delete',
        (select string_agg(q.reason, '; ' order by q.id) from quarantine q
          where q.run_id = ${target.runId} and q.line = d.line and q.severity = 'warning'),
        r.published_at, r.created_at
      from took_effect d join feed_runs r on r.id = ${target.runId}
      where d.action = 'D'
      returning 1
    )
    select
      count(*) filter (where action = 'I')::integer as inserted,
      count(*) filter (where action = 'U')::integer as updated,
      count(*) filter (where action = 'D')::integer as "takenDown",
      (select count(*) from written)::integer as written
    from took_effect`;
}

export async function mergeBatch(db: Pick<Orm, 'execute'>, target: MergeTarget, layout: CsvLayout, rows: BatchRows): Promise<MergeCounts> {
  if (rows.count === 0) return { inserted: 0, updated: 0, takenDown: 0, written: 0 };
  const [counts] = await query<MergeCounts>(db, mergeStatement(target, layout, rows));
  return counts ?? { inserted: 0, updated: 0, takenDown: 0, written: 0 };
}

export interface CatalogueItem {
  entity: Entity;
  source: string;
  id: string;
  country: string;
  status: 'live' | 'taken_down';
  title: string | null;
  versionTitle: string | null;
  explicit: boolean | null;
  displayTitle: string | null;
  takedownReason: string | null;
  version: string;
  takenDownAt: string | null;
  updatedAt: string;
  runId: number | null;
  record: Record<string, unknown>;
}

/** An item's state in one country; DDEX items fall back to their worldwide (`WW`) row. */
export async function getItem(db: Pick<Orm, 'execute'>, entity: Entity, source: string, id: string, country: string): Promise<CatalogueItem | undefined> {
  const table = sql.raw(ENTITY_TABLE[entity].table);
  const [row] = await query<Record<string, unknown>>(db, sql`
    -- The version as text: a bigint beyond 2^53 would lose digits as a JSON number.
    select to_jsonb(c) || jsonb_build_object('change_version', c.change_version::text) as record,
      c.change_version::text as version
    from ${table} c
    where source = ${source} and id = ${id} and country in (${country}, 'WW')
    order by (country = 'WW') limit 1`);
  if (!row) return undefined;
  const record = row.record as Record<string, unknown>;
  return {
    entity,
    source,
    id,
    country: record.country as string,
    status: record.status as CatalogueItem['status'],
    title: (record.title ?? record.name ?? null) as string | null,
    versionTitle: (record.version_title ?? null) as string | null,
    explicit: (record.explicit ?? null) as boolean | null,
    displayTitle: (record.display_title ?? null) as string | null,
    takedownReason: (record.takedown_reason ?? null) as string | null,
    version: String(row.version),
    takenDownAt: (record.taken_down_at ?? null) as string | null,
    updatedAt: record.updated_at as string,
    runId: record.run_id === null ? null : Number(record.run_id),
    record,
  };
}
