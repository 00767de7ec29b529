// DDEX delivery acknowledgements (issue 27): one row per message of a batch (its file and
// content) and outcome, written
// before its ACK_*.xml file and marked when the file is in place, so a crash between the two
// leaves a row to finish, and a batch processed again finds the acknowledgement already sent.
import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { feedRuns } from './runs.js';

export const ddexAcks = pgTable('ddex_acks', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  /** The run whose outcome was told (a rejected file processed again is a new run of the same content). */
  runId: bigint('run_id', { mode: 'number' }).notNull().references(() => feedRuns.id),
  /** `applied` | `applied_with_warnings` | `quarantined` | `rejected` (src/ingest/ddex-ack-xml.ts). */
  outcome: text('outcome').notNull(),
  /** The batch folder as it was processed, and the BatchId its marker names. */
  batchDir: text('batch_dir').notNull(),
  batchId: text('batch_id').notNull(),
  /** The message file, relative to the batch folder, and its content's hash. */
  messageFile: text('message_file').notNull(),
  fileSha256: text('file_sha256').notNull(),
  /** The acknowledgement file's full path. */
  ackPath: text('ack_path').notNull(),
  /** The acknowledgement's own MessageId. */
  ackMessageId: text('ack_message_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`now()`),
  /** When the file was renamed into place: when the sender was told. Null: not yet. */
  writtenAt: timestamp('written_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('ddex_acks_message_outcome').on(t.batchDir, t.messageFile, t.fileSha256, t.outcome),
  uniqueIndex('ddex_acks_path').on(t.ackPath),
  index('ddex_acks_batch_idx').on(t.batchDir),
]);
