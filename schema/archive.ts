// The raw feed archive in PostgreSQL (FEEDLINE_ARCHIVE=postgres): each file stored once by
// its sha256, its bytes in fixed-size chunks, so any worker on any host re-parses a run
// with nothing but DATABASE_URL, and no process ever holds a whole file in memory.
import { sql } from 'drizzle-orm';
import { bigint, customType, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/** One row per archived file; `deliveredAt` is its latest delivery, from which retention counts. */
export const archiveFiles = pgTable('archive_files', {
  sha256: text('sha256').primaryKey(),
  /** The upload whose chunks hold the bytes (the first upload of these bytes). */
  uploadId: uuid('upload_id').notNull(),
  bytes: bigint('bytes', { mode: 'number' }).notNull(),
  chunks: integer('chunks').notNull(),
  storedAt: timestamp('stored_at', { withTimezone: true }).notNull().default(sql`now()`),
  deliveredAt: timestamp('delivered_at', { withTimezone: true }).notNull().default(sql`now()`),
});

/**
 * Chunks are written under an upload id while the file streams in (its sha256 is known only
 * at the end); chunks of an upload no file row names are left by a crash and pruned.
 */
export const archiveChunks = pgTable('archive_chunks', {
  uploadId: uuid('upload_id').notNull(),
  seq: integer('seq').notNull(),
  data: bytea('data').notNull(),
  writtenAt: timestamp('written_at', { withTimezone: true }).notNull().default(sql`now()`),
}, (t) => [primaryKey({ columns: [t.uploadId, t.seq] })]);
