// The raw feed archive: every file feedline ingests or downloads, stored once by content
// under `${home}/archive/<first two hex digits>/<sha256>`, so a replay can always start
// from the exact bytes and the same file delivered twice is recognised (docs/design.md invariant 6).
//
// Files are named by their sha256 alone, without an extension: the name must depend only on
// the content, or the same bytes received as `.csv.gz` and as `.gz` would be stored twice.
// Readers detect gzip from the bytes (src/parse/input.ts), not from the name.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { systemClock } from '../clock.js';

export interface ArchivedFile {
  /** Absolute path of the archived copy. */
  path: string;
  sha256: string;
  bytes: number;
}

const TEMP_PREFIX = '.incoming-';
const SHA256_HEX = /^[0-9a-f]{64}$/;
const DAY_MS = 24 * 60 * 60 * 1000;
const READ_CHUNK_BYTES = 1024 * 1024;

function archiveDir(home: string): string {
  return path.resolve(home, 'archive');
}

export function archivedPath(home: string, sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new TypeError(`not a sha256 hex digest: ${sha256}`);
  return path.join(archiveDir(home), sha256.slice(0, 2), sha256);
}

/**
 * Writes the stream to a temporary file in the archive, hashing as it goes, then fsyncs and
 * renames it into place. A half-written file never carries a content name: on error the
 * temporary file is removed and the error rethrown.
 */
export async function archiveStream(home: string, source: Readable): Promise<ArchivedFile> {
  const dir = archiveDir(home);
  await mkdir(dir, { recursive: true });
  // Same directory tree as the final name, so the rename is atomic (same file system).
  const tempPath = path.join(dir, `${TEMP_PREFIX}${randomUUID()}`);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(
      source,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      },
      // `flush` fsyncs before the stream closes its descriptor: the bytes are on disk before
      // the rename gives them a content name. (A FileHandle stream with autoClose off would
      // keep the handle busy, and closing it would then wait forever.)
      createWriteStream(tempPath, { flags: 'wx', flush: true }),
    );
  } catch (err) {
    await unlink(tempPath).catch(() => undefined);
    throw err;
  }
  const sha256 = hash.digest('hex');
  const finalPath = archivedPath(home, sha256);
  await mkdir(path.dirname(finalPath), { recursive: true });
  if (await touch(finalPath)) {
    await unlink(tempPath);
  } else {
    await rename(tempPath, finalPath);
    await syncDir(path.dirname(finalPath));
  }
  return { path: finalPath, sha256, bytes };
}

/** Archives a local file (every operator ingest does this), streaming in one pass. */
export async function archiveFile(home: string, localPath: string): Promise<ArchivedFile> {
  return archiveStream(home, createReadStream(localPath, { highWaterMark: READ_CHUNK_BYTES }));
}

/**
 * Deletes archived files (and leftover temporary files) last written or delivered more than
 * `retentionDays` ago, except those in `keep` (files a caller still needs, e.g. of an
 * unfinished run). Returns the sha256 of each archived file deleted.
 */
export async function pruneArchive(home: string, retentionDays: number, keep: ReadonlySet<string>, now = systemClock().getTime()): Promise<string[]> {
  const dir = archiveDir(home);
  const cutoff = now - retentionDays * DAY_MS;
  const deleted: string[] = [];
  const removeIfOld = async (filePath: string): Promise<boolean> => {
    const info = await stat(filePath).catch(() => undefined);
    if (!info?.isFile() || info.mtimeMs >= cutoff) return false;
    await unlink(filePath).catch(ignoreMissing);
    return true;
  };
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(emptyIfMissing)) {
    if (entry.isFile() && entry.name.startsWith(TEMP_PREFIX)) {
      await removeIfOld(path.join(dir, entry.name));
    } else if (entry.isDirectory()) {
      for (const name of await readdir(path.join(dir, entry.name))) {
        if (!SHA256_HEX.test(name) || keep.has(name)) continue;
        if (await removeIfOld(path.join(dir, entry.name, name))) deleted.push(name);
      }
    }
  }
  return deleted;
}

/**
 * Marks an already archived file as delivered now, so retention counts from the latest
 * delivery of these bytes rather than the first. False when there is no such file.
 */
async function touch(filePath: string): Promise<boolean> {
  const now = systemClock();
  return utimes(filePath, now, now).then(() => true, (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return false;
    throw err;
  });
}

/** Makes a rename durable: the new directory entry survives a crash once the directory is synced. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}

function emptyIfMissing(err: NodeJS.ErrnoException): never[] {
  if (err.code === 'ENOENT') return [];
  throw err;
}
