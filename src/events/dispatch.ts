// From the inbox to apply. The receiver hands each stored event's id here; ids that arrive
// together go as one job (BullMQ with REDIS_URL, in this process without), so a burst of
// hundreds of events a second is tens of jobs. A sweep re-submits open events the queue may
// have lost (a crash between store and enqueue, Redis emptied) and enhancements still waiting.
import type { Queue, Worker } from 'bullmq';
import type { RedisConnection } from '../queue/redis.js';
import type { Database } from '../db/client.js';
import { openEventIds } from '../db/events.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../log.js';
import { startPeriodic } from '../periodic.js';
import { createEventsQueue, EVENTS_JOB_OPTIONS, eventsJobId, startEventsWorker } from '../queue/events.js';
import { applyInboxEvent, applyInboxEvents, type EventApplyOptions, type EventOutcome } from './apply.js';

/** Events per job at most, and how long the first of them waits for company. */
const MAX_EVENTS_PER_JOB = 100;
const LINGER_MS = 25;

export interface EventDispatcher {
  submit(inboxId: number): void;
  /** Ids stored together (one group commit): handed over now, as few jobs as the cap allows. */
  submitAll(inboxIds: readonly number[]): void;
  /** Resolves when everything submitted has been handed over (in-process: applied). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Applies the events together in rounds (src/events/apply.ts). Should a round fail, each event
 * is tried on its own, so one that cannot apply does not hold back the others; throws after
 * trying all if any failed, so the job is retried.
 */
export async function applyEvents(db: Database, ids: readonly number[], options: EventApplyOptions, log: Logger): Promise<Record<EventOutcome, number>> {
  const tally: Record<EventOutcome, number> = { applied: 0, stale: 0, waiting: 0, rejected: 0, skipped: 0 };
  const count = (outcomes: Map<number, EventOutcome>) => { for (const outcome of outcomes.values()) tally[outcome]++; };
  try {
    count(await applyInboxEvents(db, ids, { ...options, log }));
    return tally;
  } catch (err) {
    log.warn({ err: coerceError(err), events: ids.length }, 'events not applied together; applying them one by one');
  }
  let failure: Error | undefined;
  for (const id of ids) {
    try {
      tally[await applyInboxEvent(db, id, { ...options, log })]++;
    } catch (err) {
      failure = coerceError(err);
      log.error({ inboxId: id, err: failure }, 'event apply failed; it stays open and is retried');
    }
  }
  if (failure) throw failure;
  return tally;
}

export function createEventDispatcher(db: Database, redis: RedisConnection | undefined, options: EventApplyOptions & { prefix: string }, logger: Logger): EventDispatcher {
  const log = logger.child({ component: 'events-dispatch' });
  const queue: Queue | undefined = redis ? createEventsQueue(redis, options.prefix) : undefined;
  const buffer: number[] = [];
  let timer: NodeJS.Timeout | undefined;
  // In process, one job at a time in arrival order; with a queue, adds overlap freely.
  let chain: Promise<void> = Promise.resolve();
  const inFlight = new Set<Promise<void>>();
  const hand = async (ids: number[]): Promise<void> => {
    if (queue) await queue.add('events', { inboxIds: ids }, { ...EVENTS_JOB_OPTIONS, jobId: eventsJobId(ids) });
    else await applyEvents(db, ids, options, log);
  };
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    while (buffer.length > 0) handOver(buffer.splice(0, MAX_EVENTS_PER_JOB));
  };
  const handOver = (ids: number[]) => {
    const notHanded = (err: unknown) => {
      log.warn({ err: coerceError(err), events: ids.length }, 'events not handed to apply now; the sweep retries them');
    };
    if (!queue) {
      chain = chain.then(() => hand(ids)).catch(notHanded);
      return;
    }
    const adding = hand(ids).catch(notHanded).finally(() => inFlight.delete(adding));
    inFlight.add(adding);
  };
  const idle = async () => {
    flush();
    await chain;
    await Promise.all([...inFlight]);
  };
  return {
    submit(id) {
      buffer.push(id);
      if (buffer.length >= MAX_EVENTS_PER_JOB) flush();
      else timer ??= setTimeout(flush, LINGER_MS);
    },
    submitAll(ids) {
      buffer.push(...ids);
      flush();
    },
    idle,
    async close() {
      await idle();
      await queue?.close();
    },
  };
}

/** Re-submits open events at least `olderThanSeconds` old, every `intervalMs`. */
export function startEventSweep(db: Database, dispatcher: EventDispatcher, options: { intervalMs: number; olderThanSeconds: number }, logger: Logger): { stop(): Promise<void> } {
  const log = logger.child({ component: 'events-sweep' });
  return startPeriodic({
    name: 'event sweep',
    schedule: { everyMs: options.intervalMs },
    logger: log,
    // The database may be away for a while (a restart): the next sweep is the retry.
    failureLevel: 'warn',
    run: async () => {
      const ids = await openEventIds(db.orm, options.olderThanSeconds, 5000);
      if (ids.length > 0) log.info({ events: ids.length }, 'open events re-submitted to apply');
      dispatcher.submitAll(ids);
      await dispatcher.idle();
    },
  });
}

/** The worker role's half: applies event jobs from the queue. */
export function startEventsApplyWorker(db: Database, redis: RedisConnection, options: EventApplyOptions & { prefix: string; concurrency: number }, logger: Logger): Worker {
  const log = logger.child({ component: 'events-worker' });
  const worker = startEventsWorker(redis, options, async (job) => {
    const tally = await applyEvents(db, job.data.inboxIds, options, log);
    log.debug({ job: job.id, ...tally }, 'events applied');
    return tally;
  });
  worker.on('error', (err) => log.warn({ err }, 'events worker connection error'));
  return worker;
}
