// Redis connections for BullMQ. Workers block on Redis, so their connections must retry
// forever (`maxRetriesPerRequest: null`, BullMQ's production guide); producers fail fast.
import { Redis } from 'ioredis';
import { describeUrl } from '../config/load.js';
import { UnreachableError } from '../errors.js';

function connectRedis(url: string, role: 'producer' | 'worker'): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 3,
    enableReadyCheck: true,
    lazyConnect: true,
  });
}

/** Connects and pings once, so an unreachable Redis is exit code 5 at start-up, not a hang. */
export async function openRedis(url: string, role: 'producer' | 'worker'): Promise<Redis> {
  const redis = connectRedis(url, role);
  redis.on('error', () => {
    // Reconnection is ioredis's job; failures surface on the commands that need Redis.
  });
  try {
    await withTimeout(redis.connect().then(() => redis.ping()), 5000);
  } catch (err) {
    redis.disconnect();
    throw new UnreachableError('Redis', describeUrl(url), { cause: err });
  }
  return redis;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer in ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
