// One feed file from start to finish: archive it by content hash, register a run (or find
// the earlier run of the same content), verify it is a whole feed, parse it into batches,
// hand them to the sink, and wait until the run is applied.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { outlastOutage, type OutageOptions } from '../db/outage.js';
import { appliedBatchSeqs, claimStaleRun, createRun, finishParsing, getRun, heartbeat, registerBatch, rejectRun, type Run } from '../db/runs.js';
import { FeedRejectedError, NotFoundError, UnreachableError, UsageError } from '../errors.js';
import { openArchive } from '../archive/open.js';
import type { ArchiveStore, StoredFile } from '../archive/store.js';
import type { Logger } from '../log.js';
import { parseCsvFeed } from '../parse/csv.js';
import { verifyFeedFile } from '../parse/input.js';
import { encodingReason, fileHead, foreignEncoding } from '../parse/encoding.js';
import type { Alerter } from '../sla/alerts.js';
import { alertPossibleTakedowns } from '../sla/possible-takedowns.js';
import type { BatchSink } from '../queue/sink.js';
import { versionBase } from '../catalogue/version.js';
import { identifyFeed, isCalendarDate, UnidentifiedFeedError, type FeedIdentity } from './feed-name.js';
import { ingestDdexMessage, isXmlFile } from './ddex.js';

export interface IngestRequest {
  /** A local path or an http(s) URL. */
  input: string;
  feed: Partial<FeedIdentity>;
  source?: string;
  /** When the provider published the feed; default: the feed date at the publication hour. */
  publishedAt?: Date;
  /** Re-apply content ingested before, through the version guard. */
  force?: boolean;
  /** The name recorded for the run; default: the input's base name (the scheduler passes the conventional name). */
  fileName?: string;
}

export interface IngestContext {
  config: Config;
  db: Database;
  sink: BatchSink;
  logger: Logger;
  /** Called as batches are parsed and applied. */
  onProgress?: (progress: Progress) => void;
  /** The clock DDEX deal windows are judged by; default: the database's (tests inject one). */
  now?: () => Date;
  /** Raises at once the alerts a run's own parse finds (possible takedowns); the SLA sweep raises them too. */
  alerter?: Alerter;
}

export interface Progress {
  runId: number;
  rowsParsed: number;
  batchesParsed: number;
  batchesApplied: number;
  batchesTotal: number | null;
}

export type IngestOutcome =
  | { status: 'duplicate'; run: Run }
  | { status: 'rejected'; run: Run; reason: string }
  | { status: 'queued'; run: Run };

/** Archives, registers, verifies and parses; the run may still be applying when this returns. */
export async function ingestFeed(ctx: IngestContext, request: IngestRequest): Promise<IngestOutcome> {
  const { config, db } = ctx;
  const local = !/^https?:\/\//i.test(request.input);
  // A path that is not there is not found, whatever its name says.
  if (local && !(await stat(request.input).catch(() => undefined))?.isFile()) throw new NotFoundError(`no such file: ${request.input}`);
  // A DDEX message is told by its content (XML after gunzip), whatever its name (issue 5).
  if (local && (await isXmlFile(request.input))) return ingestDdexMessage(ctx, request);
  const name = request.fileName ?? path.basename(request.input.split('?')[0] ?? request.input);
  let feed: FeedIdentity;
  try {
    feed = identifyFeed(request.input, request.feed);
  } catch (err) {
    if (!(err instanceof UnidentifiedFeedError)) throw err;
    return rejectUnidentified(ctx, request, name, err);
  }
  const archived = await archiveInput(openArchive(config, db), request.input);
  const publishedAt = request.publishedAt ?? defaultPublication(feed.date, config.publicationHour);
  const registered = await createRun(db.orm, {
    source: request.source ?? config.source,
    ...feed,
    feedDate: feed.date,
    publishedAt,
    fileName: name,
    fileSha256: archived.sha256,
    fileBytes: archived.bytes,
    archivePath: archived.location,
    forced: request.force ?? false,
    versionBase: versionBase(new Date(`${feed.date}T00:00:00Z`), feed.kind),
    batchSize: config.batchSize,
  });
  if (registered.duplicateOf) {
    const earlier = registered.duplicateOf;
    // The same file again while its first run's parser is dead (killed half-way): take the
    // run over and finish it, skipping what was applied, rather than call it a duplicate.
    if (earlier.status !== 'parsing' || !(await claimStaleRun(db.orm, earlier.id, config.staleParseSeconds))) {
      return { status: 'duplicate', run: earlier };
    }
    ctx.logger.warn({ runId: earlier.id }, 'resuming a run whose parser stopped');
    await parseRun(ctx, earlier, { skip: await appliedBatchSeqs(db.orm, earlier.id) });
    return { status: 'queued', run: (await getRun(db.orm, earlier.id))! };
  }
  const run = registered.run;
  const log = ctx.logger.child({ runId: run.id, feed: name });
  log.info({ sha256: run.fileSha256, bytes: run.fileBytes, entity: feed.entity, kind: feed.kind, country: feed.country, date: feed.date }, 'run registered');
  // The SLA clock is already running (it starts at publication): arm its timers now. A
  // failure here must not lose the feed; the SLA sweep arms them from the ledger anyway.
  await ctx.sink.runRegistered?.(run).catch((err: unknown) => log.warn({ err }, 'could not arm the SLA timers; the sweep will'));
  try {
    await parseRun(ctx, run);
  } catch (err) {
    if (!(err instanceof FeedRejectedError)) throw err;
    await rejectRun(db.orm, run.id, err.reason);
    log.error({ reason: err.reason }, 'feed rejected');
    return { status: 'rejected', run: (await getRun(db.orm, run.id))!, reason: err.message };
  }
  return { status: 'queued', run: (await getRun(db.orm, run.id))! };
}

/** Which batches a parse hands to the sink; the rest are only counted. */
export interface ParseSelection {
  /** Hand over only these batches (recovery of batches lost with Redis). */
  only?: ReadonlySet<number>;
  /** Skip these batches (already applied: a resumed parse). */
  skip?: ReadonlySet<number>;
}

/**
 * Parses an archived run's file into its batches. Batches are cut at fixed row counts, so
 * parsing the same file again yields the same batches: recovery re-runs this after Redis
 * or the parsing process was lost, and registration skips batches already recorded.
 */
export async function parseRun(ctx: IngestContext, run: Run, selection: ParseSelection = {}): Promise<void> {
  const { config, db, sink } = ctx;
  if (run.entity === 'ddex' || run.kind === 'ddex') throw new UsageError(`run ${run.id} is a DDEX message, not a CSV feed`);
  if (run.entity === 'unknown' || run.kind === 'unknown') throw new UsageError(`run ${run.id} is a file that was not identified as a feed`);
  if (run.kind === 'event') throw new UsageError(`run ${run.id} is a Catalogue Event: feedline events replay re-applies events`);
  const options = { name: run.fileName, maxInflatedBytes: config.maxInflatedBytes };
  // A local copy of the archived bytes: with FEEDLINE_ARCHIVE=postgres, streamed out of the
  // database, so a worker that never saw the file can parse it.
  const file = await openArchive(config, db).localCopy({ sha256: run.fileSha256, location: run.archivePath });
  await verifyFeedFile(file, options);
  const encoding = foreignEncoding(await fileHead(file, 4));
  if (encoding) throw new FeedRejectedError(run.fileName, encodingReason(encoding));
  const batches = parseCsvFeed({
    ...options,
    path: file,
    entity: run.entity,
    kind: run.kind,
    batchSize: run.batchSize,
    maxFieldBytes: config.maxFieldBytes,
  });
  const target = { runId: run.id, entity: run.entity, source: run.source, country: run.country, versionBase: run.versionBase };
  const outage = runOutage(ctx);
  const outlast = <T>(work: () => Promise<T>) => outlastOutage(db, outage, work);
  let rowsParsed = 0;
  let count = 0;
  let possibleTakedowns = 0;
  // Workers apply batches while this parses: progress reads their count from the ledger
  // (every 5th batch, or half a second since the last read) instead of reporting none
  // applied until parsing ends.
  let applied = 0;
  let appliedReadAt = -Infinity;
  for (;;) {
    const next = await batches.next();
    if (next.done) {
      await sink.flush();
      await outlast(() => finishParsing(db.orm, run.id, { rows: next.value.rows, batches: count, meta: { header: next.value.header.names } }));
      if (ctx.alerter && possibleTakedowns > 0) await alertPossibleTakedowns(ctx.alerter, run, possibleTakedowns);
      return;
    }
    const batch = next.value;
    count++;
    rowsParsed += batch.rows.length + batch.quarantined.length;
    possibleTakedowns += batch.quarantined.filter((q) => q.severity === 'possible_takedown').length;
    // The heartbeat tells recovery this parser is alive (FEEDLINE_STALE_PARSE_SECONDS).
    if (count % 10 === 0) await outlast(() => heartbeat(db.orm, run.id));
    if ((selection.only && !selection.only.has(batch.seq)) || selection.skip?.has(batch.seq)) continue;
    await outlast(() => registerBatch(db.orm, run.id, batch));
    await sink.submit({ ...target, seq: batch.seq, layout: batch.layout, payload: JSON.stringify(batch.rows), count: batch.rows.length });
    if (ctx.onProgress) {
      if (count % 5 === 0 || Date.now() - appliedReadAt >= 500) {
        appliedReadAt = Date.now();
        // Advisory only: a failed read (PostgreSQL away) keeps the last count, never fails the run.
        applied = (await getRun(db.orm, run.id).catch(() => undefined))?.batchesApplied ?? applied;
      }
      ctx.onProgress({ runId: run.id, rowsParsed, batchesParsed: count, batchesApplied: applied, batchesTotal: null });
    }
  }
}

/**
 * How long a run's own process waits out a PostgreSQL outage. No longer: by then its
 * heartbeat is stale and recovery in another process takes the run over.
 */
export function runOutage(ctx: Pick<IngestContext, 'config' | 'logger'>): OutageOptions {
  return { giveUpMs: ctx.config.staleParseSeconds * 1000, logger: ctx.logger };
}

/** A registered run's progress as the ledger has it: what the workers have applied so far. */
export function runProgress(run: Run): Progress {
  return { runId: run.id, rowsParsed: run.rows, batchesParsed: run.batchesTotal ?? 0, batchesApplied: run.batchesApplied, batchesTotal: run.batchesTotal };
}

/** Waits until a run is applied (or failed), reporting progress from the ledger. */
export async function waitForRun(ctx: Pick<IngestContext, 'config' | 'db' | 'logger' | 'onProgress'>, runId: number, pollMs = 200): Promise<Run> {
  const outage = runOutage(ctx);
  for (;;) {
    const run = await outlastOutage(ctx.db, outage, () => getRun(ctx.db.orm, runId));
    if (!run) throw new Error(`run ${runId} disappeared`);
    ctx.onProgress?.(runProgress(run));
    if (run.status === 'applied' || run.status === 'rejected' || run.status === 'failed') return run;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export function defaultPublication(feedDate: string, publicationHour: number): Date {
  return new Date(`${feedDate}T${String(publicationHour).padStart(2, '0')}:00:00Z`);
}

/**
 * A file the name and flags do not identify is still on record: a rejected run (entity and
 * kind `unknown` where not given, country `ZZ`, today's date), so the rejected-run alert fires.
 */
async function rejectUnidentified(ctx: IngestContext, request: IngestRequest, name: string, err: UnidentifiedFeedError): Promise<IngestOutcome> {
  const { config, db } = ctx;
  const archived = await archiveInput(openArchive(config, db), request.input);
  const now = new Date();
  const registered = await createRun(db.orm, {
    source: request.source ?? config.source,
    entity: err.partial.entity ?? 'unknown',
    kind: err.partial.kind ?? 'unknown',
    country: err.partial.country && /^[A-Z]{2}$/.test(err.partial.country) ? err.partial.country : 'ZZ',
    feedDate: err.partial.date && isCalendarDate(err.partial.date) ? err.partial.date : now.toISOString().slice(0, 10),
    publishedAt: request.publishedAt ?? now,
    fileName: name,
    fileSha256: archived.sha256,
    fileBytes: archived.bytes,
    archivePath: archived.location,
    forced: request.force ?? false,
    versionBase: 0n,
    batchSize: config.batchSize,
  });
  const run = registered.run ?? registered.duplicateOf;
  await rejectRun(db.orm, run.id, err.message);
  ctx.logger.error({ runId: run.id, feed: name, reason: err.message }, 'feed rejected');
  return { status: 'rejected', run: (await getRun(db.orm, run.id))!, reason: `${name}: rejected: ${err.message}` };
}

async function archiveInput(archive: ArchiveStore, input: string): Promise<StoredFile> {
  if (!/^https?:\/\//i.test(input)) {
    return archive.putFile(input);
  }
  let response: Response;
  try {
    response = await fetch(input);
  } catch (err) {
    throw new UnreachableError('feed server', new URL(input).host, { cause: err });
  }
  if (!response.ok || !response.body) {
    const where = `${new URL(input).host}${new URL(input).pathname}`;
    // 404 and 410 say there is no such feed there: not found (4), like a missing path.
    if (response.status === 404 || response.status === 410) throw new NotFoundError(`no feed at ${where}: the server answered HTTP ${response.status}`);
    throw new UsageError(`${where} answered HTTP ${response.status}`);
  }
  return archive.put(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>));
}
