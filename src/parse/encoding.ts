// Feeds and DDEX messages are read as UTF-8 (docs/feeds.md). A file in another Unicode encoding
// is told by its byte order mark, or by the NULs between its ASCII characters, so that it
// is rejected by the name of its encoding rather than as garbage.
import { peekFeed } from './input.js';

export type ForeignEncoding = 'UTF-16LE' | 'UTF-16BE' | 'UTF-32LE' | 'UTF-32BE';

export function foreignEncoding(head: Uint8Array): ForeignEncoding | undefined {
  const [a, b, c, d] = head;
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) return 'UTF-32LE';
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return 'UTF-32BE';
  if (a === 0xff && b === 0xfe) return 'UTF-16LE';
  if (a === 0xfe && b === 0xff) return 'UTF-16BE';
  if (head.length < 4) return undefined;
  if (a !== 0 && b === 0 && c !== 0 && d === 0) return 'UTF-16LE';
  if (a === 0 && b !== 0 && c === 0 && d !== 0) return 'UTF-16BE';
  return undefined;
}

/** The first bytes of a file after gunzip (fewer when it is shorter). */
export async function fileHead(filePath: string, bytes = 4096): Promise<Buffer> {
  const { stream, close } = await peekFeed(filePath);
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= bytes) break;
    }
  } catch {
    // A corrupt gzip is reported by the full read (verifyFeedFile); the head is what there is.
  } finally {
    close();
  }
  return Buffer.concat(chunks).subarray(0, bytes);
}

/** The head as text, in its own encoding: to tell XML from CSV whatever the encoding. */
export function headText(head: Buffer): string {
  const encoding = foreignEncoding(head);
  const label = encoding === 'UTF-16BE' ? 'utf-16be' : encoding === 'UTF-16LE' ? 'utf-16le' : 'utf-8';
  return new TextDecoder(label).decode(head).replace(/^\uFEFF/, '');
}

/** The reason a file in a foreign encoding is refused; nothing of the file is quoted. */
export function encodingReason(encoding: ForeignEncoding): string {
  return `the file is encoded in ${encoding}; feedline reads UTF-8 only (re-encode it as UTF-8)`;
}
