// Catalogue Events (issue 12): the provider's pushed release snapshots. Every request that
// passes the token check is recorded here before it is answered, so an acknowledged event
// survives any crash after the 2XX, and a refused body is on record for the operator.
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, index, integer, jsonb, pgTable, primaryKey, real, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { INBOX_STATUSES } from '../src/catalogue/statuses.js';
import { oneOf } from './checks.js';
import { feedRuns } from './runs.js';

export const eventsInbox = pgTable('events_inbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  /** `standard` (release snapshots, takedowns) | `enhanced` (track tags). */
  endpoint: text('endpoint').notNull(),
  /** The root `id`: a release id (standard) or a track id (enhanced); null when the body is unreadable. */
  itemId: text('item_id'),
  /** The provider's `version` (larger is newer, per item); null when the body is unreadable. */
  version: bigint('version', { mode: 'bigint' }),
  takedown: boolean('takedown').notNull().default(false),
  /** SHA-256 of the inflated body. */
  contentSha256: text('content_sha256').notNull(),
  /** The inflated body exactly as sent: unknown fields kept, so a schema change can re-read it. */
  body: text('body').notNull(),
  bytes: integer('bytes').notNull(),
  gzip: boolean('gzip').notNull().default(false),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().default(sql`now()`),
  /** From the verified token, when present. */
  jwtIat: timestamp('jwt_iat', { withTimezone: true }),
  jwtJti: text('jwt_jti'),
  /** Another body was already stored under this item and version. */
  conflicting: boolean('conflicting').notNull().default(false),
  /** HTTP status we answered. */
  httpStatus: integer('http_status').notNull(),
  /** Milliseconds from the request's arrival to the store. */
  ackMs: real('ack_ms'),
  /** INBOX_STATUSES (src/catalogue/statuses.ts). */
  status: text('status').notNull(),
  /** Why it was rejected or is waiting. */
  reason: text('reason'),
  /** The run that carries its SLA clock and takedown evidence (src/db/events.ts). */
  runId: bigint('run_id', { mode: 'number' }).references(() => feedRuns.id),
  attempts: integer('attempts').notNull().default(0),
  /** Apply counts (catalogue rows inserted, updated, taken down, unchanged). */
  result: jsonb('result'),
  appliedAt: timestamp('applied_at', { withTimezone: true }),
}, (t) => [
  // The same event again is stored once.
  uniqueIndex('events_inbox_once').on(t.endpoint, t.itemId, t.version, t.contentSha256),
  index('events_inbox_item_idx').on(t.endpoint, t.itemId, t.version),
  index('events_inbox_open_idx').on(t.status).where(sql`${t.status} in ('pending', 'waiting')`),
  index('events_inbox_received_idx').on(t.receivedAt),
  check('events_inbox_status_check', oneOf(t.status, INBOX_STATUSES)),
]);

/** Enhanced Metadata attached to a stored track, newest version wins. */
export const trackEnhancements = pgTable('track_enhancements', {
  source: text('source').notNull(),
  trackId: text('track_id').notNull(),
  version: bigint('version', { mode: 'bigint' }).notNull(),
  data: jsonb('data').notNull(),
  inboxId: bigint('inbox_id', { mode: 'number' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(sql`now()`),
}, (t) => [primaryKey({ columns: [t.source, t.trackId] })]);
