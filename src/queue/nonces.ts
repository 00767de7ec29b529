// Single-use stream URL nonces in Redis (the gate's store with Redis, gate/nonces.ts). The
// key is built here, beside the queues' keys, and braced the same way,
// `{<FEEDLINE_QUEUE_PREFIX>-gate}:nonce:<nonce>`, so in a Redis Cluster feedline's gate keys
// share one hash slot as each queue's do, and the prefix names every key feedline owns.
import type { RedisConnection } from './redis.js';

export function nonceKey(prefix: string, nonce: string): string {
  return `{${prefix}-gate}:nonce:${nonce}`;
}

/** True for the first caller only; the key expires after `ttlMs`, when the URL can no longer verify. */
export async function claimNonce(redis: RedisConnection, prefix: string, nonce: string, ttlMs: number): Promise<boolean> {
  return (await redis.set(nonceKey(prefix, nonce), '1', 'PX', ttlMs, 'NX')) === 'OK';
}
