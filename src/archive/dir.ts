// The directory store: files under `${FEEDLINE_HOME}/archive/` (src/archive/files.ts), as
// feedline has always kept them.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { NotFoundError } from '../errors.js';
import { archiveFile, archiveStream, archivedPath, pruneArchive, type ArchivedFile } from './files.js';
import type { ArchiveStore, ArchivedRef, StoredFile } from './store.js';

const READ_CHUNK_BYTES = 1024 * 1024;

function stored(file: ArchivedFile): StoredFile {
  return { sha256: file.sha256, bytes: file.bytes, location: file.path };
}

export function directoryArchive(home: string): ArchiveStore {
  /** The recorded path, or this home's path for the bytes (a run recorded under another home). */
  const find = async (file: ArchivedRef): Promise<string | undefined> => {
    for (const candidate of [file.location, archivedPath(home, file.sha256)]) {
      if ((await stat(candidate).catch(() => undefined))?.isFile()) return candidate;
    }
    return undefined;
  };
  const required = async (file: ArchivedRef): Promise<string> => {
    const found = await find(file);
    if (!found) throw new NotFoundError(`the archived file ${file.sha256} is not in ${home} (FEEDLINE_ARCHIVE=dir needs the archive on every host)`);
    return found;
  };
  return {
    kind: 'dir',
    put: async (source) => stored(await archiveStream(home, source)),
    putFile: async (localPath) => stored(await archiveFile(home, localPath)),
    stage: async (source) => stored(await archiveStream(home, source)),
    has: async (file) => (await find(file)) !== undefined,
    open: async (file) => createReadStream(await required(file), { highWaterMark: READ_CHUNK_BYTES }),
    localCopy: required,
    prune: (retentionDays, keep, now) => pruneArchive(home, retentionDays, keep, now),
  };
}
