// SLA timers: when a run is registered, two delayed BullMQ jobs on the `sla` queue fire at
// its warning time and at its deadline and check PostgreSQL (src/sla/check.ts). Their ids
// are deterministic, so registering a run twice, or the sweep re-arming timers lost with
// Redis, schedules each timer once. Redis only carries the wake-up: the verdict comes from
// the ledger, and the sweep (src/sla/sweep.ts) reaches the same verdict without them.
import type { Job, Queue, Worker } from 'bullmq';
import type { Config } from '../config/schema.js';
import { checkRunSla, type SlaContext } from './check.js';
import { slaClock } from './deadlines.js';
import type { RedisConnection } from '../queue/redis.js';
import { createQueue, createWorker, QUEUES } from '../queue/wiring.js';
import { systemClock } from '../clock.js';

export type TimerPoint = 'warning' | 'deadline';

export interface SlaTimerJob {
  runId: number;
  at: TimerPoint;
}

/** BullMQ job ids may not contain `:`. */
export function slaTimerJobId(runId: number, at: TimerPoint): string {
  return `sla-run-${runId}-${at}`;
}

export function createSlaQueue(redis: RedisConnection, prefix: string): Queue<SlaTimerJob> {
  return createQueue<SlaTimerJob>({ connection: redis, prefix }, QUEUES.sla);
}

export interface TimedRun {
  id: number;
  publishedAt: Date | string;
}

/**
 * Arms the run's timers. A point already in the past is skipped unless `includePast`:
 * when a run is registered late (published long before it was fetched) its check runs
 * at once; when the sweep re-arms, past points are the sweep's own business.
 */
export async function scheduleRunTimers(queue: Queue<SlaTimerJob>, run: TimedRun, sla: Config['sla'], now: Date, options: { includePast?: boolean } = {}): Promise<number> {
  const clock = slaClock(new Date(run.publishedAt), sla);
  const points: [TimerPoint, Date][] = [['warning', clock.warningAt], ['deadline', clock.deadline]];
  const jobs = points
    .map(([at, when]) => ({ at, delay: when.getTime() - now.getTime() }))
    .filter((p) => p.delay > 0 || options.includePast)
    .map((p) => ({
      name: 'check',
      data: { runId: run.id, at: p.at },
      opts: {
        jobId: slaTimerJobId(run.id, p.at),
        delay: Math.max(0, p.delay),
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: true,
        removeOnFail: { count: 1000 },
      },
    }));
  if (jobs.length > 0) await queue.addBulk(jobs);
  return jobs.length;
}

/**
 * The hook the ingest path calls right after a run is registered (`createRuns`): arms its
 * timers on the `sla` queue. Without Redis there is no queue, and the sweep alone keeps
 * the clock.
 */
export interface RunTimers {
  onRunRegistered(run: TimedRun): Promise<void>;
  close(): Promise<void>;
}

export function runTimers(redis: RedisConnection, options: { prefix: string; sla: Config['sla']; now?: () => Date }): RunTimers {
  const queue = createSlaQueue(redis, options.prefix);
  return {
    async onRunRegistered(run) {
      await scheduleRunTimers(queue, run, options.sla, (options.now ?? systemClock)(), { includePast: true });
    },
    close: () => queue.close(),
  };
}

/** Runs the timers as they fire: any number of these may run, the checks are idempotent. */
export function startSlaTimerWorker(ctx: SlaContext, redis: RedisConnection, prefix: string): Worker<SlaTimerJob> {
  const log = ctx.logger.child({ component: 'sla-timers' });
  const worker = createWorker<SlaTimerJob>({ connection: redis, prefix }, QUEUES.sla, async (job: Job<SlaTimerJob>) => {
    const state = await checkRunSla(ctx, job.data.runId);
    log.debug({ runId: job.data.runId, at: job.data.at, state }, 'sla timer fired');
    return state;
  }, { concurrency: 4 });
  worker.on('failed', (job, err) => log.warn({ runId: job?.data.runId, at: job?.data.at, err }, 'sla timer check failed'));
  worker.on('error', (err) => log.warn({ err }, 'sla timer worker connection error'));
  return worker;
}
