// DDEX ERN input (issue 5): a message file (XML, or gzip of it) is told from a CSV feed by
// its content, archived by content hash like every feed, registered as one run (entity and
// kind `ddex`, country `WW`, feed date = MessageCreatedDateTime's date) and applied in this
// process, release by release as the parser yields them, a few dozen per transaction
// (src/apply/ddex.ts). Every release is its own whole truth, so a message is not cut into
// queued batches; REDIS_URL does not change this.
//
// A delivery folder (a DDEX batch) is processed only once its `BatchComplete_*.xml` marker is
// there, message by message in MessageCreatedDateTime order, each message once by content hash.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { applyDdexEvents, type DdexTotals } from '../apply/ddex.js';
import { versionBase } from '../catalogue/version.js';
import { query } from '../db/client.js';
import { addQuarantine, claimStaleRun, createRun, getRun, heartbeat, rejectRun, type Run } from '../db/runs.js';
import { FeedRejectedError, NotFoundError, UsageError } from '../errors.js';
import { openArchive } from '../archive/open.js';
import { readDdexMessage } from '../parse/ddex/index.js';
import type { DdexEvent, DdexMessageHeader, DdexProblem } from '../catalogue/ddex.js';
import { encodingReason, fileHead, foreignEncoding, headText } from '../parse/encoding.js';
import { openFeed, peekFeed } from '../parse/input.js';
import type { IngestContext, IngestOutcome, IngestRequest } from './ingest.js';

/** The source recorded on a run whose header could not be read. */
const UNKNOWN_SENDER = 'ddex-unknown';
const MARKER = /^BatchComplete.*\.xml$/i;
const MESSAGE = /\.xml(\.gz)?$/i;

/** Whether the file (after gunzip) starts, past whitespace and a BOM, with `<` in any Unicode encoding: XML, so DDEX. */
export async function isXmlFile(filePath: string): Promise<boolean> {
  // A missing file is the caller's to report.
  if (!(await stat(filePath).catch(() => undefined))?.isFile()) return false;
  return headText(await fileHead(filePath)).trimStart().startsWith('<');
}

/** The message's header, or the fatal problem that stops it being read. Reads only the head of the file. */
async function readHeader(filePath: string, name: string): Promise<{ header: DdexMessageHeader } | { problem: DdexProblem }> {
  const encoding = foreignEncoding(await fileHead(filePath, 4));
  if (encoding) return { problem: { file: name, line: 1, column: 1, reason: 'malformed_xml', detail: encodingReason(encoding), fatal: true } };
  const { stream, close } = await peekFeed(filePath);
  const events = readDdexMessage(stream, name);
  try {
    for await (const event of events) {
      if (event.type === 'header') return { header: event.header };
      if (event.type === 'problem' && event.problem.fatal) return { problem: event.problem };
    }
    return { problem: { file: name, line: 1, column: 1, reason: 'invalid_header', detail: 'no MessageHeader', fatal: true } };
  } catch (err) {
    return { problem: { file: name, line: 1, column: 1, reason: 'malformed_xml', detail: `unreadable: ${(err as Error).message}`, fatal: true } };
  } finally {
    await events.return(undefined);
    close();
  }
}

/** Ingests one DDEX message file; the run is applied (or rejected) when this returns. */
export async function ingestDdexMessage(ctx: IngestContext, request: IngestRequest): Promise<IngestOutcome> {
  const { config, db } = ctx;
  const info = await stat(request.input).catch(() => undefined);
  if (!info?.isFile()) throw new NotFoundError(`no such file: ${request.input}`);
  const name = request.fileName ?? path.basename(request.input);
  const archive = openArchive(config, db);
  const stored = await archive.putFile(request.input);
  // Parse the archived bytes, not the operator's file, which may change under us.
  const archived = { ...stored, path: await archive.localCopy(stored) };
  const options = { name, maxInflatedBytes: config.maxInflatedBytes };
  const read = await readHeader(archived.path, name);
  const header = 'header' in read ? read.header : undefined;
  const createdAt = header?.createdAt ?? new Date();
  const registered = await createRun(db.orm, {
    source: header?.senderPartyId ?? request.source ?? UNKNOWN_SENDER,
    entity: 'ddex',
    kind: 'ddex',
    country: 'WW',
    feedDate: createdAt.toISOString().slice(0, 10),
    // The SLA clock starts on delivery (the drop directory's completion marker, or
    // --published-at), not at MessageCreatedDateTime: that orders messages, and a label may
    // resend one created days ago.
    publishedAt: request.publishedAt ?? new Date(),
    fileName: name,
    fileSha256: archived.sha256,
    fileBytes: archived.bytes,
    archivePath: archived.location,
    forced: request.force ?? false,
    versionBase: versionBase(createdAt, 'ddex'),
    batchSize: config.batchSize,
    meta: header ? { sender: header.senderPartyId, messageId: header.messageId, messageType: header.messageType, schemaVersion: header.schemaVersion } : {},
  });
  let run: Run;
  if (registered.duplicateOf) {
    const earlier = registered.duplicateOf;
    // A process that died mid-message left its run parsing, part applied: take it over and
    // apply it again; the version guard skips the releases already done (counted unchanged).
    if (earlier.status !== 'parsing' || !(await claimStaleRun(db.orm, earlier.id, config.staleParseSeconds))) {
      return { status: 'duplicate', run: earlier };
    }
    ctx.logger.warn({ runId: earlier.id }, 'resuming a DDEX run whose process stopped');
    run = earlier;
  } else run = registered.run;
  const log = ctx.logger.child({ runId: run.id, feed: name });
  if (!header) {
    const problem = (read as { problem: DdexProblem }).problem;
    return reject(ctx, run, problem, log);
  }
  log.info({ sha256: run.fileSha256, bytes: run.fileBytes, sender: header.senderPartyId, messageId: header.messageId, messageType: header.messageType }, 'DDEX run registered');
  try {
    const now = ctx.now?.() ?? (await databaseNow(db.orm));
    const events = skipHeader(readDdexMessage(await openFeed(archived.path, options), name, { recipientPartyId: config.ddexRecipientPartyId }));
    // Between transactions: the heartbeat tells other processes the run is alive.
    const totals = await applyDdexEvents(db.orm, { runId: run.id, file: name, header, versionBase: run.versionBase }, events, now, () => heartbeat(db.orm, run.id));
    await finishDdexRun(db.orm, run.id, totals);
    log.info({ ...totals }, 'DDEX run applied');
  } catch (err) {
    if (!(err instanceof FeedRejectedError)) throw err;
    const problem = parseProblem(err, name);
    return reject(ctx, run, problem, log);
  }
  return { status: 'queued', run: (await getRun(db.orm, run.id))! };
}

async function reject(ctx: IngestContext, run: Run, problem: DdexProblem, log: IngestContext['logger']): Promise<IngestOutcome> {
  const reason = `${problem.reason} at line ${problem.line}, column ${problem.column}: ${problem.detail}`;
  await addQuarantine(ctx.db.orm, run.id, [{ line: problem.line, column: problem.column, raw: problem.detail, reason: problem.reason }]);
  await rejectRun(ctx.db.orm, run.id, reason);
  await ctx.db.orm.execute(sql`update feed_runs set quarantined = (select count(*) from quarantine where run_id = ${run.id} and severity <> 'warning') where id = ${run.id}`);
  log.error({ reason }, 'DDEX message rejected');
  return { status: 'rejected', run: (await getRun(ctx.db.orm, run.id))!, reason: `${run.fileName}: rejected: ${reason}` };
}

/** The FeedRejectedError thrown by apply carries the problem in its reason; gzip errors carry none. */
function parseProblem(err: FeedRejectedError, file: string): DdexProblem {
  const match = /^(\w+) at line (\d+), column (\d+): (.*)$/s.exec(err.reason);
  if (!match) return { file, line: 0, column: 0, reason: 'malformed_xml', detail: err.reason, fatal: true };
  return { file, line: Number(match[2]), column: Number(match[3]), reason: match[1] as DdexProblem['reason'], detail: match[4]!, fatal: true };
}

async function* skipHeader(events: AsyncGenerator<DdexEvent>): AsyncGenerator<DdexEvent> {
  for await (const event of events) if (event.type !== 'header') yield event;
}

async function databaseNow(db: Parameters<typeof query>[0]): Promise<Date> {
  const [row] = await query<{ now: string | Date }>(db, sql`select now() as now`);
  return new Date(row!.now);
}

async function finishDdexRun(db: Parameters<typeof query>[0], runId: number, totals: DdexTotals): Promise<void> {
  const meta = { releases: totals.releases, purges: totals.purges, stale: totals.stale, scheduled: totals.scheduled };
  await db.execute(sql`
    update feed_runs set status = 'applied', rows = ${totals.rows}, inserted = ${totals.inserted}, updated = ${totals.updated},
      taken_down = ${totals.takenDown}, unchanged = ${totals.unchanged},
      quarantined = (select count(*) from quarantine where run_id = ${runId} and severity <> 'warning'),
      batches_total = 0, batches_applied = 0, meta = meta || ${JSON.stringify(meta)}::jsonb,
      parsed_at = now(), applied_at = now(), heartbeat_at = now(), error = null
    where id = ${runId} and status <> 'applied'`);
}

export interface BatchMessage {
  file: string;
  outcome: IngestOutcome;
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
      else if (entry.isFile() && MESSAGE.test(entry.name) && !MARKER.test(entry.name)) files.push(full);
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
  const results: BatchMessage[] = [];
  for (const file of await batchMessages(dir)) {
    results.push({ file, outcome: await ingestDdexMessage(ctx, { ...request, input: file, feed: {}, publishedAt, fileName: path.relative(dir, file) }) });
  }
  return results;
}
