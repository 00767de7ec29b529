// One (feed, date) from the provider to applied: the body of a fetch job, of `feedline
// fetch`, and of a replay that finds no archived copy. It keeps the feed_fetches ledger,
// raises and clears the feed's alerts, and ingests exactly as `feedline ingest` does.
import { openArchive } from '../archive/open.js';
import { systemClock, type Clock } from '../clock.js';
import type { Config, FeedSpec } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { getCursor } from '../db/cursors.js';
import { missingDates, recordAttempt } from '../db/fetches.js';
import { syncMissingAlert } from '../sla/missing.js';
import { progressLog } from '../ingest/progress.js';
import { type Run } from '../db/runs.js';
import { getRun, unfinishedRunId } from '../db/run-lookups.js';
import { coerceError, UsageError } from '../errors.js';
import { conventionalName } from '../ingest/feed-name.js';
import { ingestFeed, isFinished, waitForRun } from '../ingest/ingest.js';
import type { IngestContext } from '../ingest/lifecycle.js';
import type { Logger } from '../log.js';
import type { BatchSink } from '../queue/sink.js';
import type { Alerter } from '../sla/alerts.js';
import { alertSubject, feedSlug } from '../sla/subjects.js';
import { reconcileRun, type ReconcileOutcome } from './reconcile.js';
import { addDays, parseDayFields, planFeed, publicationTime, type FeedPlan } from './due.js';
import { FeedAuthError, fetchFeed, type FetchFeedOptions } from './fetch.js';

export interface PullDeps {
  config: Config;
  db: Database;
  sink: BatchSink;
  /** Arms each registered run's SLA timers (REDIS_URL set). */
  timers?: IngestContext['timers'];
  logger: Logger;
  alerter: Pick<Alerter, 'raise' | 'resolve'>;
  /** The clock for due dates and give-up times; tests move it. */
  now?: Clock;
  /** Aborted on shutdown: waiting for a run stops (the run itself is safe in the ledger). */
  signal?: AbortSignal;
  /** Passed to fetchFeed (tests make retries instant). */
  fetchOptions?: Pick<FetchFeedOptions, 'sleep' | 'random'>;
}

export type PullOutcome =
  | { outcome: 'applied'; run: Run; reconcile?: ReconcileOutcome }
  | { outcome: 'duplicate'; run: Run }
  | { outcome: 'not_due'; next: string | undefined }
  | { outcome: 'not_published' }
  | { outcome: 'missing' }
  | { outcome: 'rejected'; run: Run; reason: string }
  | { outcome: 'failed'; error: string; run?: Run }
  | { outcome: 'interrupted'; runId: number };

export interface PullOptions {
  /** Only pull the date if it is the feed's next due date (the scheduler); false for operators. */
  inOrder?: boolean;
  /** Re-apply even when this content was applied before (replay). */
  force?: boolean;
}

const WAIT_POLL_MS = 250;

/** The plan of one configured feed as the database and the clock see it now. */
export async function planFromDb(deps: Pick<PullDeps, 'config' | 'db'>, feed: FeedSpec, now: Date): Promise<FeedPlan> {
  const { config, db } = deps;
  const cursor = await getCursor(db.orm, config.source, feed);
  const since = cursor ?? config.provider.startDate ?? addDays(now.toISOString().slice(0, 10), -config.provider.maxBacklogDays - 1);
  return planFeed({
    feed,
    cursor,
    startDate: config.provider.startDate,
    missing: await missingDates(db.orm, config.source, feed, since),
    now,
    publicationHour: config.publicationHour,
    fullFeedDays: parseDayFields(config.provider.fullFeedDays),
    maxBacklogDays: config.provider.maxBacklogDays,
  });
}

export async function pullFeed(deps: PullDeps, feed: FeedSpec, date: string, options: PullOptions = {}): Promise<PullOutcome> {
  const { config, db, alerter } = deps;
  const now = deps.now ?? systemClock;
  const source = config.source;
  const log = deps.logger.child({ component: 'pull', feed: feedSlug(feed), date });

  if (options.inOrder) {
    const plan = await planFromDb(deps, feed, now());
    if (plan.next !== date) return { outcome: 'not_due', next: plan.next };
  }

  // A run of this feed and date left unfinished by a process that died: finish it from the
  // archive rather than download again.
  if (!options.force) {
    const unfinished = await unfinishedRun(db, source, feed, date);
    if (unfinished) return finish(deps, feed, date, await waitForUnfinishedRun(deps, unfinished, log), now);
  }

  let fetched;
  try {
    fetched = await fetchFeed({ archive: openArchive(config, db), provider: config.provider, feed, date, logger: deps.logger, ...(deps.signal ? { signal: deps.signal } : {}), ...deps.fetchOptions });
  } catch (err) {
    if (err instanceof FeedAuthError) {
      await recordAttempt(db.orm, source, feed, date, { status: 'failed', httpStatus: err.status, error: err.message }, now());
      await alerter.raise({
        subject: alertSubject.auth(feed),
        kind: 'auth',
        state: 'breach',
        message: `the provider refused our credentials for ${feedSlug(feed)} (HTTP ${err.status})${err.reason ? `: ${err.reason}` : ''}`,
        details: { entity: feed.entity, kind: feed.kind, country: feed.country, date, status: err.status, reason: err.reason },
      });
      throw err;
    }
    const message = coerceError(err).message;
    await recordAttempt(db.orm, source, feed, date, { status: 'failed', httpStatus: (err as { status?: number }).status ?? null, error: message }, now());
    // Configuration that refuses the fetch (an http URL, no credentials) fails every time:
    // alert now, in words, rather than after the give-up time.
    if (err instanceof UsageError) {
      await alerter.raise({
        subject: alertSubject.auth(feed), kind: 'auth', state: 'breach',
        message: `fetches of ${feedSlug(feed)} cannot succeed: ${message}`,
        details: { entity: feed.entity, kind: feed.kind, country: feed.country, date, reason: message },
      });
    }
    throw err;
  }
  await alerter.resolve(alertSubject.auth(feed), `the provider accepts our credentials for ${feedSlug(feed)} again`);

  if (fetched.outcome === 'not_published') {
    const giveUpAt = publicationTime(date, config.publicationHour).getTime() + config.provider.giveUpHours * 3_600_000;
    if (now().getTime() < giveUpAt) {
      await recordAttempt(db.orm, source, feed, date, { status: 'pending', httpStatus: 404, error: 'not published yet' }, now());
      log.info({ giveUpAt: new Date(giveUpAt).toISOString() }, 'feed not published yet');
      return { outcome: 'not_published' };
    }
    await recordAttempt(db.orm, source, feed, date, { status: 'missing', httpStatus: 404, error: `not published ${config.provider.giveUpHours} h after its publication time` }, now());
    // One alert per feed, listing every date missing (src/sla/missing.ts).
    await syncMissingAlert({ db, alerter }, { source, ...feed });
    log.warn('feed missing after the give-up time');
    return { outcome: 'missing' };
  }

  // serve, fetch and replay: progress of a long run in the log, every 10 s.
  const ctx: IngestContext = { config, db, sink: deps.sink, timers: deps.timers, logger: deps.logger, onProgress: progressLog(log) };
  const ingested = await ingestFeed(ctx, {
    input: fetched.path,
    fileName: conventionalName({ ...feed, date }),
    feed: { ...feed, date },
    source,
    publishedAt: publicationTime(date, config.publicationHour),
    force: options.force,
  });
  if (ingested.status === 'rejected') {
    await recordAttempt(db.orm, source, feed, date, { status: 'failed', httpStatus: 200, error: `rejected: ${ingested.reason}`, runId: ingested.run.id }, now());
    return { outcome: 'rejected', run: ingested.run, reason: ingested.reason };
  }
  const run = ingested.status === 'duplicate' && isFinished(ingested.run) ? ingested.run : await waitForRun(ctx, ingested.run.id, { signal: deps.signal, pollMs: WAIT_POLL_MS });
  const outcome = await finish(deps, feed, date, run, now);
  if (ingested.status === 'duplicate' && outcome.outcome === 'applied') return { outcome: 'duplicate', run: outcome.run };
  return outcome;
}

/** Records where a run ended, clears a missing alert, and reconciles a full feed. */
async function finish(deps: PullDeps, feed: FeedSpec, date: string, run: Run, now: Clock): Promise<PullOutcome> {
  const { config, db, alerter } = deps;
  if (run.status === 'applied') {
    await recordAttempt(db.orm, config.source, feed, date, { status: 'fetched', httpStatus: 200, runId: run.id }, now());
    await syncMissingAlert({ db, alerter }, { source: config.source, ...feed });
    const reconcile = feed.kind === 'full'
      ? await reconcileRun({ db, logger: deps.logger, alerter, maxShare: config.provider.reconcileMaxShare }, run.id)
      : undefined;
    return { outcome: 'applied', run, reconcile };
  }
  if (run.status === 'rejected') return { outcome: 'rejected', run, reason: run.error ?? 'rejected' };
  if (run.status === 'failed') {
    await recordAttempt(db.orm, config.source, feed, date, { status: 'failed', error: run.error ?? 'run failed', runId: run.id }, now());
    return { outcome: 'failed', error: run.error ?? 'run failed', run };
  }
  return { outcome: 'interrupted', runId: run.id };
}

async function unfinishedRun(db: Database, source: string, feed: FeedSpec, date: string): Promise<Run | undefined> {
  const id = await unfinishedRunId(db.orm, source, feed, date);
  return id === undefined ? undefined : getRun(db.orm, id);
}

/**
 * Waits for a run another process started (or one that died: the scheduler's periodic
 * recovery, src/ingest/recover.ts, resumes a run whose parser stopped and re-enqueues
 * batches lost with Redis).
 */
async function waitForUnfinishedRun(deps: PullDeps, run: Run, log: Logger): Promise<Run> {
  log.info({ runId: run.id, status: run.status }, 'waiting for an unfinished run of this feed');
  return waitForRun({ config: deps.config, db: deps.db, logger: deps.logger }, run.id, { signal: deps.signal, pollMs: WAIT_POLL_MS });
}
