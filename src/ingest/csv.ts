// The CSV source (provider feeds, docs/feeds.md): a file is identified by its conventional name or
// the flags, verified as a whole feed, and parsed into batches handed to the sink, which
// queues them (REDIS_URL) or applies them in this process; the run is applied when its last
// batch is. Recovery parses an archived run again through parseRun.
import { outlastOutage } from '../db/outage.js';
import { finishParsing, heartbeat, registerBatch, type Run } from '../db/runs.js';
import { appliedBatchSeqs, getRun } from '../db/run-lookups.js';
import { FeedRejectedError, UsageError } from '../errors.js';
import { openArchive } from '../archive/open.js';
import type { Config } from '../config/schema.js';
import { parseCsvFeed } from '../parse/csv.js';
import { verifyFeedFile } from '../parse/input.js';
import { encodingReason, fileHead, foreignEncoding } from '../parse/encoding.js';
import { alertPossibleTakedowns } from '../sla/possible-takedowns.js';
import { versionBase } from '../catalogue/version.js';
import { identifyFeed, isCalendarDate, UnidentifiedFeedError, type FeedIdentity } from './feed-name.js';
import { runOutage, type IngestContext, type IngestRequest, type SourceAdapter } from './lifecycle.js';
import { systemClock } from '../clock.js';

/** Identifies the feed by name and flags now: flags that are wrong refuse the request before anything is stored. */
export function csvSource(ctx: IngestContext, request: IngestRequest): SourceAdapter {
  const { config } = ctx;
  const feed = identify(request);
  if (feed instanceof UnidentifiedFeedError) return unidentifiedSource(config, request, feed);
  return {
    async open() {
      return {
        registration: {
          source: request.source ?? config.source,
          entity: feed.entity,
          kind: feed.kind,
          country: feed.country,
          feedDate: feed.date,
          publishedAt: request.publishedAt ?? defaultPublication(feed.date, config.publicationHour),
          versionBase: versionBase(new Date(`${feed.date}T00:00:00Z`), feed.kind),
        },
        logFields: { entity: feed.entity, kind: feed.kind, country: feed.country, date: feed.date },
        async read(run, { resumed }) {
          await parseRun(ctx, run, resumed ? { skip: await appliedBatchSeqs(ctx.db.orm, run.id) } : {});
          return 'queued';
        },
      };
    },
  };
}

/** The feed the name and flags say, or why they do not; other errors (a bad flag) are thrown. */
function identify(request: IngestRequest): FeedIdentity | UnidentifiedFeedError {
  try {
    return identifyFeed(request.input, request.feed);
  } catch (err) {
    if (err instanceof UnidentifiedFeedError) return err;
    throw err;
  }
}

/**
 * A file the name and flags do not identify is still on record: a rejected run (entity and
 * kind `unknown` where not given, country `ZZ`, today's date), so the rejected-run alert fires.
 */
function unidentifiedSource(config: Config, request: IngestRequest, err: UnidentifiedFeedError): SourceAdapter {
  return {
    async open() {
      const now = systemClock();
      return {
        registration: {
          source: request.source ?? config.source,
          entity: err.partial.entity ?? 'unknown',
          kind: err.partial.kind ?? 'unknown',
          country: err.partial.country && /^[A-Z]{2}$/.test(err.partial.country) ? err.partial.country : 'ZZ',
          feedDate: err.partial.date && isCalendarDate(err.partial.date) ? err.partial.date : now.toISOString().slice(0, 10),
          publishedAt: request.publishedAt ?? now,
          versionBase: 0n,
        },
        logFields: {},
        async read(run) {
          throw new FeedRejectedError(run.fileName, err.message);
        },
      };
    },
  };
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
  if (run.entity === 'event' || run.kind === 'event') throw new UsageError(`run ${run.id} is a Catalogue Event: feedline events replay re-applies events`);
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
      if (count % 5 === 0 || systemClock().getTime() - appliedReadAt >= 500) {
        appliedReadAt = systemClock().getTime();
        // Advisory only: a failed read (PostgreSQL away) keeps the last count, never fails the run.
        applied = (await getRun(db.orm, run.id).catch(() => undefined))?.batchesApplied ?? applied;
      }
      ctx.onProgress({ runId: run.id, rowsParsed, batchesParsed: count, batchesApplied: applied, batchesTotal: null });
    }
  }
}

export function defaultPublication(feedDate: string, publicationHour: number): Date {
  return new Date(`${feedDate}T${String(publicationHour).padStart(2, '0')}:00:00Z`);
}
