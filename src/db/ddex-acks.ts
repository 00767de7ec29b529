// DDEX acknowledgements on record (schema/ddex-acks.ts): claimed before the ACK_*.xml file is
// written and marked written once it is renamed into place.
import { sql } from 'drizzle-orm';
import { query, type Orm } from './client.js';

type Executor = Pick<Orm, 'execute'>;

export interface DdexAck {
  id: number;
  runId: number;
  outcome: string;
  batchDir: string;
  batchId: string;
  messageFile: string;
  fileSha256: string;
  ackPath: string;
  ackMessageId: string;
  createdAt: Date;
  writtenAt: Date | null;
}

/** What claiming an acknowledgement needs: the message and outcome, and how to name the file. */
export interface NewDdexAck extends Pick<DdexAck, 'runId' | 'outcome' | 'batchDir' | 'batchId' | 'messageFile' | 'fileSha256'> {
  /** The file name wanted; a message acknowledged before with another outcome gets a numbered one. */
  ackPath: (earlierAcks: number) => string;
  ackMessageId: (id: number) => string;
}

const columns = (prefix: string) => sql.raw(`${prefix}id::integer as id, ${prefix}run_id::integer as "runId", ${prefix}outcome,
  ${prefix}batch_dir as "batchDir", ${prefix}batch_id as "batchId", ${prefix}message_file as "messageFile", ${prefix}file_sha256 as "fileSha256", ${prefix}ack_path as "ackPath",
  ${prefix}ack_message_id as "ackMessageId", ${prefix}created_at as "createdAt", ${prefix}written_at as "writtenAt"`);
const ACK_COLUMNS = columns('');

/**
 * The acknowledgement of one message of a batch (file and content) with one outcome: the one
 * on record, or a new one. Serialised per batch message by an advisory lock, so two processes never claim two.
 */
export async function claimDdexAck(db: Orm, ack: NewDdexAck): Promise<DdexAck> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`ddex-ack|${ack.batchDir}|${ack.messageFile}`}))`);
    const [existing] = await query<DdexAck>(tx, sql`
      select ${ACK_COLUMNS} from ddex_acks
      where batch_dir = ${ack.batchDir} and message_file = ${ack.messageFile} and file_sha256 = ${ack.fileSha256} and outcome = ${ack.outcome}`);
    if (existing) return existing;
    const [{ n } = { n: 0 }] = await query<{ n: number }>(tx, sql`
      select count(*)::integer as n from ddex_acks where batch_dir = ${ack.batchDir} and message_file = ${ack.messageFile}`);
    const [{ id } = { id: 0 }] = await query<{ id: number }>(tx, sql`select nextval(pg_get_serial_sequence('ddex_acks', 'id'))::integer as id`);
    const [row] = await query<DdexAck>(tx, sql`
      insert into ddex_acks (id, run_id, outcome, batch_dir, batch_id, message_file, file_sha256, ack_path, ack_message_id)
      values (${id}, ${ack.runId}, ${ack.outcome}, ${ack.batchDir}, ${ack.batchId}, ${ack.messageFile}, ${ack.fileSha256}, ${ack.ackPath(n)}, ${ack.ackMessageId(id)})
      returning ${ACK_COLUMNS}`);
    return row!;
  });
}

/** The acknowledgement's file is in place: the sender can read it from now. */
export async function markDdexAckWritten(db: Executor, id: number): Promise<Date> {
  const [row] = await query<{ writtenAt: Date }>(db, sql`
    update ddex_acks set written_at = coalesce(written_at, now()) where id = ${id} returning written_at as "writtenAt"`);
  return new Date(row!.writtenAt);
}

export interface DdexAckListed extends DdexAck {
  source: string;
  messageId: string | null;
}

/** Acknowledgements, newest first; of one batch folder when given. */
export async function listDdexAcks(db: Executor, filter: { batchDir?: string; limit?: number } = {}): Promise<DdexAckListed[]> {
  return query<DdexAckListed>(db, sql`
    select ${columns('a.')},
      r.source, r.meta->>'messageId' as "messageId"
    from ddex_acks a join feed_runs r on r.id = a.run_id
    where (${filter.batchDir ?? null}::text is null or a.batch_dir = ${filter.batchDir ?? null})
    order by a.id desc limit ${filter.limit ?? 1000}`);
}

export interface AckProblem {
  line: number;
  column: number | null;
  reason: string;
  severity: string;
  /** The sender-derived detail, cut short in SQL: a quarantine row may be megabytes. */
  detail: string;
}

/** The first `limit` problems of a run, each detail cut to `maxChars`; how many there are in all, and of them warnings. */
export async function ackProblems(db: Executor, runId: number, limit: number, maxChars: number): Promise<{ problems: AckProblem[]; total: number; warnings: number }> {
  const problems = await query<AckProblem>(db, sql`
    select line, "column", reason, severity, left(raw, ${maxChars}) as detail
    from quarantine where run_id = ${runId} order by line, id limit ${limit}`);
  const [counts = { total: 0, warnings: 0 }] = await query<{ total: number; warnings: number }>(db, sql`
    select count(*)::integer as total, (count(*) filter (where severity = 'warning'))::integer as warnings from quarantine where run_id = ${runId}`);
  return { problems, ...counts };
}
