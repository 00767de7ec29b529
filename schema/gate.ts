// Playback gate (issue 13): single-use nonces of signed stream URLs (when Redis is not
// configured) and the play log the licences require, with the time each play was received
// (the backup record) and the time the provider accepted it.
import { sql } from 'drizzle-orm';
import { bigserial, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** A stream URL's nonce, consumed by its first authorization; kept until the URL expires. */
export const gateNonces = pgTable('gate_nonces', {
  nonce: text('nonce').primaryKey(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
}, (t) => [index('gate_nonces_expires_idx').on(t.expiresAt)]);

export const plays = pgTable('plays', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  /** The service that posted it (the bearer token's caller name). */
  caller: text('caller').notNull(),
  userId: text('user_id').notNull(),
  source: text('source').notNull(),
  trackId: text('track_id').notNull(),
  releaseId: text('release_id').notNull(),
  country: text('country').notNull(),
  playedAt: timestamp('played_at', { withTimezone: true }).notNull(),
  /** Seconds; 0 for a prefetched track that was never played. */
  totalTimePlayed: integer('total_time_played').notNull(),
  /** `naturalEnd` | `userSkipped` | `other`. */
  endReason: text('end_reason').notNull(),
  /** When we received it: the backup record the compliance terms ask for. */
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().default(sql`now()`),
  /** When the provider's stream-log endpoint accepted it. */
  forwardedAt: timestamp('forwarded_at', { withTimezone: true }),
  /** Why the provider refused it (never retried). */
  rejectedReason: text('rejected_reason'),
  rejectedAt: timestamp('rejected_at', { withTimezone: true }),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().default(sql`now()`),
  /** A forwarder holds the play until then (several gates may forward). */
  claimedUntil: timestamp('claimed_until', { withTimezone: true }),
  lastError: text('last_error'),
}, (t) => [
  index('plays_due_idx').on(t.nextAttemptAt).where(sql`${t.forwardedAt} is null and ${t.rejectedAt} is null`),
  index('plays_played_idx').on(t.playedAt),
]);
