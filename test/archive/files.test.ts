import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archivedPath, archiveFile, archiveStream, pruneArchive } from '../../src/archive/files.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let home: string;
let work: string;

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'feedline-archive-'));
  work = await mkdtemp(path.join(tmpdir(), 'feedline-archive-input-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

async function localFile(name: string, content: Buffer): Promise<string> {
  const filePath = path.join(work, name);
  await writeFile(filePath, content);
  return filePath;
}

/** Every file under the archive, relative to it. */
async function archiveContents(): Promise<string[]> {
  const entries = await readdir(path.join(home, 'archive'), { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(path.join(home, 'archive'), path.join(entry.parentPath, entry.name))).sort();
}

describe('archiveFile', () => {
  it('stores a local file under its sha256, sharded by the first two hex digits', async () => {
    const content = Buffer.from('trackId,title\n1,One\n');
    const digest = sha256(content);

    const archived = await archiveFile(home, await localFile('GB_track_updates_20261120.csv', content));

    expect(archived).toEqual({ path: path.join(home, 'archive', digest.slice(0, 2), digest), sha256: digest, bytes: content.length });
    expect(archived.path).toBe(archivedPath(home, digest));
    expect(await readFile(archived.path)).toEqual(content);
  });

  it('stores the same content once, whatever the source file was called', async () => {
    const content = Buffer.from('same bytes');

    const first = await archiveFile(home, await localFile('GB_track_updates_20261120.csv.gz', content));
    const second = await archiveFile(home, await localFile('GB_track_updates_20261121.gz', content));

    expect(second.path).toBe(first.path);
    expect(await archiveContents()).toEqual([path.join(first.sha256.slice(0, 2), first.sha256)]);
  });

  it('refreshes the modification time when the same content arrives again, so retention counts from then', async () => {
    const source = await localFile('feed.csv', Buffer.from('again'));
    const { path: archived } = await archiveFile(home, source);
    const old = new Date(Date.now() - 30 * DAY_MS);
    await utimes(archived, old, old);

    await archiveFile(home, source);

    expect((await stat(archived)).mtimeMs).toBeGreaterThan(old.getTime() + DAY_MS);
  });

  it('handles a file larger than one read chunk', async () => {
    const content = Buffer.alloc(3 * 1024 * 1024 + 7, 'x');

    const archived = await archiveFile(home, await localFile('big.csv', content));

    expect(archived).toMatchObject({ sha256: sha256(content), bytes: content.length });
  });
});

describe('archiveStream', () => {
  it('leaves nothing behind when the source fails midway', async () => {
    const failing = Readable.from((async function* () {
      yield Buffer.from('partial');
      throw new Error('connection reset');
    })());

    await expect(archiveStream(home, failing)).rejects.toThrow('connection reset');
    expect(await archiveContents()).toEqual([]);
  });
});

describe('archivedPath', () => {
  it('rejects anything but a sha256 hex digest', () => {
    expect(() => archivedPath(home, '../../etc/passwd')).toThrow(TypeError);
  });
});

describe('pruneArchive', () => {
  it('deletes files older than the retention, except those kept, and stale temporary files', async () => {
    const now = Date.now();
    const old = new Date(now - 91 * DAY_MS);
    const expired = await archiveFile(home, await localFile('a', Buffer.from('expired')));
    const kept = await archiveFile(home, await localFile('b', Buffer.from('kept by a run')));
    const recent = await archiveFile(home, await localFile('c', Buffer.from('recent')));
    const staleTemp = path.join(home, 'archive', '.incoming-crashed');
    await writeFile(staleTemp, 'half a feed');
    for (const file of [expired.path, kept.path, staleTemp]) await utimes(file, old, old);

    const deleted = await pruneArchive(home, 90, new Set([kept.sha256]), now);

    expect(deleted).toEqual([expired.sha256]);
    expect((await archiveContents()).map((file) => path.basename(file)).sort()).toEqual([kept.sha256, recent.sha256].sort());
  });

  it('does nothing when there is no archive yet', async () => {
    expect(await pruneArchive(home, 90, new Set())).toEqual([]);
  });
});
