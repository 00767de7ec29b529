// The scheduler role: a node-cron tick works out which (feed, date) pairs are due and
// enqueues one fetch job per feed, the oldest due date first, on the BullMQ `fetch` queue.
// Job ids are the feed and date, so any number of scheduler replicas ticking at once add
// each pair once; the job re-checks the cursor in PostgreSQL before it downloads, so a
// pair already applied is never fetched again. When a date is applied (or given up as
// missing) the job enqueues the feed's next due date at once: a backlog is caught up in
// date order without waiting for ticks. With no REDIS_URL the same jobs run in-process.
import type { Job } from 'bullmq';
import { createQueue, createWorker, QUEUES } from '../queue/wiring.js';
import { createPeriodic, pollUntil } from '../periodic.js';
import type { RedisConnection } from '../queue/redis.js';
import type { FeedSpec } from '../config/schema.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../log.js';
import { alertSubject, feedSlug } from '../sla/subjects.js';
import { planFromDb, pullFeed, type PullDeps, type PullOutcome } from './pull.js';
import { systemClock } from '../clock.js';


export interface FetchJob extends FeedSpec {
  source: string;
  date: string;
}

/** BullMQ job ids may not contain `:`; sources, entities, kinds, countries and dates don't. */
export function fetchJobId(job: FetchJob): string {
  return `fetch-${job.source}-${job.entity}-${job.kind}-${job.country}-${job.date}`;
}

export interface SchedulerOptions {
  /** Redis for the fetch queue; undefined: fetch jobs run in this process. */
  redis?: RedisConnection;
  prefix: string;
  /** Fetch jobs one process runs at once. Feeds of different days and countries overlap. */
  concurrency?: number;
}

export interface TickReport {
  enqueued: FetchJob[];
  backlogged: FeedSpec[];
}

export interface Scheduler {
  /** One look at every configured feed: enqueue what is due, alert on backlogs. */
  tick(): Promise<TickReport>;
  /** Starts the cron schedule (FEEDLINE_SCHEDULE_CRON, FEEDLINE_TIMEZONE) and a first tick now. */
  start(): void;
  /** Resolves when no fetch job is queued or running in this process (in-process mode), or the queue is empty. */
  idle(): Promise<void>;
  /**
   * Stops ticking and taking fetch jobs; in-flight jobs get `graceMs` to finish, then
   * their waiting is cut short (their runs stay in the ledger and are resumed later).
   */
  stop(graceMs: number): Promise<void>;
}

export function createScheduler(deps: PullDeps, options: SchedulerOptions): Scheduler {
  const { config } = deps;
  const log = deps.logger.child({ component: 'scheduler' });
  const now = deps.now ?? systemClock;
  const aborter = new AbortController();
  const pullDeps: PullDeps = { ...deps, signal: aborter.signal };
  const concurrency = options.concurrency ?? 2;
  let stopped = false;

  const runJob = async (job: FetchJob): Promise<PullOutcome['outcome'] | 'error'> => {
    const feed: FeedSpec = { entity: job.entity, kind: job.kind, country: job.country };
    const jobLog = log.child({ feed: feedSlug(feed), date: job.date });
    let result: PullOutcome;
    try {
      result = await pullFeed(pullDeps, feed, job.date, { inOrder: true });
    } catch (err) {
      // Recorded in feed_fetches (and alerted for 401/403) by pullFeed; the next tick retries.
      jobLog.error({ err: coerceError(err) }, 'fetch failed');
      return 'error';
    }
    jobLog.info({ outcome: result.outcome, runId: 'run' in result ? result.run?.id : undefined }, 'fetch job done');
    // The date is settled: the next one of this feed may go now rather than at the next tick.
    if (!stopped && (result.outcome === 'applied' || result.outcome === 'duplicate' || result.outcome === 'missing')) {
      await scheduleFeed(feed).catch((err: unknown) => jobLog.warn({ err }, 'could not enqueue the next date'));
    }
    return result.outcome;
  };

  const queue = options.redis ? bullQueue(options.redis, options.prefix, concurrency, runJob, log) : localQueue(concurrency, runJob, log);

  async function scheduleFeed(feed: FeedSpec): Promise<{ job?: FetchJob; backlogged: boolean }> {
    const plan = await planFromDb(deps, feed, now());
    if (plan.overBacklog) {
      await deps.alerter.raise({
        subject: alertSubject.backlog(feed),
        kind: 'backlog',
        state: 'breach',
        message: `${feedSlug(feed)} is ${plan.backlogDays} days behind (more than FEEDLINE_MAX_BACKLOG_DAYS=${config.provider.maxBacklogDays}): not caught up automatically; catch up with \`feedline replay --entity ${feed.entity} --kind ${feed.kind} --country ${feed.country} --from ${plan.pending[0]}\``,
        details: { entity: feed.entity, kind: feed.kind, country: feed.country, backlogDays: plan.backlogDays, oldest: plan.pending[0], pending: plan.pending.length },
      });
      return { backlogged: true };
    }
    await deps.alerter.resolve(alertSubject.backlog(feed), `${feedSlug(feed)} is back within FEEDLINE_MAX_BACKLOG_DAYS`);
    if (!plan.next) return { backlogged: false };
    const job: FetchJob = { source: config.source, ...feed, date: plan.next };
    await queue.add(job);
    return { job, backlogged: false };
  }

  async function tick(): Promise<TickReport> {
    const report: TickReport = { enqueued: [], backlogged: [] };
    for (const feed of config.provider.feeds) {
      try {
        const { job, backlogged } = await scheduleFeed(feed);
        if (job) report.enqueued.push(job);
        if (backlogged) report.backlogged.push(feed);
      } catch (err) {
        log.error({ err: coerceError(err), feed: feedSlug(feed) }, 'could not plan feed');
      }
    }
    if (report.enqueued.length > 0 || report.backlogged.length > 0) {
      log.info({ enqueued: report.enqueued.map((j) => `${feedSlug(j)}-${j.date}`), backlogged: report.backlogged.map((f) => feedSlug(f)) }, 'scheduler tick');
    }
    return report;
  }

  // One tick at a time in this process: a slow tick is not stacked on by the next.
  const ticks = createPeriodic({
    name: 'scheduler tick',
    schedule: { cron: config.provider.scheduleCron, timezone: config.provider.timezone },
    run: tick,
    logger: log,
  });

  return {
    tick: async () => (await ticks.tick()) ?? { enqueued: [], backlogged: [] },
    start: () => ticks.start(),
    idle: () => queue.idle(),
    async stop(graceMs) {
      stopped = true;
      await ticks.stop();
      const timer = setTimeout(() => aborter.abort(), graceMs);
      try {
        await queue.close();
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

interface FetchQueue {
  add(job: FetchJob): Promise<void>;
  idle(): Promise<void>;
  close(): Promise<void>;
}

type Processor = (job: FetchJob) => Promise<string>;

function bullQueue(redis: RedisConnection, prefix: string, concurrency: number, processor: Processor, log: Logger): FetchQueue {
  const wiring = { connection: redis, prefix };
  const queue = createQueue<FetchJob>(wiring, QUEUES.fetch);
  const worker = createWorker<FetchJob>(wiring, QUEUES.fetch, (job: Job<FetchJob>) => processor(job.data), {
    concurrency,
    // A fetch job waits for its run to be applied, which may take minutes: the lock is
    // renewed while it runs; a job whose process died is handed to another after this.
    lockDuration: 60_000,
  });
  worker.on('error', (err) => log.warn({ err }, 'fetch worker connection error'));
  return {
    async add(job) {
      // Finished jobs are removed at once: PostgreSQL (the cursor, feed_fetches) remembers
      // what was fetched, and a removed id can be added again by the next tick.
      await queue.add('fetch', job, { jobId: fetchJobId(job), removeOnComplete: true, removeOnFail: true, attempts: 1 });
    },
    async idle() {
      await pollUntil(() => queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'), (counts) => Object.values(counts).every((n) => n === 0), { everyMs: 100 });
    },
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}

/** The no-Redis shape: the same jobs, deduplicated by id, run by this process. */
function localQueue(concurrency: number, processor: Processor, log: Logger): FetchQueue {
  const waiting: FetchJob[] = [];
  const known = new Set<string>();
  const running = new Set<Promise<void>>();
  let closed = false;
  const pump = (): void => {
    while (!closed && running.size < concurrency && waiting.length > 0) {
      const job = waiting.shift()!;
      const done: Promise<void> = processor(job)
        .then(() => undefined, (err: unknown) => log.error({ err }, 'fetch job failed'))
        .finally(() => {
          known.delete(fetchJobId(job));
          running.delete(done);
          pump();
        });
      running.add(done);
    }
  };
  return {
    async add(job) {
      const id = fetchJobId(job);
      if (closed || known.has(id)) return;
      known.add(id);
      waiting.push(job);
      pump();
    },
    async idle() {
      while (running.size > 0 || waiting.length > 0) await Promise.race(running);
    },
    async close() {
      closed = true;
      waiting.length = 0;
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
