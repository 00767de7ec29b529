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
import { archiveFile, deleteUpload, insertArchiveFile, insertChunk, pruneArchiveFiles, pruneOrphanChunks, readChunk } from '../db/archive.js';
import type { Database } from '../db/client.js';
import { NotFoundError } from '../errors.js';
import { archiveStream, archivedPath, pruneArchive } from './files.js';
import type { ArchiveOptions, ArchiveStore, ArchivedRef, StoredFile } from './store.js';
import { systemClock } from '../clock.js';

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
      await insertChunk(db.orm, uploadId, seq, data);
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
      await deleteUpload(db.orm, uploadId).catch(() => undefined);
      throw err;
    }
    const sha256 = hash.digest('hex');
    // The same bytes stored before: count a new delivery and drop this upload's chunks.
    if ((await insertArchiveFile(db.orm, sha256, uploadId, bytes, seq)) !== uploadId) await deleteUpload(db.orm, uploadId);
    return { sha256, bytes, location: postgresLocation(sha256) };
  };

  const fileRow = (sha256: string) => archiveFile(db.orm, sha256);

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
        const now = systemClock();
        await utimes(cached, now, now);
        return cached;
      }
      const copy = await archiveStream(cacheHome, await open(file));
      if (copy.sha256 !== file.sha256) throw new Error(`the PostgreSQL archive returned other bytes for ${file.sha256} (got ${copy.sha256})`);
      return copy.path;
    },
    async prune(retentionDays, keep, now = systemClock().getTime()) {
      const gone = await pruneArchiveFiles(db.orm, new Date(now - retentionDays * 24 * 3_600_000), keep);
      await pruneOrphanChunks(db.orm, new Date(now - ORPHAN_CHUNK_HOURS * 3_600_000));
      await pruneArchive(cacheHome, CACHE_RETENTION_DAYS, keep, now);
      return gone;
    },
  };
}

async function* readChunks(db: Database, uploadId: string, chunks: number): AsyncGenerator<Buffer> {
  for (let seq = 0; seq < chunks; seq++) {
    const data = await readChunk(db.orm, uploadId, seq);
    if (!data) throw new Error(`archive chunk ${seq} of upload ${uploadId} is missing`);
    yield Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
}
