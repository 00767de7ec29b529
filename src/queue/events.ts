// The BullMQ queue and worker of Catalogue Events: a job names inbox rows to apply. The
// inbox in PostgreSQL is the truth; a job lost with Redis is found again by the sweep
// (src/events/dispatch.ts), and applying an event twice is a no-op.
import type { Job, Queue, Worker } from 'bullmq';
import type { EventsJob } from './jobs.js';
import type { RedisConnection } from './redis.js';
import { createQueue, createWorker, QUEUES } from './wiring.js';

export function createEventsQueue(redis: RedisConnection, prefix: string): Queue<EventsJob> {
  return createQueue<EventsJob>({ connection: redis, prefix }, QUEUES.events);
}

export const EVENTS_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: true,
  removeOnFail: { count: 1000 },
} as const;

/** BullMQ job ids may not contain `:`; the ids named make the job. */
export function eventsJobId(inboxIds: readonly number[]): string {
  return `events-${inboxIds[0]}-${inboxIds.at(-1)}-${inboxIds.length}`;
}

export function startEventsWorker(redis: RedisConnection, options: { prefix: string; concurrency: number; lockDurationMs?: number }, process: (job: Job<EventsJob>) => Promise<unknown>): Worker<EventsJob> {
  return createWorker<EventsJob>({ connection: redis, prefix: options.prefix }, QUEUES.events, process, {
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.lockDurationMs ?? 30_000,
  });
}
