// Reads an event body: identity or gzip, never more than the limit after inflation. The
// count runs on the inflated stream as it is produced, so a gzip bomb stops at the limit
// instead of filling memory.
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

export type BodyResult =
  | { ok: true; text: string; gzip: boolean }
  | { ok: false; status: 400 | 413 | 415; reason: string };

export async function readEventBody(req: IncomingMessage, limitBytes: number): Promise<BodyResult> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding !== 'identity' && encoding !== 'gzip') return { ok: false, status: 415, reason: `content-encoding ${encoding} is not supported (identity or gzip)` };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    return { ok: false, status: 413, reason: `body of ${declared} bytes is over the ${limitBytes}-byte limit` };
  }
  const gzip = encoding === 'gzip';
  const source = gzip ? req.pipe(createGunzip()) : req;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limitBytes) {
        req.unpipe();
        req.resume();
        return { ok: false, status: 413, reason: `body is over the ${limitBytes}-byte limit${gzip ? ' after inflation' : ''}` };
      }
      chunks.push(chunk);
    }
  } catch (err) {
    return { ok: false, status: 400, reason: gzip ? `gzip body unreadable: ${(err as Error).message}` : `body unreadable: ${(err as Error).message}` };
  }
  return { ok: true, text: Buffer.concat(chunks, size).toString('utf8'), gzip };
}
