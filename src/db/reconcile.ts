// Full-feed reconciliation in SQL (issue 3 "Full feeds"). A full feed is the whole
// catalogue of one entity in one country: after it is applied, every item of that source,
// entity and country still live but not written by it is absent from it. Such an item's
// version is older than the full run's version base (src/catalogue/version.ts): rows the feed
// carried were written at base + line, or were already newer (a later update won).
import { sql, type SQL } from 'drizzle-orm';
import type { Entity } from '../config/schema.js';
import { ENTITY_TABLE } from '../catalogue/columns.js';
import { query, type Orm } from './client.js';

type Executor = Pick<Orm, 'execute'>;

export const ABSENT_REASON = 'absent_from_full_feed';

export interface ReconcileTarget {
  runId: number;
  entity: Entity;
  source: string;
  country: string;
  /** Decimal text of the full run's version base. */
  versionBase: string;
}

export interface ReconcileCount {
  live: number;
  absent: number;
}

/** Live items and those of them absent from the full feed. Parameters: source, country, version base. */
export function countStatement(t: ReconcileTarget): SQL {
  return sql`
    select count(*)::integer as live, count(*) filter (where change_version < ${t.versionBase}::bigint)::integer as absent
    from ${sql.raw(ENTITY_TABLE[t.entity].table)}
    where source = ${t.source} and country = ${t.country} and status = 'live'`;
}

/**
 * Tombstones every absent item and writes its takedown audit row, in one statement. The
 * tombstone carries the full run's version base: an older update arriving late cannot
 * resurrect it, a newer insert can (docs/design.md invariant 3). Parameters: run id, entity,
 * source, country, version base.
 */
export function takedownStatement(t: ReconcileTarget): SQL {
  return sql`
    with gone as (
      update ${sql.raw(ENTITY_TABLE[t.entity].table)} set status = 'taken_down', takedown_reason = ${ABSENT_REASON},
        change_version = ${t.versionBase}::bigint, taken_down_at = now(), updated_at = now(), run_id = ${t.runId}
      where source = ${t.source} and country = ${t.country} and status = 'live' and change_version < ${t.versionBase}::bigint
      returning id, country
    ),
    audited as (
      insert into takedown_audit (run_id, entity, source, country, item_id, line, reason, published_at, received_at)
      select ${t.runId}, ${t.entity}, ${t.source}, g.country, g.id, null, ${ABSENT_REASON}, r.published_at, r.created_at
      from gone g join feed_runs r on r.id = ${t.runId}
      returning 1
    )
    select count(*)::integer as "takenDown" from audited`;
}

export async function countAbsent(db: Executor, target: ReconcileTarget): Promise<ReconcileCount> {
  const [row] = await query<ReconcileCount>(db, countStatement(target));
  return row ?? { live: 0, absent: 0 };
}

export async function takeDownAbsent(db: Executor, target: ReconcileTarget): Promise<number> {
  const [row] = await query<{ takenDown: number }>(db, takedownStatement(target));
  return row?.takenDown ?? 0;
}

/** The run's reconcile outcome, kept in its meta; locks the run row for the transaction. */
export async function lockReconcileState(db: Executor, runId: number): Promise<Record<string, unknown> | undefined | null> {
  const [row] = await query<{ state: Record<string, unknown> | null }>(db, sql`
    select meta -> 'reconcile' as state from feed_runs where id = ${runId} for update`);
  return row?.state;
}

/** Records a reconcile held by the share guard in the run's meta (one applied goes through finishRuns: src/feeds/reconcile.ts). */
export async function recordReconcileHeld(db: Executor, runId: number, outcome: Record<string, unknown>): Promise<void> {
  await db.execute(sql`update feed_runs set meta = meta || jsonb_build_object('reconcile', ${JSON.stringify(outcome)}::jsonb) where id = ${runId}`);
}

/** Applied full runs of a source whose reconciliation never ran (a crash, a manual ingest). */
export async function unreconciledRuns(db: Executor, source: string, sinceDays: number): Promise<number[]> {
  const rows = await query<{ id: number }>(db, sql`
    select id::integer as id from feed_runs
    where source = ${source} and kind = 'full' and status = 'applied' and not (meta ? 'reconcile')
      and applied_at > now() - make_interval(days => ${sinceDays})
    order by feed_date, id`);
  return rows.map((r) => r.id);
}
