// Each test file gets its own BullMQ key prefix on Redis db 0, deleted before and after.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { createApplyQueue } from '../../src/queue/sink.js';
import { CHECKOUT } from './db.js';

export const REDIS_URL = process.env.FEEDLINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export function testPrefix(testFile: string): string {
  return `fltest-${createHash('sha256').update(CHECKOUT).update(testFile).digest('hex').slice(0, 10)}`;
}

/** Deletes the keys of every queue under this FEEDLINE_QUEUE_PREFIX (`{prefix-queue}:...`). */
export async function clearPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    await deleteMatching(redis, `{${prefix}-*`);
  } finally {
    redis.disconnect();
  }
}

/**
 * Waits until `count` apply workers are connected under `prefix`: BullMQ names each worker's
 * connection, and the queue lists them. Started processes are ready only then.
 */
export async function waitForApplyWorkers(prefix: string, count: number, timeoutMs = 30_000): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = createApplyQueue(redis, prefix);
  try {
    const deadline = Date.now() + timeoutMs;
    while ((await queue.getWorkersCount()) < count) {
      if (Date.now() > deadline) throw new Error(`fewer than ${count} apply workers connected after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/** SCANs one node for keys matching `pattern` and deletes them. */
export async function deleteMatching(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    // One DEL per key: on a cluster node, keys of different slots may not share a command.
    for (const key of keys) await redis.del(key);
  } while (cursor !== '0');
}
