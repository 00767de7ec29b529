// Opens a feed file as a stream of its decompressed bytes, gunzipping when the bytes say
// gzip (not the extension), and refusing to inflate past a limit (gzip bomb guard).
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { FeedRejectedError } from '../errors.js';

const GZIP_MAGIC = [0x1f, 0x8b];

export async function isGzip(filePath: string): Promise<boolean> {
  const handle = await open(filePath, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

export interface OpenFeedOptions {
  /** Name used in error messages (the file as the operator gave it). */
  name: string;
  maxInflatedBytes: number;
}

/**
 * The start of a file's decompressed bytes, for a look at its head: destroying it closes the
 * file too (openFeed's chain would keep reading a gzip file after its end is dropped).
 */
export async function peekFeed(filePath: string): Promise<{ stream: AsyncIterable<Buffer>; close(): void }> {
  const raw = createReadStream(filePath, { highWaterMark: 64 * 1024 });
  raw.on('error', () => {});
  if (!(await isGzip(filePath))) return { stream: raw, close: () => raw.destroy() };
  const gunzip = createGunzip();
  gunzip.on('error', () => {});
  raw.pipe(gunzip);
  return { stream: gunzip, close: () => { raw.destroy(); gunzip.destroy(); } };
}

/** The feed's bytes, decompressed; errors are FeedRejectedErrors naming the file and reason. */
export async function openFeed(filePath: string, options: OpenFeedOptions): Promise<Readable> {
  const raw = createReadStream(filePath, { highWaterMark: 256 * 1024 });
  if (!(await isGzip(filePath))) return raw;
  let inflated = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflated += chunk.length;
      if (inflated > options.maxInflatedBytes) {
        done(new FeedRejectedError(options.name, `gzip inflates beyond the ${options.maxInflatedBytes}-byte limit (FEEDLINE_MAX_INFLATED_BYTES); possibly a gzip bomb`));
      } else done(null, chunk);
    },
  });
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  const fail = (err: Error) => {
    limit.destroy(err instanceof FeedRejectedError ? err : new FeedRejectedError(options.name, `corrupt or truncated gzip: ${err.message}`, { cause: err }));
  };
  raw.on('error', fail);
  gunzip.on('error', fail);
  raw.pipe(gunzip).pipe(limit);
  return limit;
}

/**
 * Reads the whole file once through gunzip before anything is applied: a truncated or
 * corrupt gzip shows only at its end, and a feed must never half-apply (docs/design.md invariant 5).
 * Returns the decompressed size.
 */
export async function verifyFeedFile(filePath: string, options: OpenFeedOptions): Promise<number> {
  let bytes = 0;
  await pipeline(await openFeed(filePath, options), new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  }));
  if (bytes === 0) throw new FeedRejectedError(options.name, 'empty file: no header line');
  return bytes;
}
