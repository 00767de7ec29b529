// The run ledger: feed runs, their batches and quarantined rows. PostgreSQL keeps all of
// it so that Redis can lose everything and a run still completes (docs/design.md invariant 1).
// Every source (CSV, DDEX, Catalogue Events, full-feed reconcile) registers its runs with
// createRuns, finishes them with finishRuns, which refuses counts that do not add up
// (src/catalogue/run-counts.ts), and rejects them with rejectRuns (docs/design.md invariant 11).
import { sql } from 'drizzle-orm';
import type { Entity } from '../config/schema.js';
import type { ParsedBatch, QuarantinedRow } from '../catalogue/rows.js';
import { unaccounted, type RunCounts } from '../catalogue/run-counts.js';
import { UnaccountedChangesError } from '../errors.js';
import type { Logger } from '../log.js';
import { pgArray } from './array-param.js';
import { query, type Orm } from './client.js';
import { advanceCursor } from './cursors.js';
import type { BatchStatus, RunStatus } from '../catalogue/statuses.js';

type Executor = Pick<Orm, 'execute'>;

/**
 * What a run is of: a CSV feed's entity, `ddex` for a DDEX message, `event` for a Catalogue
 * Event refused or unreadable (an accepted one is of its release or track), `unknown` for a
 * rejected file whose name and flags did not say (src/ingest/csv.ts).
 */
export type RunEntity = Entity | 'ddex' | 'event' | 'unknown';
export type RunKind = 'full' | 'updates' | 'ddex' | 'event' | 'unknown';

export interface Run extends RunCounts {
  id: number;
  source: string;
  entity: RunEntity;
  kind: RunKind;
  country: string;
  feedDate: string;
  publishedAt: Date;
  fileName: string;
  fileSha256: string;
  fileBytes: number;
  archivePath: string;
  status: RunStatus;
  forced: boolean;
  versionBase: string;
  batchSize: number;
  batchesTotal: number | null;
  batchesApplied: number;
  error: string | null;
  meta: Record<string, unknown>;
  heartbeatAt: Date;
  createdAt: Date;
  parsedAt: Date | null;
  appliedAt: Date | null;
}

/** A feed_runs row as a Run (src/db/run-lookups.ts reads with it too). */
export const RUN_COLUMNS = sql.raw(`id::integer as id, source, entity, kind, country, feed_date::text as "feedDate",
  published_at as "publishedAt", file_name as "fileName", file_sha256 as "fileSha256", file_bytes::float8 as "fileBytes",
  archive_path as "archivePath", status, forced, version_base::text as "versionBase", batch_size as "batchSize", rows,
  inserted, updated, taken_down as "takenDown", unchanged, quarantined, batches_total as "batchesTotal",
  batches_applied as "batchesApplied", error, meta, heartbeat_at as "heartbeatAt", created_at as "createdAt",
  parsed_at as "parsedAt", applied_at as "appliedAt"`);

/** Changes a run states before it is applied: one batch of them, registered with the run (a Catalogue Event's). */
export interface PendingChanges {
  inserts: number;
  updates: number;
  deletes: number;
}

/** What a run's registration gives; the ledger fills in the rest. */
export type NewRun = Pick<Run, 'source' | 'entity' | 'kind' | 'country' | 'feedDate' | 'publishedAt' | 'fileName' | 'fileSha256'
  | 'fileBytes' | 'archivePath' | 'forced' | 'batchSize'> & {
  versionBase: bigint;
  meta?: Record<string, unknown>;
  /** When it arrived; default now (an event's is its receipt). */
  createdAt?: Date;
  /** Its one batch, known at registration: the run starts `applying` instead of `parsing`. */
  pending?: PendingChanges;
};

export type Registered = { run: Run; duplicateOf?: undefined } | { duplicateOf: Run; run?: undefined };

/**
 * Registers runs in one insert statement (then reads them back), each with its pending batch if it has one, or finds the
 * earlier run of the same content (outcomes in the registrations' order). The partial unique
 * index `feed_runs_content_once` settles two operators ingesting one file at the same moment.
 */
export async function createRuns(db: Executor, registrations: readonly NewRun[]): Promise<Registered[]> {
  if (registrations.length === 0) return [];
  const input = JSON.stringify(registrations.map((r, ord) => ({
    ord, source: r.source, entity: r.entity, kind: r.kind, country: r.country, feed_date: r.feedDate,
    published_at: r.publishedAt.toISOString(), file_name: r.fileName, file_sha256: r.fileSha256, file_bytes: r.fileBytes,
    archive_path: r.archivePath, forced: r.forced, version_base: r.versionBase.toString(), batch_size: r.batchSize,
    meta: r.meta ?? {}, created_at: r.createdAt?.toISOString() ?? null, pending: r.pending ?? null,
  })));
  const drawn = await query<{ ord: number; id: number; created: boolean }>(db, sql`
    with input as materialized (
      select i.ord, i.source, i.entity, i.kind, i.country, i.feed_date, i.published_at, i.file_name, i.file_sha256, i.file_bytes,
        i.archive_path, i.forced, i.version_base, i.batch_size, i.meta, i.created_at, i.pending,
        nextval('feed_runs_id_seq') as id
      from jsonb_to_recordset(${input}::jsonb) as i(ord integer, source text, entity text, kind text, country text, feed_date date,
        published_at timestamptz, file_name text, file_sha256 text, file_bytes bigint, archive_path text, forced boolean,
        version_base bigint, batch_size integer, meta jsonb, created_at timestamptz, pending jsonb)
    ),
    created as (
      insert into feed_runs (id, source, entity, kind, country, feed_date, published_at, file_name, file_sha256, file_bytes,
        archive_path, status, forced, version_base, batch_size, batches_total, meta, created_at)
      select id, source, entity, kind, country, feed_date, published_at, file_name, file_sha256, file_bytes, archive_path,
        case when pending is null then 'parsing' else 'applying' end, forced, version_base, batch_size,
        case when pending is null then null else 1 end, meta, coalesce(created_at, now())
      from input order by ord
      on conflict (file_sha256, source, entity, kind, country, feed_date) where not forced and status <> 'rejected' do nothing
      returning id
    ),
    batches as (
      insert into feed_batches (run_id, seq, first_line, last_line, rows, inserts, updates, deletes)
      select i.id, 0, 1, 1, p.inserts + p.updates + p.deletes, p.inserts, p.updates, p.deletes
      from input i cross join lateral jsonb_to_record(i.pending) as p(inserts integer, updates integer, deletes integer)
      where i.pending is not null and i.id in (select id from created)
    )
    select i.ord, i.id::integer as id, i.id in (select id from created) as created from input i order by i.ord`);
  const runs = new Map((await query<Run>(db, sql`
    select ${RUN_COLUMNS} from feed_runs where id in (select unnest(${pgArray(drawn.filter((d) => d.created).map((d) => d.id))}::bigint[]))`))
    .map((run) => [run.id, run]));
  const outcomes: Registered[] = [];
  for (const [ord, registration] of registrations.entries()) {
    const row = drawn[ord]!;
    const run = row.created ? runs.get(row.id) : undefined;
    outcomes.push(run ? { run } : { duplicateOf: await earlierRun(db, registration) });
  }
  return outcomes;
}

/** The run a registration was refused for; registered again if that run was rejected meanwhile. */
async function earlierRun(db: Executor, run: NewRun): Promise<Run> {
  const [earlier] = await query<Run>(db, sql`
    select ${RUN_COLUMNS} from feed_runs
    where file_sha256 = ${run.fileSha256} and source = ${run.source} and entity = ${run.entity} and kind = ${run.kind}
      and country = ${run.country} and feed_date = ${run.feedDate} and not forced and status <> 'rejected'`);
  if (earlier) return earlier;
  const [again] = await createRuns(db, [run]);
  return again!.run ?? again!.duplicateOf!;
}

/** Records a batch and its quarantined rows before it is queued; a second registration is a no-op. */
export async function registerBatch(db: Orm, runId: number, batch: ParsedBatch): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`
      insert into feed_batches (run_id, seq, first_line, last_line, rows, inserts, updates, deletes, quarantined)
      values (${runId}, ${batch.seq}, ${batch.firstLine}, ${batch.lastLine}, ${batch.rows.length},
        ${batch.actions.I}, ${batch.actions.U}, ${batch.actions.D}, ${batch.quarantined.length})
      on conflict do nothing`);
    await addQuarantine(tx, runId, [...batch.quarantined, ...batch.warnings]);
  });
}

export async function addQuarantine(db: Executor, runId: number, rows: readonly QuarantinedRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.execute(sql`
    insert into quarantine (run_id, line, "column", field, raw, reason, severity)
    select ${runId}, q.line, q."column", q.field, q.raw, q.reason, coalesce(q.severity, 'quarantined')
    from json_to_recordset(${JSON.stringify(rows)}::json) as q(line integer, "column" integer, field text, raw text, reason text, severity text)
    on conflict do nothing`);
}

/** How many of a run's quarantine records count as quarantined changes (warnings applied despite a defect). */
export async function countQuarantined(db: Executor, runId: number): Promise<number> {
  const [row] = await query<{ n: number }>(db, sql`
    select count(*)::integer as n from quarantine where run_id = ${runId} and severity <> 'warning'`);
  return row?.n ?? 0;
}

export async function heartbeat(db: Executor, runId: number): Promise<void> {
  await db.execute(sql`update feed_runs set heartbeat_at = now() where id = ${runId}`);
}

/** The file is fully parsed: the totals are known, and the run may already be complete. */
export async function finishParsing(db: Orm, runId: number, totals: { rows: number; batches: number; meta?: Record<string, unknown> }): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`
      update feed_runs set status = 'applying', rows = ${totals.rows}, batches_total = ${totals.batches},
        quarantined = (select count(*) from quarantine where run_id = ${runId} and severity <> 'warning'),
        meta = meta || ${JSON.stringify(totals.meta ?? {})}::jsonb, parsed_at = now(), heartbeat_at = now()
      where id = ${runId} and status = 'parsing'`);
    await completeRunIfDone(tx, runId);
  });
}

/** A run's final counts, and what its meta gains: `meta` merged into the run's. */
export interface RunFinish {
  runId: number;
  counts: RunCounts;
  meta?: Record<string, unknown>;
}

/**
 * Marks runs applied with their final counts, in one update (then a read back and each daily
 * feed's cursor); a run already applied (a
 * full feed reconciled after its apply) takes the new counts and keeps its applied time.
 * Refuses, before writing anything, any run whose counts do not add up: it has lost changes
 * somewhere, and must not report `applied` (docs/design.md invariant 10); the database's
 * `feed_runs_counts_add_up` check is the last word. A scheduled feed's cursor moves in the same
 * transaction: the scheduler never skips a date whose run is not applied, and never re-fetches
 * one that is (issue 3). Returns the runs as finished.
 */
export async function finishRuns(db: Executor, finishes: readonly RunFinish[]): Promise<Run[]> {
  if (finishes.length === 0) return [];
  const refused = finishes.map((f) => unaccounted(f.runId, f.counts)).filter((why) => why !== undefined);
  if (refused.length > 0) throw new UnaccountedChangesError(refused);
  const input = JSON.stringify(finishes.map((f) => ({ run_id: f.runId, ...f.counts, meta: f.meta ?? {} })));
  const ids = await query<{ id: number }>(db, sql`
    update feed_runs r set status = 'applied', rows = f.rows, inserted = f.inserted, updated = f.updated, taken_down = f."takenDown",
      unchanged = f.unchanged, quarantined = f.quarantined, meta = r.meta || f.meta,
      batches_total = coalesce(r.batches_total, 0), batches_applied = coalesce(r.batches_total, 0), error = null,
      parsed_at = coalesce(r.parsed_at, now()), applied_at = case when r.status = 'applied' then r.applied_at else now() end, heartbeat_at = now()
    from jsonb_to_recordset(${input}::jsonb) as f(run_id bigint, rows integer, inserted integer, updated integer, "takenDown" integer,
      unchanged integer, quarantined integer, meta jsonb)
    where r.id = f.run_id and r.status in ('parsing', 'applying', 'applied')
    returning r.id::integer as id`);
  const finished = await query<Run>(db, sql`select ${RUN_COLUMNS} from feed_runs where id in (select unnest(${pgArray(ids.map((r) => r.id))}::bigint[]))`);
  // Only daily feeds have a cursor; skipping the others spares an event round a statement per run.
  for (const run of finished) if (run.kind === 'full' || run.kind === 'updates') await advanceCursor(db, run.id);
  return finished;
}

/**
 * The one log line of a finished run, whatever its source. A Catalogue Event's at debug:
 * hundreds arrive a second at the provider's peak.
 */
export function logRunFinish(log: Logger, run: Run): void {
  log[run.kind === 'event' ? 'debug' : 'info']({
    runId: run.id, source: run.source, entity: run.entity, kind: run.kind, rows: run.rows, inserted: run.inserted, updated: run.updated,
    takenDown: run.takenDown, unchanged: run.unchanged, quarantined: run.quarantined,
  }, 'run applied');
}

/** A run that cannot be finished because its counts do not add up: `failed`, which alerts, with the reason. */
export async function failRun(db: Executor, runId: number, reason: string): Promise<void> {
  await db.execute(sql`update feed_runs set status = 'failed', error = ${reason}, applied_at = now() where id = ${runId}`);
}

/** A run to reject and why; `entity` replaces the run's (an unreadable event's becomes `event`: src/db/events.ts). */
export interface RunRejection {
  runId: number;
  reason: string;
  entity?: RunEntity;
}

/**
 * Rejects runs in one statement: the reason on record, the quarantined count from the
 * quarantine records (a DDEX problem goes there first: src/ingest/lifecycle.ts).
 */
export async function rejectRuns(db: Executor, rejections: readonly RunRejection[]): Promise<void> {
  if (rejections.length === 0) return;
  await db.execute(sql`
    update feed_runs r set status = 'rejected', error = j.reason, entity = coalesce(j.entity, r.entity), heartbeat_at = now(),
      quarantined = (select count(*) from quarantine q where q.run_id = r.id and q.severity <> 'warning')
    from jsonb_to_recordset(${JSON.stringify(rejections)}::jsonb) as j("runId" bigint, reason text, entity text)
    where r.id = j."runId"`);
}

/** The database's clock (no parameters): DDEX deal windows are judged by it. */
export async function databaseNow(db: Executor): Promise<Date> {
  const [row] = await query<{ now: string | Date }>(db, sql`select now() as now`);
  return new Date(row!.now);
}

/** Locks a batch row for its apply transaction; undefined if it does not exist. */
export async function lockBatch(db: Executor, runId: number, seq: number): Promise<{ status: BatchStatus; rows: number; quarantined: number } | undefined> {
  const [batch] = await query<{ status: BatchStatus; rows: number; quarantined: number }>(db, sql`
    select status, rows, quarantined from feed_batches where run_id = ${runId} and seq = ${seq} for update`);
  return batch;
}

export interface BatchResult {
  inserted: number;
  updated: number;
  takenDown: number;
  unchanged: number;
  /** Rows the database refused when the batch was applied row by row. */
  quarantined: number;
}

/** Marks a batch applied and adds its counts to its run; the run as finished when it was the last. */
export async function recordBatchApplied(db: Executor, runId: number, seq: number, result: BatchResult): Promise<Run | undefined> {
  await db.execute(sql`
    update feed_batches set status = 'applied', attempts = attempts + 1, applied_at = now(), error = null,
      inserted = ${result.inserted}, updated = ${result.updated}, taken_down = ${result.takenDown}, unchanged = ${result.unchanged},
      quarantined = quarantined + ${result.quarantined}
    where run_id = ${runId} and seq = ${seq}`);
  await db.execute(sql`
    update feed_runs set batches_applied = batches_applied + 1, inserted = inserted + ${result.inserted},
      updated = updated + ${result.updated}, taken_down = taken_down + ${result.takenDown}, unchanged = unchanged + ${result.unchanged},
      quarantined = quarantined + ${result.quarantined}
    where id = ${runId}`);
  return completeRunIfDone(db, runId);
}

export async function recordBatchFailure(db: Executor, runId: number, seq: number, error: string, final: boolean): Promise<void> {
  await db.execute(sql`
    update feed_batches set attempts = attempts + 1, error = ${error}, status = case when ${final} then 'failed' else status end
    where run_id = ${runId} and seq = ${seq} and status <> 'applied'`);
}

/**
 * Finishes a batched run whose file is parsed and whose every batch is applied, with the
 * counts its batches added up; the run as finished, if it was. Counts that do not add up
 * cannot be retried away (the batches are applied), so that run fails loudly instead, with
 * finishRuns's reason: `failed` alerts from the SLA sweep (README "Bad input").
 */
async function completeRunIfDone(db: Executor, runId: number): Promise<Run | undefined> {
  const [done] = await query<RunCounts>(db, sql`
    select rows, inserted, updated, taken_down as "takenDown", unchanged, quarantined from feed_runs
    where id = ${runId} and status = 'applying' and batches_applied = batches_total for update`);
  if (!done) return undefined;
  try {
    const [finished] = await finishRuns(db, [{ runId, counts: done }]);
    return finished;
  } catch (err) {
    if (!(err instanceof UnaccountedChangesError)) throw err;
    await failRun(db, runId, err.message);
    return undefined;
  }
}

/** Takes over a stale parsing run; false when another process got there first or it is alive. */
export async function claimStaleRun(db: Executor, runId: number, staleSeconds: number): Promise<boolean> {
  const claimed = await query<{ id: number }>(db, sql`
    update feed_runs set heartbeat_at = now()
    where id = ${runId} and status = 'parsing' and heartbeat_at < now() - make_interval(secs => ${staleSeconds})
    returning id`);
  return claimed.length > 0;
}

