// Each test file gets its own BullMQ key prefix on Redis db 0, deleted before and after.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { CHECKOUT } from './db.js';

export const REDIS_URL = process.env.FEEDLINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export function testPrefix(testFile: string): string {
  return `fltest-${createHash('sha256').update(CHECKOUT).update(testFile).digest('hex').slice(0, 10)}`;
}

export async function clearPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
