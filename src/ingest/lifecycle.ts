// One run lifecycle for every source (issue 11): archive the input by content hash, register
// the run (or find the earlier run of the same content, and take it over when the process
// that had it stopped), arm its SLA timers, hand it to its source's adapter to read into
// changes and apply or queue them, and reject it on record when the file cannot be a feed.
// The adapters are src/ingest/csv.ts and src/ingest/ddex.ts; src/ingest/ingest.ts picks one.
// They import this module, never the dispatcher.
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import type { OutageOptions } from '../db/outage.js';
import { addQuarantine, claimStaleRun, createRuns, failRun, rejectRuns, type NewRun, type Run } from '../db/runs.js';
import { getRun } from '../db/run-lookups.js';
import { DdexRejectedError, FeedRejectedError, UnaccountedChangesError } from '../errors.js';
import { openArchive } from '../archive/open.js';
import type { StoredFile } from '../archive/store.js';
import type { Logger } from '../log.js';
import type { BatchSink } from '../queue/sink.js';
import type { Alerter } from '../sla/alerts.js';
import type { RunTimers } from '../sla/timers.js';
import type { FeedIdentity } from './feed-name.js';

export interface IngestRequest {
  /** A local path (`feedline ingest URL` downloads first: src/cli/ingest.ts). */
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
  /** Arms each registered run's SLA timers (REDIS_URL set); without it the SLA sweep alone keeps the clock. */
  timers?: Pick<RunTimers, 'onRunRegistered'>;
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
  /** Batches handed to the sink: the workers (or this process) are applying them. */
  | { status: 'queued'; run: Run }
  | { status: 'applied'; run: Run };

/** The run a source makes of an archived file. */
export interface SourceRun {
  /** What to register; the lifecycle adds the file's name, hash, size and place, the request's force and the batch size. */
  registration: Omit<NewRun, 'fileName' | 'fileSha256' | 'fileBytes' | 'archivePath' | 'forced' | 'batchSize'>;
  /** What the log says about the registered run. */
  logFields: Record<string, unknown>;
  /**
   * Reads the registered run into changes and applies or queues them. `resumed`: the run was
   * taken over from a process that stopped part-way. Throws FeedRejectedError to reject the file.
   */
  read(run: Run, how: { resumed: boolean; log: Logger }): Promise<'queued' | 'applied'>;
}

/** One source's handling of one request, made before anything is stored (so bad flags store nothing). */
export interface SourceAdapter {
  /** The run of the archived file (a DDEX message's header is read here). */
  open(file: StoredFile): Promise<SourceRun>;
}

/** The name recorded for a request's run. */
export function runName(request: IngestRequest): string {
  return request.fileName ?? path.basename(request.input.split('?')[0] ?? request.input);
}

/** Takes a request from input to a registered run that is queued, applied or rejected (or a duplicate). */
export async function runLifecycle(ctx: IngestContext, request: IngestRequest, source: SourceAdapter): Promise<IngestOutcome> {
  const { config, db } = ctx;
  const name = runName(request);
  const file = await openArchive(config, db).putFile(request.input);
  const opened = await source.open(file);
  const [registered] = await createRuns(db.orm, [{
    ...opened.registration,
    fileName: name,
    fileSha256: file.sha256,
    fileBytes: file.bytes,
    archivePath: file.location,
    forced: request.force ?? false,
    batchSize: config.batchSize,
  }]);
  let run: Run;
  if (registered!.duplicateOf) {
    const earlier = registered!.duplicateOf;
    // The same file again while its first run's process is dead (killed half-way): take the
    // run over and finish it (a CSV parse skips the batches applied, the version guard the
    // DDEX releases applied) rather than call it a duplicate.
    if (earlier.status !== 'parsing' || !(await claimStaleRun(db.orm, earlier.id, config.staleParseSeconds))) {
      return { status: 'duplicate', run: earlier };
    }
    ctx.logger.warn({ runId: earlier.id }, 'resuming a run whose process stopped');
    run = earlier;
  } else {
    run = registered!.run;
  }
  const log = ctx.logger.child({ runId: run.id, feed: name });
  if (registered!.run) log.info({ sha256: run.fileSha256, bytes: run.fileBytes, ...opened.logFields }, 'run registered');
  // The SLA clock is already running (it starts at publication or delivery): arm its timers
  // now, also for a run taken over (its process may have had no Redis; the ids are fixed).
  // A failure here must not lose the feed: the SLA sweep arms them from the ledger anyway.
  await ctx.timers?.onRunRegistered(run).catch((err: unknown) => log.warn({ err }, 'could not arm the SLA timers; the sweep will'));
  let status: 'queued' | 'applied';
  try {
    status = await opened.read(run, { resumed: !registered!.run, log });
  } catch (err) {
    // A run applied whose counts do not add up stays on record as failed (it alerts), not parsing.
    if (err instanceof UnaccountedChangesError) await failRun(db.orm, run.id, err.message);
    if (!(err instanceof FeedRejectedError)) throw err;
    return reject(ctx, run, err, log);
  }
  return { status, run: (await getRun(db.orm, run.id))! };
}

/** The one way a run is rejected: a DDEX problem goes on record as a quarantine row first. */
async function reject(ctx: IngestContext, run: Run, err: FeedRejectedError, log: Logger): Promise<IngestOutcome> {
  const orm = ctx.db.orm;
  const problem = err instanceof DdexRejectedError ? err.problem : undefined;
  if (problem) await addQuarantine(orm, run.id, [{ line: problem.line, column: problem.column, raw: problem.detail, reason: problem.reason }]);
  await rejectRuns(orm, [{ runId: run.id, reason: err.reason }]);
  log.error({ reason: err.reason }, 'feed rejected');
  return { status: 'rejected', run: (await getRun(orm, run.id))!, reason: err.message };
}

/**
 * How long a run's own process waits out a PostgreSQL outage. No longer: by then its
 * heartbeat is stale and recovery in another process takes the run over.
 */
export function runOutage(ctx: Pick<IngestContext, 'config' | 'logger'>): OutageOptions {
  return { giveUpMs: ctx.config.staleParseSeconds * 1000, logger: ctx.logger };
}

