// Every BullMQ queue feedline runs, and the one place its Queue and Worker objects are made, so each gets the same prefix. A Redis Cluster needs every key of a queue in one
// hash slot: the prefix is braced, `{<FEEDLINE_QUEUE_PREFIX>-<queue>}`, one per queue, so
// the queues spread over the cluster's nodes (BullMQ's "Redis Cluster" guide). On a single
// Redis the braces are only part of the key names.
import { Queue, Worker, type Processor, type WorkerOptions } from 'bullmq';
import type { RedisConnection } from './redis.js';

export const QUEUES = { apply: 'apply', fetch: 'fetch', sla: 'sla', events: 'events' } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
export const QUEUE_NAMES: readonly QueueName[] = Object.values(QUEUES);

/** A Redis connection and FEEDLINE_QUEUE_PREFIX: what every queue object is made from. */
export interface QueueWiring {
  connection: RedisConnection;
  prefix: string;
}

/** The braced key prefix of one queue: its keys are `{base-name}:name:...`, one hash slot. */
export function queuePrefix(base: string, name: QueueName): string {
  return `{${base}-${name}}`;
}

export function createQueue<T>(wiring: QueueWiring, name: QueueName): Queue<T> {
  return new Queue<T>(name, { connection: wiring.connection, prefix: queuePrefix(wiring.prefix, name) });
}

export function createWorker<T>(wiring: QueueWiring, name: QueueName, processor: Processor<T>, options: Omit<WorkerOptions, 'connection' | 'prefix'> = {}): Worker<T> {
  return new Worker<T>(name, processor, { ...options, connection: wiring.connection, prefix: queuePrefix(wiring.prefix, name) });
}

