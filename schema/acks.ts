// Operators' acknowledgements of open alerts (`feedline alerts ack`). An acknowledgement
// belongs to one opening of an alert: it holds while the alert stays open, and a subject
// that resolves and opens again is unacknowledged again.
import { text, timestamp, pgTable } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

export const alertAcks = pgTable('alert_acks', {
  subject: text('subject').primaryKey(),
  /** The `alerts.opened_at` of the opening acknowledged. */
  openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
  acknowledgedBy: text('acknowledged_by').notNull(),
  note: text('note'),
  acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }).notNull().default(sql`now()`),
});
