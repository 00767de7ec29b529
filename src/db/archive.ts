// The PostgreSQL raw archive's statements (schema/archive.ts): files by sha256, their bytes
// in chunks written under an upload id (src/archive/postgres.ts streams them).
import { sql } from 'drizzle-orm';
import { query, type Orm } from './client.js';

type Executor = Pick<Orm, 'execute'>;

/** Stores one chunk. Parameters: upload id, chunk number, bytes. */
export async function insertChunk(db: Executor, uploadId: string, seq: number, data: Buffer): Promise<void> {
  await query(db, sql`insert into archive_chunks (upload_id, seq, data) values (${uploadId}, ${seq}, ${data})`);
}

/**
 * Names an upload's chunks as the file `sha256`, or counts a new delivery of bytes stored
 * before; returns the upload that holds the bytes. Parameters: sha256, upload id, bytes, chunks.
 */
export async function insertArchiveFile(db: Executor, sha256: string, uploadId: string, bytes: number, chunks: number): Promise<string | undefined> {
  const [row] = await query<{ uploadId: string }>(db, sql`
    insert into archive_files (sha256, upload_id, bytes, chunks) values (${sha256}, ${uploadId}, ${bytes}, ${chunks})
    on conflict (sha256) do update set delivered_at = now()
    returning upload_id::text as "uploadId"`);
  return row?.uploadId;
}

/** Where an archived file's bytes are. Parameters: sha256. */
export async function archiveFile(db: Executor, sha256: string): Promise<{ uploadId: string; chunks: number } | undefined> {
  const [row] = await query<{ uploadId: string; chunks: number }>(db, sql`
    select upload_id::text as "uploadId", chunks from archive_files where sha256 = ${sha256}`);
  return row;
}

/** One chunk's bytes. Parameters: upload id, chunk number. */
export async function readChunk(db: Executor, uploadId: string, seq: number): Promise<Uint8Array | undefined> {
  const [row] = await query<{ data: Uint8Array }>(db, sql`select data from archive_chunks where upload_id = ${uploadId} and seq = ${seq}`);
  return row?.data;
}

/** Deletes an upload's chunks. Parameters: upload id. */
export async function deleteUpload(db: Executor, uploadId: string): Promise<void> {
  await query(db, sql`delete from archive_chunks where upload_id = ${uploadId}`);
}

/**
 * Deletes files last delivered before `cutoff`, and their chunks, except those in `keep`;
 * returns their sha256. Parameters: cutoff, sha256s to keep.
 */
export async function pruneArchiveFiles(db: Executor, cutoff: Date, keep: ReadonlySet<string>): Promise<string[]> {
  // An array literal: hex digests need no quoting, and both drivers pass a string alike.
  const kept = `{${[...keep].join(',')}}`;
  const gone = await query<{ sha256: string }>(db, sql`
    with gone as (
      delete from archive_files
      where delivered_at < ${cutoff.toISOString()}::timestamptz and not (sha256 = any(${kept}::text[]))
      returning sha256, upload_id),
    chunks as (delete from archive_chunks c using gone where c.upload_id = gone.upload_id)
    select sha256 from gone`);
  return gone.map((r) => r.sha256);
}

/** Deletes chunks written before `cutoff` that no file names (a crashed upload's). Parameters: cutoff. */
export async function pruneOrphanChunks(db: Executor, cutoff: Date): Promise<void> {
  await query(db, sql`
    delete from archive_chunks c where c.written_at < ${cutoff.toISOString()}::timestamptz
      and not exists (select 1 from archive_files f where f.upload_id = c.upload_id)`);
}
