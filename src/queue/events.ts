// The BullMQ queue and worker of Catalogue Events: a job names inbox rows to apply. The
// inbox in PostgreSQL is the truth; a job lost with Redis is found again by the sweep
// (src/events/dispatch.ts), and applying an event twice is a no-op.
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE, type EventsJob } from './jobs.js';

export function createEventsQueue(redis: Redis, prefix: string): Queue<EventsJob> {
  return new Queue<EventsJob>(QUEUE.events, { connection: redis, prefix });
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

export function startEventsWorker(redis: Redis, options: { prefix: string; concurrency: number; lockDurationMs?: number }, process: (job: Job<EventsJob>) => Promise<unknown>): Worker<EventsJob> {
  return new Worker<EventsJob>(QUEUE.events, process, {
    connection: redis,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.lockDurationMs ?? 30_000,
  });
}
