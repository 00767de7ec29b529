// The PostgreSQL store: each file's bytes in fixed-size chunks (archive_chunks), named by
// sha256 (archive_files). Streams in and out one chunk at a time, so memory stays at about
// one chunk whatever the file's size. Parsers read a verified working copy under
// `${FEEDLINE_HOME}/archive-cache/`, streamed out of the database on first use and pruned
// a day after its last use: a worker that never saw the file builds it from PostgreSQL alone.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { query, type Database } from '../db/client.js';
import { NotFoundError } from '../errors.js';
import { archiveStream, archivedPath, pruneArchive } from './files.js';
import type { ArchiveOptions, ArchiveStore, ArchivedRef, StoredFile } from './store.js';

const DEFAULT_CHUNK_BYTES = 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;
/** Working copies are only for parsing; a day covers any run's recovery window. */
const CACHE_RETENTION_DAYS = 1;
/** Chunks of an upload that never finished (its process died) are garbage after this. */
const ORPHAN_CHUNK_HOURS = 24;

export function postgresLocation(sha256: string): string {
  return `postgres:${sha256}`;
}

export function postgresArchive(db: Database, home: string, options: ArchiveOptions = {}): ArchiveStore {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const cacheHome = path.join(home, 'archive-cache');

  const put = async (source: Readable): Promise<StoredFile> => {
    const uploadId = randomUUID();
    const hash = createHash('sha256');
    let bytes = 0;
    let seq = 0;
    const writeChunk = async (data: Buffer) => {
      await query(db.orm, sql`insert into archive_chunks (upload_id, seq, data) values (${uploadId}, ${seq}, ${data})`);
      seq++;
    };
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const piece of source as AsyncIterable<Buffer>) {
        hash.update(piece);
        bytes += piece.length;
        pending.push(piece);
        pendingBytes += piece.length;
        // Awaiting the insert before reading on is the backpressure: at most one chunk
        // (plus one read) is ever in memory.
        while (pendingBytes >= chunkBytes) {
          const all = Buffer.concat(pending, pendingBytes);
          await writeChunk(all.subarray(0, chunkBytes));
          pending = pendingBytes > chunkBytes ? [all.subarray(chunkBytes)] : [];
          pendingBytes -= chunkBytes;
        }
      }
      if (pendingBytes > 0 || seq === 0) await writeChunk(Buffer.concat(pending, pendingBytes));
    } catch (err) {
      await deleteUpload(db, uploadId).catch(() => undefined);
      throw err;
    }
    const sha256 = hash.digest('hex');
    // The same bytes stored before: count a new delivery and drop this upload's chunks.
    const [row] = await query<{ uploadId: string }>(db.orm, sql`
      insert into archive_files (sha256, upload_id, bytes, chunks) values (${sha256}, ${uploadId}, ${bytes}, ${seq})
      on conflict (sha256) do update set delivered_at = now()
      returning upload_id::text as "uploadId"`);
    if (row?.uploadId !== uploadId) await deleteUpload(db, uploadId);
    return { sha256, bytes, location: postgresLocation(sha256) };
  };

  const fileRow = async (sha256: string) => {
    const [row] = await query<{ uploadId: string; chunks: number }>(db.orm, sql`
      select upload_id::text as "uploadId", chunks from archive_files where sha256 = ${sha256}`);
    return row;
  };

  const open = async (file: ArchivedRef): Promise<Readable> => {
    const row = await fileRow(file.sha256);
    if (!row) throw new NotFoundError(`the archived file ${file.sha256} is not in the PostgreSQL archive (pruned, or never stored)`);
    return Readable.from(readChunks(db, row.uploadId, row.chunks), { objectMode: false });
  };

  return {
    kind: 'postgres',
    put,
    putFile: (localPath) => put(createReadStream(localPath, { highWaterMark: READ_CHUNK_BYTES })),
    stage: async (source) => {
      const staged = await archiveStream(cacheHome, source);
      return { sha256: staged.sha256, bytes: staged.bytes, location: staged.path };
    },
    has: async (file) => (await fileRow(file.sha256)) !== undefined,
    open,
    async localCopy(file) {
      // Every host prunes its own working copies as it makes new ones: workers run no
      // retention pass of their own.
      await pruneArchive(cacheHome, CACHE_RETENTION_DAYS, new Set([file.sha256]));
      const cached = archivedPath(cacheHome, file.sha256);
      if ((await stat(cached).catch(() => undefined))?.isFile()) {
        const now = new Date();
        await utimes(cached, now, now);
        return cached;
      }
      const copy = await archiveStream(cacheHome, await open(file));
      if (copy.sha256 !== file.sha256) throw new Error(`the PostgreSQL archive returned other bytes for ${file.sha256} (got ${copy.sha256})`);
      return copy.path;
    },
    async prune(retentionDays, keep, now = Date.now()) {
      const cutoff = new Date(now - retentionDays * 24 * 3_600_000).toISOString();
      const orphanCutoff = new Date(now - ORPHAN_CHUNK_HOURS * 3_600_000).toISOString();
      // An array literal: hex digests need no quoting, and both drivers pass a string alike.
      const kept = `{${[...keep].join(',')}}`;
      const gone = await query<{ sha256: string }>(db.orm, sql`
        with gone as (
          delete from archive_files
          where delivered_at < ${cutoff}::timestamptz and not (sha256 = any(${kept}::text[]))
          returning sha256, upload_id),
        chunks as (delete from archive_chunks c using gone where c.upload_id = gone.upload_id)
        select sha256 from gone`);
      await query(db.orm, sql`
        delete from archive_chunks c where c.written_at < ${orphanCutoff}::timestamptz
          and not exists (select 1 from archive_files f where f.upload_id = c.upload_id)`);
      await pruneArchive(cacheHome, CACHE_RETENTION_DAYS, keep, now);
      return gone.map((r) => r.sha256);
    },
  };
}

async function* readChunks(db: Database, uploadId: string, chunks: number): AsyncGenerator<Buffer> {
  for (let seq = 0; seq < chunks; seq++) {
    const [row] = await query<{ data: Uint8Array }>(db.orm, sql`select data from archive_chunks where upload_id = ${uploadId} and seq = ${seq}`);
    if (!row) throw new Error(`archive chunk ${seq} of upload ${uploadId} is missing`);
    yield Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength);
  }
}

async function deleteUpload(db: Database, uploadId: string): Promise<void> {
  await query(db.orm, sql`delete from archive_chunks where upload_id = ${uploadId}`);
}
