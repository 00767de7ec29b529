// Scheduling, SLA and alerting state (issues 3-5), kept in PostgreSQL like everything else.
import { sql } from 'drizzle-orm';
import {
  bigint, bigserial, check, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp,
} from 'drizzle-orm/pg-core';
import { ALERT_STATES, CATALOGUE_STATUSES, FETCH_STATUSES, SCHEDULED_CHANGE_STATUSES } from '../src/catalogue/statuses.js';
import { oneOf } from './checks.js';
import { feedRuns } from './runs.js';

/** Per configured feed, the last feed date applied: moves only after a run is applied. */
export const feedCursors = pgTable('feed_cursors', {
  source: text('source').notNull(),
  entity: text('entity').notNull(),
  kind: text('kind').notNull(),
  country: text('country').notNull(),
  lastAppliedDate: date('last_applied_date', { mode: 'string' }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(sql`now()`),
}, (t) => [primaryKey({ columns: [t.source, t.entity, t.kind, t.country] })]);

/** One row per (feed, date) the scheduler wants: fetch attempts, missing feeds. */
export const feedFetches = pgTable('feed_fetches', {
  source: text('source').notNull(),
  entity: text('entity').notNull(),
  kind: text('kind').notNull(),
  country: text('country').notNull(),
  feedDate: date('feed_date', { mode: 'string' }).notNull(),
  /** FETCH_STATUSES (src/catalogue/statuses.ts). */
  status: text('status').notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
  lastHttpStatus: integer('last_http_status'),
  runId: bigint('run_id', { mode: 'number' }).references(() => feedRuns.id),
  firstAttemptAt: timestamp('first_attempt_at', { withTimezone: true }),
  lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(sql`now()`),
}, (t) => [
  primaryKey({ columns: [t.source, t.entity, t.kind, t.country, t.feedDate] }),
  check('feed_fetches_status_check', oneOf(t.status, FETCH_STATUSES)),
]);

/** The current state of each alert subject; one row per subject (a run, a missing feed). */
export const alerts = pgTable('alerts', {
  subject: text('subject').primaryKey(),
  /** `sla` | `missing` | `rejected` | `quarantine` | `batch_failed` | `auth` | `reconcile` | `backlog`. */
  kind: text('kind').notNull(),
  /** ALERT_STATES (src/catalogue/statuses.ts). */
  state: text('state').notNull(),
  message: text('message').notNull(),
  details: jsonb('details').notNull().default(sql`'{}'::jsonb`),
  openedAt: timestamp('opened_at', { withTimezone: true }).notNull().default(sql`now()`),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(sql`now()`),
  resolvedAt: timestamp('resolved_at', { withTimezone: true }),
}, (t) => [check('alerts_state_check', oneOf(t.state, ALERT_STATES))]);

/** Every state an alert entered, in order: the history behind `alerts`. */
export const alertEvents = pgTable('alert_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  subject: text('subject').notNull(),
  kind: text('kind').notNull(),
  state: text('state').notNull(),
  message: text('message').notNull(),
  details: jsonb('details').notNull().default(sql`'{}'::jsonb`),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`now()`),
}, (t) => [
  index('alert_events_created_idx').on(t.createdAt),
  check('alert_events_state_check', oneOf(t.state, ALERT_STATES)),
]);

/**
 * Availability changes due in the future, go-lives and takedowns alike: a DDEX deal or a
 * Catalogue Events window that starts or ends later takes effect at `dueAt` (docs/feeds.md).
 */
export const scheduledAvailabilityChanges = pgTable('scheduled_availability_changes', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  entity: text('entity').notNull(),
  source: text('source').notNull(),
  country: text('country').notNull(),
  itemId: text('item_id').notNull(),
  dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
  /** The version of the message that scheduled it: a newer message supersedes it. */
  changeVersion: bigint('change_version', { mode: 'bigint' }).notNull(),
  reason: text('reason').notNull(),
  /** `taken_down` (a deal ends) or `live` (a deal starts): the item's status from `dueAt`. */
  targetStatus: text('target_status').notNull().default('taken_down'),
  runId: bigint('run_id', { mode: 'number' }).references(() => feedRuns.id),
  /** SCHEDULED_CHANGE_STATUSES (src/catalogue/statuses.ts). */
  status: text('status').notNull().default('pending'),
  appliedAt: timestamp('applied_at', { withTimezone: true }),
}, (t) => [
  index('scheduled_availability_changes_due_idx').on(t.dueAt).where(sql`${t.status} = 'pending'`),
  index('scheduled_availability_changes_item_idx').on(t.source, t.entity, t.itemId).where(sql`${t.status} = 'pending'`),
  check('scheduled_availability_changes_status_check', oneOf(t.status, SCHEDULED_CHANGE_STATUSES)),
  check('scheduled_availability_changes_target_status_check', oneOf(t.targetStatus, CATALOGUE_STATUSES)),
]);
