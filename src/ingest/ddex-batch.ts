// A DDEX batch (a delivery folder) is processed only once its `BatchComplete_*.xml` marker is
// there, message by message in MessageCreatedDateTime order, each message once by content hash
// (a message seen before is a duplicate run), and each acknowledged to its sender once its
// outcome is final (src/ingest/ddex-ack.ts).
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { acknowledgeMessage, batchIdOf, type WrittenAck } from './ddex-ack.js';
import { ddexSource, readHeader } from './ddex.js';
import { runLifecycle, type IngestContext, type IngestOutcome, type IngestRequest } from './lifecycle.js';

const MARKER = /^BatchComplete.*\.xml$/i;
const MESSAGE = /\.xml(\.gz)?$/i;
/** Our own acknowledgements: never read back as messages. */
const ACK = /^ACK_.*\.xml$/i;

export interface BatchMessage {
  file: string;
  outcome: IngestOutcome;
  /** Undefined while the message's run is not final (another process is still applying it). */
  ack?: WrittenAck;
}

/** The batch's completion marker, if the sender has written it (a zero-byte BatchComplete_*.xml). */
export async function batchMarker(dir: string): Promise<string | undefined> {
  const entries = await readdir(dir, { withFileTypes: true });
  const marker = entries.find((e) => e.isFile() && MARKER.test(e.name));
  return marker && path.join(dir, marker.name);
}

/** Every message file of a batch folder, the marker excepted, in MessageCreatedDateTime order. */
export async function batchMessages(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (at: string) => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && MESSAGE.test(entry.name) && !MARKER.test(entry.name) && !ACK.test(entry.name)) files.push(full);
    }
  };
  await walk(dir);
  // One at a time: a batch may hold thousands of messages, and only their heads are read.
  const keyed: { file: string; at: number }[] = [];
  for (const file of files) {
    const read = await readHeader(file, path.basename(file));
    // A message whose header cannot be read still goes through ingest, to be rejected on record.
    keyed.push({ file, at: 'header' in read ? read.header.createdAt.getTime() : Number.POSITIVE_INFINITY });
  }
  return keyed.sort((a, b) => a.at - b.at || a.file.localeCompare(b.file)).map((k) => k.file);
}

/**
 * Ingests a complete batch folder. Throws UsageError when its marker is missing (the sender
 * is still writing it). The delivery time is the marker's modification time unless given.
 */
export async function ingestDdexBatch(ctx: IngestContext, dir: string, request: Omit<IngestRequest, 'input' | 'feed'> = {}): Promise<BatchMessage[]> {
  const marker = await batchMarker(dir);
  if (!marker) throw new UsageError(`${dir}: not a complete DDEX batch (no BatchComplete_*.xml marker yet); nothing ingested`);
  const publishedAt = request.publishedAt ?? (await stat(marker)).mtime;
  const batchId = batchIdOf(dir, marker);
  const results: BatchMessage[] = [];
  for (const file of await batchMessages(dir)) {
    // Every file of a batch is read as a DDEX message: one that is not XML is rejected on record.
    const messageFile = path.relative(dir, file);
    const message: IngestRequest = { ...request, input: file, feed: {}, publishedAt, fileName: messageFile };
    const outcome = await runLifecycle(ctx, message, ddexSource(ctx, message));
    // A duplicate is acknowledged from its earlier run: after a crash its file may be missing.
    const ack = await acknowledgeMessage(ctx, { batchDir: path.resolve(dir), batchId, messageFile }, outcome.run);
    results.push({ file, outcome, ...(ack ? { ack } : {}) });
  }
  return results;
}
