// The run ledger: feed runs, their batches and quarantined rows. PostgreSQL keeps all of
// it so that Redis can lose everything and a run still completes (docs/design.md invariant 1).
import { sql } from 'drizzle-orm';
import type { Entity, FeedSpec } from '../config/schema.js';
import type { ParsedBatch, QuarantinedRow } from '../catalogue/rows.js';
import { query, type Orm } from './client.js';
import { advanceCursor } from './cursors.js';
import type { BatchStatus, QuarantineSeverity, RunStatus } from '../catalogue/statuses.js';

type Executor = Pick<Orm, 'execute'>;

export interface Run {
  id: number;
  source: string;
  /** `unknown`: a rejected file whose name and flags did not say (src/ingest/csv.ts). */
  entity: Entity | 'ddex' | 'unknown';
  kind: 'full' | 'updates' | 'ddex' | 'event' | 'unknown';
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
  rows: number;
  inserted: number;
  updated: number;
  takenDown: number;
  unchanged: number;
  quarantined: number;
  batchesTotal: number | null;
  batchesApplied: number;
  error: string | null;
  meta: Record<string, unknown>;
  heartbeatAt: Date;
  createdAt: Date;
  parsedAt: Date | null;
  appliedAt: Date | null;
}

const RUN_COLUMNS = sql.raw(`id::integer as id, source, entity, kind, country, feed_date::text as "feedDate",
  published_at as "publishedAt", file_name as "fileName", file_sha256 as "fileSha256", file_bytes::float8 as "fileBytes",
  archive_path as "archivePath", status, forced, version_base::text as "versionBase", batch_size as "batchSize", rows,
  inserted, updated, taken_down as "takenDown", unchanged, quarantined, batches_total as "batchesTotal",
  batches_applied as "batchesApplied", error, meta, heartbeat_at as "heartbeatAt", created_at as "createdAt",
  parsed_at as "parsedAt", applied_at as "appliedAt"`);

/** What a run's registration gives; the ledger fills in the rest. */
export type NewRun = Pick<Run, 'source' | 'entity' | 'kind' | 'country' | 'feedDate' | 'publishedAt' | 'fileName' | 'fileSha256'
  | 'fileBytes' | 'archivePath' | 'forced' | 'batchSize'> & {
  versionBase: bigint;
  meta?: Record<string, unknown>;
};

/** A run's counts of rows by what became of them. */
export type RunCounts = Pick<Run, 'rows' | 'inserted' | 'updated' | 'takenDown' | 'unchanged' | 'quarantined'>;

/**
 * Registers a run, or finds the earlier run of the same file. The partial unique index
 * `feed_runs_content_once` settles two operators ingesting one file at the same moment.
 */
export async function createRun(db: Executor, run: NewRun): Promise<{ run: Run; duplicateOf?: undefined } | { duplicateOf: Run; run?: undefined }> {
  const [created] = await query<Run>(db, sql`
    insert into feed_runs (source, entity, kind, country, feed_date, published_at, file_name, file_sha256, file_bytes,
      archive_path, status, forced, version_base, batch_size, meta)
    values (${run.source}, ${run.entity}, ${run.kind}, ${run.country}, ${run.feedDate}, ${run.publishedAt.toISOString()},
      ${run.fileName}, ${run.fileSha256}, ${run.fileBytes}, ${run.archivePath}, 'parsing', ${run.forced},
      ${run.versionBase.toString()}::bigint, ${run.batchSize}, ${JSON.stringify(run.meta ?? {})}::jsonb)
    on conflict (file_sha256, source, entity, kind, country, feed_date) where not forced and status <> 'rejected' do nothing
    returning ${RUN_COLUMNS}`);
  if (created) return { run: created };
  const [earlier] = await query<Run>(db, sql`
    select ${RUN_COLUMNS} from feed_runs
    where file_sha256 = ${run.fileSha256} and source = ${run.source} and entity = ${run.entity} and kind = ${run.kind}
      and country = ${run.country} and feed_date = ${run.feedDate} and not forced and status <> 'rejected'`);
  if (!earlier) return createRun(db, run);
  return { duplicateOf: earlier };
}

export async function getRun(db: Executor, id: number): Promise<Run | undefined> {
  const [run] = await query<Run>(db, sql`select ${RUN_COLUMNS} from feed_runs where id = ${id}`);
  return run;
}

export async function listRuns(db: Executor, limit: number): Promise<Run[]> {
  return query<Run>(db, sql`select ${RUN_COLUMNS} from feed_runs order by id desc limit ${limit}`);
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

export async function rejectRun(db: Executor, runId: number, reason: string): Promise<void> {
  await db.execute(sql`update feed_runs set status = 'rejected', error = ${reason}, heartbeat_at = now() where id = ${runId}`);
}

/** Sets a run's quarantined count from its quarantine records, warnings aside: `runId`. */
export async function recountQuarantine(db: Executor, runId: number): Promise<void> {
  await db.execute(sql`update feed_runs set quarantined = (select count(*) from quarantine where run_id = ${runId} and severity <> 'warning') where id = ${runId}`);
}

export interface AppliedTotals {
  rows: number;
  inserted: number;
  updated: number;
  takenDown: number;
  unchanged: number;
}

/**
 * A DDEX message applied in its own process, without batches: `runId`, its `totals`,
 * and `meta` merged into the run's. Its quarantined count comes from its quarantine records.
 */
export async function finishDdexRun(db: Executor, runId: number, totals: AppliedTotals, meta: Record<string, unknown>): Promise<void> {
  await db.execute(sql`
    update feed_runs set status = 'applied', rows = ${totals.rows}, inserted = ${totals.inserted}, updated = ${totals.updated},
      taken_down = ${totals.takenDown}, unchanged = ${totals.unchanged},
      quarantined = (select count(*) from quarantine where run_id = ${runId} and severity <> 'warning'),
      batches_total = 0, batches_applied = 0, meta = meta || ${JSON.stringify(meta)}::jsonb,
      parsed_at = now(), applied_at = now(), heartbeat_at = now(), error = null
    where id = ${runId} and status <> 'applied'`);
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

/** Marks a batch applied and adds its counts to its run, completing the run when it was the last. */
export async function recordBatchApplied(db: Executor, runId: number, seq: number, result: BatchResult): Promise<boolean> {
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
 * Completes a run whose file is parsed and whose every batch is applied. Returns whether it did.
 * Every record of the file must be accounted for, `rows = inserted + updated + takenDown +
 * unchanged + quarantined`: a run where they do not add up has lost rows somewhere, and fails
 * loudly instead of reporting `applied` (README "Bad input").
 * The feed's cursor moves in the same transaction: the scheduler never skips a date whose
 * run is not applied, and never re-fetches one that is (issue 3).
 */
async function completeRunIfDone(db: Executor, runId: number): Promise<boolean> {
  const done = await query<{ status: RunStatus }>(db, sql`
    update feed_runs set applied_at = now(),
      status = case when ${ACCOUNTED} then 'applied' else 'failed' end,
      error = case when ${ACCOUNTED} then error else format(
        'records not accounted for: %s rows in the file, but %s inserted + %s updated + %s taken down + %s unchanged + %s quarantined = %s',
        rows, inserted, updated, taken_down, unchanged, quarantined, inserted + updated + taken_down + unchanged + quarantined) end
    where id = ${runId} and status = 'applying' and batches_applied = batches_total
    returning status`);
  if (done[0]?.status === 'applied') await advanceCursor(db, runId);
  return done.length > 0;
}

const ACCOUNTED = sql.raw('rows = inserted + updated + taken_down + unchanged + quarantined');

/** Batches of a run not yet applied: what recovery re-enqueues. */
export async function unappliedBatchSeqs(db: Executor, runId: number): Promise<number[]> {
  const rows = await query<{ seq: number }>(db, sql`
    select seq from feed_batches where run_id = ${runId} and status <> 'applied' order by seq`);
  return rows.map((r) => r.seq);
}

export interface QuarantineEntry {
  line: number;
  column: number | null;
  field: string | null;
  raw: string;
  reason: string;
  severity: QuarantineSeverity;
}

/** A run's quarantined rows and its warnings (rows applied despite a defect), in line order. */
export async function listQuarantine(db: Executor, runId: number, limit = 1000): Promise<QuarantineEntry[]> {
  return query<QuarantineEntry>(db, sql`
    select line, "column", field, raw, reason, severity from quarantine where run_id = ${runId} order by line, id limit ${limit}`);
}

/** How many of a run's quarantined rows may be takedowns that did not apply. */
export async function countPossibleTakedowns(db: Executor, runId: number): Promise<number> {
  const [row] = await query<{ n: number }>(db, sql`
    select count(*)::integer as n from quarantine where run_id = ${runId} and severity = 'possible_takedown'`);
  return row?.n ?? 0;
}

/**
 * Runs whose work may have been lost: every run still applying (its jobs may be gone with
 * Redis), and runs still parsing whose parser has shown no sign of life for `staleSeconds`.
 */
export async function runsToRecover(db: Executor, staleSeconds: number): Promise<Run[]> {
  return query<Run>(db, sql`
    select ${RUN_COLUMNS} from feed_runs
    where kind not in ('ddex', 'event', 'unknown') and (status = 'applying'
      or (status = 'parsing' and heartbeat_at < now() - make_interval(secs => ${staleSeconds})))
    order by id`);
}

/** Takes over a stale parsing run; false when another process got there first or it is alive. */
export async function claimStaleRun(db: Executor, runId: number, staleSeconds: number): Promise<boolean> {
  const claimed = await query<{ id: number }>(db, sql`
    update feed_runs set heartbeat_at = now()
    where id = ${runId} and status = 'parsing' and heartbeat_at < now() - make_interval(secs => ${staleSeconds})
    returning id`);
  return claimed.length > 0;
}

export async function appliedBatchSeqs(db: Executor, runId: number): Promise<Set<number>> {
  const rows = await query<{ seq: number }>(db, sql`select seq from feed_batches where run_id = ${runId} and status = 'applied'`);
  return new Set(rows.map((r) => r.seq));
}

/** Id of the newest run of a (feed, date) still parsing or applying. Parameters: source, the feed, its date. */
export async function unfinishedRunId(db: Executor, source: string, feed: FeedSpec, date: string): Promise<number | undefined> {
  const [row] = await query<{ id: number }>(db, sql`
    select id::integer as id from feed_runs
    where source = ${source} and entity = ${feed.entity} and kind = ${feed.kind} and country = ${feed.country}
      and feed_date = ${date} and status in ('parsing', 'applying')
    order by id desc limit 1`);
  return row?.id;
}

/** Scheduled-feed runs (full, updates) still parsing or applying. Parameters: source. */
export async function feedRunsInProgress(db: Executor, source: string): Promise<{ id: number; entity: string; kind: string; country: string }[]> {
  return query(db, sql`
    select id::integer as id, entity, kind, country from feed_runs
    where source = ${source} and status in ('parsing', 'applying') and kind in ('full', 'updates')`);
}

/** sha256 of every file a run still parsing or applying needs. No parameters. */
export async function unfinishedRunFiles(db: Executor): Promise<Set<string>> {
  const rows = await query<{ sha: string }>(db, sql`select distinct file_sha256 as sha from feed_runs where status in ('parsing', 'applying')`);
  return new Set(rows.map((r) => r.sha));
}

/** Archived files of the accepted runs of a (feed, date), newest first. Parameters: source, the feed, its date. */
export async function acceptedRunFiles(db: Executor, source: string, feed: FeedSpec, date: string): Promise<{ location: string; sha256: string }[]> {
  return query(db, sql`
    select archive_path as location, file_sha256 as sha256 from feed_runs
    where source = ${source} and entity = ${feed.entity} and kind = ${feed.kind} and country = ${feed.country}
      and feed_date = ${date} and status <> 'rejected'
    order by id desc`);
}
