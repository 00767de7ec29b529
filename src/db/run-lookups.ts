// Reads of the run ledger (src/db/runs.ts writes it): runs, their batches and quarantine
// records, as the CLI, recovery, the scheduler and the status page ask for them.
import { sql } from 'drizzle-orm';
import type { FeedSpec } from '../config/schema.js';
import type { QuarantineSeverity } from '../catalogue/statuses.js';
import { query, type Orm } from './client.js';
import { RUN_COLUMNS, type Run } from './runs.js';

type Executor = Pick<Orm, 'execute'>;

export async function getRun(db: Executor, id: number): Promise<Run | undefined> {
  const [run] = await query<Run>(db, sql`select ${RUN_COLUMNS} from feed_runs where id = ${id}`);
  return run;
}

export async function listRuns(db: Executor, limit: number): Promise<Run[]> {
  return query<Run>(db, sql`select ${RUN_COLUMNS} from feed_runs order by id desc limit ${limit}`);
}

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
