// Feed runs and their batches: the ledger that makes Redis disposable (docs/design.md
// invariant 1). A run is one file applied once; its batches are the units of work.
import { sql } from 'drizzle-orm';
import {
  bigint, bigserial, boolean, check, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';
import { BATCH_STATUSES, QUARANTINE_SEVERITIES, RUN_STATUSES } from '../src/catalogue/statuses.js';
import { oneOf } from './checks.js';

export const feedRuns = pgTable('feed_runs', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  source: text('source').notNull(),
  /** `track` | `release` | `artist` (CSV); `ddex` for a DDEX message; an accepted event's `release` | `track`, a refused one's `event`. */
  entity: text('entity').notNull(),
  /** `full` | `updates` | `ddex` | `event` (src/db/runs.ts RunKind). */
  kind: text('kind').notNull(),
  /** ISO 3166 alpha-2; `WW` for a DDEX message, which carries its own territories. */
  country: text('country').notNull(),
  feedDate: date('feed_date', { mode: 'string' }).notNull(),
  /** When the provider published the feed: the SLA clock starts here (docs/feeds.md rule 1). */
  publishedAt: timestamp('published_at', { withTimezone: true }).notNull(),
  fileName: text('file_name').notNull(),
  fileSha256: text('file_sha256').notNull(),
  fileBytes: bigint('file_bytes', { mode: 'number' }).notNull(),
  archivePath: text('archive_path').notNull(),
  /** RUN_STATUSES (src/catalogue/statuses.ts). */
  status: text('status').notNull(),
  /** Re-applied on purpose with --force: exempt from the duplicate check. */
  forced: boolean('forced').notNull().default(false),
  /** Base of every row version in this run (src/catalogue/version.ts). */
  versionBase: bigint('version_base', { mode: 'bigint' }).notNull(),
  batchSize: integer('batch_size').notNull(),
  rows: integer('rows').notNull().default(0),
  inserted: integer('inserted').notNull().default(0),
  updated: integer('updated').notNull().default(0),
  takenDown: integer('taken_down').notNull().default(0),
  unchanged: integer('unchanged').notNull().default(0),
  quarantined: integer('quarantined').notNull().default(0),
  /** Null while parsing: the total is known only at the end of the file. */
  batchesTotal: integer('batches_total'),
  batchesApplied: integer('batches_applied').notNull().default(0),
  error: text('error'),
  /** Source-specific facts: DDEX sender and message id, reconcile outcome. */
  meta: jsonb('meta').notNull().default(sql`'{}'::jsonb`),
  /** Last sign of life from the process parsing the file; a stale one can be resumed. */
  heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull().default(sql`now()`),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`now()`),
  parsedAt: timestamp('parsed_at', { withTimezone: true }),
  appliedAt: timestamp('applied_at', { withTimezone: true }),
}, (t) => [
  // The same file delivered twice is applied once: a second ingest finds this row (docs/design.md
  // invariant 6). Identity includes the feed, because identical bytes can be two feeds (two
  // days with no changes are both a bare header).
  uniqueIndex('feed_runs_content_once')
    .on(t.fileSha256, t.source, t.entity, t.kind, t.country, t.feedDate)
    .where(sql`not ${t.forced} and ${t.status} <> 'rejected'`),
  index('feed_runs_feed_idx').on(t.source, t.entity, t.kind, t.country, t.feedDate),
  index('feed_runs_status_idx').on(t.status),
  check('feed_runs_status_check', oneOf(t.status, RUN_STATUSES)),
  // Every change a run states is accounted for once it is applied (docs/design.md invariant 10).
  check('feed_runs_counts_add_up', sql`${t.status} <> 'applied' or ${t.rows} = ${t.inserted} + ${t.updated} + ${t.takenDown} + ${t.unchanged} + ${t.quarantined}`),
]);

export const feedBatches = pgTable('feed_batches', {
  runId: bigint('run_id', { mode: 'number' }).notNull().references(() => feedRuns.id),
  seq: integer('seq').notNull(),
  firstLine: integer('first_line').notNull(),
  lastLine: integer('last_line').notNull(),
  rows: integer('rows').notNull(),
  /** Rows by action as they arrived, for pending-change metrics before the batch applies. */
  inserts: integer('inserts').notNull().default(0),
  updates: integer('updates').notNull().default(0),
  deletes: integer('deletes').notNull().default(0),
  /** BATCH_STATUSES (src/catalogue/statuses.ts). */
  status: text('status').notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  inserted: integer('inserted').notNull().default(0),
  updated: integer('updated').notNull().default(0),
  takenDown: integer('taken_down').notNull().default(0),
  unchanged: integer('unchanged').notNull().default(0),
  quarantined: integer('quarantined').notNull().default(0),
  error: text('error'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`now()`),
  appliedAt: timestamp('applied_at', { withTimezone: true }),
}, (t) => [
  primaryKey({ columns: [t.runId, t.seq] }),
  index('feed_batches_pending_idx').on(t.status).where(sql`${t.status} <> 'applied'`),
  check('feed_batches_status_check', oneOf(t.status, BATCH_STATUSES)),
]);

export const quarantine = pgTable('quarantine', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  runId: bigint('run_id', { mode: 'number' }).notNull().references(() => feedRuns.id),
  line: integer('line').notNull(),
  column: integer('column'),
  field: text('field'),
  raw: text('raw').notNull(),
  reason: text('reason').notNull(),
  /** QUARANTINE_SEVERITIES (src/catalogue/statuses.ts). */
  severity: text('severity').notNull().default('quarantined'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`now()`),
}, (t) => [
  uniqueIndex('quarantine_run_line').on(t.runId, t.line, t.reason),
  check('quarantine_severity_check', oneOf(t.severity, QUARANTINE_SEVERITIES)),
]);

/** Proof of compliance (docs/feeds.md rule 4): one row per takedown applied. */
export const takedownAudit = pgTable('takedown_audit', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  runId: bigint('run_id', { mode: 'number' }).references(() => feedRuns.id),
  entity: text('entity').notNull(),
  source: text('source').notNull(),
  country: text('country').notNull(),
  itemId: text('item_id').notNull(),
  line: integer('line'),
  reason: text('reason').notNull(),
  /** Defects of the takedown's row that did not stop it (the run's warnings for its line). */
  warnings: text('warnings'),
  publishedAt: timestamp('published_at', { withTimezone: true }),
  receivedAt: timestamp('received_at', { withTimezone: true }),
  appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().default(sql`now()`),
}, (t) => [
  index('takedown_audit_applied_idx').on(t.appliedAt),
  index('takedown_audit_run_idx').on(t.runId),
]);
